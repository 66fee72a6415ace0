"""The process: one aiohttp application owning the database, the bot and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError

import handlers
from bot.api import add_api_routes
from bot.console import add_console
from bot.keys import (
    CONSOLE_BASE,
    DATABASE,
    DELIVERER,
    METRICS,
    RUNTIME,
    SETTINGS,
    TELEGRAM,
    TRANSLATOR,
)
from bot.logs import guard_library_loggers
from bot.metrics import Metrics
from bot.outbox.pacing import Pacer
from bot.outbox.sending import Deliverer
from bot.outbox.telegram import notification_bot
from bot.ptb import build_application
from bot.settings import Settings
from bot.sweep_job import SWEEP_JOB, SweepJob
from bot.web import add_routes
from bot.web_complaints import add_complaint_routes
from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import make_webhook_route, webhook_secret
from domain.authority import PUBLIC_COMMANDS
from domain.clock import Clock, SystemClock
from domain.policy import Policy, load_policy
from handlers.context import BotState
from services.bulletin import send_weekly_bulletin
from services.documents.pdf import find_soffice
from services.documents.templates import Templates, load_templates
from services.monthly_report import send_monthly_report
from services.people import remember_bot_username
from services.runtime import Runtime
from services.sealing import derive
from services.web_auth import remember_console_url
from storage.db import Database
from texts import Translator
from texts.people import COMMAND_DESCRIPTIONS

log = logging.getLogger("duban.app")


class MissingToken(RuntimeError):
    pass


def deployment_secret(settings: Settings) -> bytes:
    """The secret keying complaint drafts and limits, shared by every instance. Without
    DUBAN_SECRET_KEY and without a bot token the chat cannot start (:func:`_telegram` says
    so), and the web form's limits use a secret of this process only."""
    return settings.complaint_secret() or secrets.token_bytes(32)


@dataclass(frozen=True)
class Options:
    """How this process runs: polling or not, and with which clock."""

    polling: bool = True
    scheduler: bool = True
    delivery: bool = True
    webhook_url: str | None = None  # set: receive updates by webhook instead of polling
    sweep_every: timedelta = timedelta(minutes=1)  # how often this instance asks for the sweep
    pdf: bool = True  # documents also as PDF where LibreOffice is installed


def console_base(settings: Settings, webhook_url: str | None) -> str:
    """The console's address for the sign-in links the bot sends: ``DUBAN_PUBLIC_URL``, else
    the public origin the webhook is reached at, else the address this server listens on."""
    if settings.public_url:
        return settings.public_url
    if webhook_url and webhook_url.rstrip("/").endswith(WEBHOOK_PATH):
        return webhook_url.rstrip("/")[: -len(WEBHOOK_PATH)]
    return listening_url(settings.web_host, settings.web_port)


def listening_url(host: str, port: int) -> str:
    if host in ("", "0.0.0.0", "::"):  # listening everywhere: this machine's loopback works
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def create_app(
    settings: Settings, *, clock: Clock | None = None, options: Options | None = None
) -> web.Application:
    options = options or Options()
    guard_library_loggers()  # no tokens, update contents or SQL parameters in any log
    policy = load_policy(settings.policy_file)  # a bad policy is refused before anything starts
    templates = load_templates(
        policy.documents.templates, listed_urging=policy.documents.urging_per_unit
    )  # and so is a bad document template
    pdf = options.pdf and policy.documents.pdf
    soffice = find_soffice() if pdf else None
    if soffice is None and pdf:
        log.info("documents_without_pdf", extra={"reason": "LibreOffice (soffice) not found"})
    app = web.Application()
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[TRANSLATOR] = Translator()
    app[CONSOLE_BASE] = console_base(settings, options.webhook_url)
    _add_all_routes(app, settings, options)
    # One cleanup context per resource, opened in this order and closed in the reverse one.
    app.cleanup_ctx.extend(
        [
            partial(_database, clock=clock, policy=policy, templates=templates, soffice=soffice),
            partial(_telegram, options=options),
            partial(_scheduler, options=options),
        ]
    )
    return app


def csrf_key(settings: Settings) -> bytes:
    """The complaint form's CSRF key: from the deployment secret, so that a form served by one
    instance may be posted to another (a key of this process only when there is no secret)."""
    secret = settings.complaint_secret()
    return derive(secret, b"duban web complaint csrf") if secret else secrets.token_bytes(32)


def _add_all_routes(app: web.Application, settings: Settings, options: Options) -> None:
    """The route table: health and metrics, the API, the console, the complaint pages, and
    the webhook when updates come that way."""
    add_routes(app)
    add_api_routes(app)
    add_console(app)
    add_complaint_routes(app, csrf_key(settings))
    if options.webhook_url and settings.bot_token is not None:
        secret = webhook_secret(settings.bot_token.get_secret_value())
        app.router.add_routes([make_webhook_route(secret)])


async def _database(
    app: web.Application,
    *,
    clock: Clock | None,
    policy: Policy,
    templates: Templates,
    soffice: str | None,
) -> AsyncIterator[None]:
    """The database, and the runtime the services are given (migrated first)."""
    settings = app[SETTINGS]
    db = Database(settings.database_url)
    try:
        await db.ensure_migrated()
        app[DATABASE] = db
        app[RUNTIME] = Runtime(
            db=db,
            clock=clock or SystemClock(),
            tz=settings.tz,
            media_dir=settings.media_dir,
            default_locale=settings.locale,
            policy=policy,
            templates=templates,
            soffice=soffice,
            translator=app[TRANSLATOR],
            secret=deployment_secret(settings),
        )
        await remember_console_url(app[RUNTIME], app[CONSOLE_BASE])
        yield
    finally:
        await db.dispose()


async def _telegram(app: web.Application, *, options: Options) -> AsyncIterator[None]:
    """The PTB application receiving updates (polling or webhook), and the outbox's sender."""
    settings = app[SETTINGS]
    if settings.bot_token is None:
        raise MissingToken(
            "DUBAN_BOT_TOKEN is not set (the chat needs it, and DUBAN_SECRET_KEY or the token"
            " to key complaint drafts)"
        )
    token = settings.bot_token.get_secret_value()
    state = BotState()
    state.configure(app[RUNTIME], app[TRANSLATOR], app[METRICS])
    pacer = Pacer(app[RUNTIME].policy.delivery)  # the handlers' and the outbox's: one budget
    application = build_application(
        token=token,
        api_url=settings.telegram_api_url,
        metrics=app[METRICS],
        state=state,
        pacer=pacer,
    )
    handlers.register(application)
    await application.initialize()
    app[TELEGRAM] = application
    try:
        await remember_bot_username(app[RUNTIME], application.bot.username)
        await _public_menu(application, app[TRANSLATOR], settings.locale)
        await application.start()
        if options.webhook_url:
            await application.bot.set_webhook(
                url=options.webhook_url,
                secret_token=webhook_secret(token),
                allowed_updates=Update.ALL_TYPES,
            )
        elif options.polling and application.updater is not None:
            await application.updater.start_polling(drop_pending_updates=False)
        log.info("bot_started", extra={"username": application.bot.username})
        async with _delivery(app, options, pacer):
            yield
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


@asynccontextmanager
async def _delivery(app: web.Application, options: Options, pacer: Pacer) -> AsyncIterator[None]:
    """The outbox has a Bot of its own, without PTB's rate limiter: the Deliverer paces per
    chat and overall itself, so one chat's 429 never pauses the others; its pacer is the one
    the handlers' sends take their moments from."""
    notifier = notification_bot(app[SETTINGS])
    await notifier.initialize()
    deliverer = Deliverer(app[RUNTIME], notifier, app[METRICS], pacer=pacer)
    app[DELIVERER] = deliverer
    worker = asyncio.create_task(deliverer.run_forever()) if options.delivery else None
    try:
        yield
    finally:
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await notifier.shutdown()


async def _scheduler(app: web.Application, *, options: Options) -> AsyncIterator[None]:
    """The sweep, the weekly bulletin and the monthly report, on this instance while it holds
    the sweep lock."""
    if not options.scheduler:
        yield
        return
    jobs = AsyncIOScheduler(timezone=app[SETTINGS].tz)
    # Of several instances on one database, only the holder of the sweep lock sweeps
    # and sends the bulletin; the others ask again each turn and take over once the
    # holder's connection has closed (it died) or it gave the lock up (it stopped).
    job = SweepJob(app[RUNTIME], app[METRICS])
    app[SWEEP_JOB] = job
    _add_jobs(jobs, job, app[RUNTIME], options)
    jobs.start()
    try:
        yield
    finally:
        jobs.shutdown(wait=False)
        try:
            await job.release()
        except Exception:
            log.exception("sweep_lock_release_failed")


def _add_jobs(jobs: AsyncIOScheduler, job: SweepJob, rt: Runtime, options: Options) -> None:
    async def sweep() -> None:
        # Reminders, the ladder and the morning digest; from the database and the time
        # alone, so a missed or doubled run changes nothing.
        try:
            await job.turn()
        except Exception:
            log.exception("sweep_failed")

    jobs.add_job(
        sweep,
        "interval",
        seconds=options.sweep_every.total_seconds(),
        id="sweep",
        max_instances=1,
        coalesce=True,
    )

    def once_due(
        name: str, send: Callable[[Runtime], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                if await job.take():
                    await send(rt)
            except Exception:
                log.exception(f"{name}_failed")

        return run

    # The weekly bulletin once its time has come this week, the supervision report on last
    # month once its working day and time have come. Each is keyed by its period (the ISO
    # week, the month), so checking every few minutes makes it once, whoever runs it and
    # however often, and catches up after a restart.
    for name, send in (("bulletin", send_weekly_bulletin), ("monthly_report", send_monthly_report)):
        jobs.add_job(once_due(name, send), "interval", minutes=5, id=name, max_instances=1)


async def _public_menu(application: object, translator: Translator, locale: str) -> None:
    from bot.ptb import DubanApplication

    assert isinstance(application, DubanApplication)
    t = translator.text(locale)
    commands = [BotCommand(c, t.raw(COMMAND_DESCRIPTIONS[c])) for c in PUBLIC_COMMANDS]
    try:
        await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault())
    except TelegramError as exc:
        log.warning("public_menu_failed", extra={"error": type(exc).__name__})


@asynccontextmanager
async def serve(app: web.Application, host: str, port: int) -> AsyncIterator[str]:
    """Run the app's web server until the block ends; yields its base URL."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = port
        for address in runner.addresses:
            bound = address[1]
        url = f"http://{host}:{bound}"
        settings = app[SETTINGS]
        if not settings.public_url and app[CONSOLE_BASE] == console_base(settings, None):
            # no public address configured: links go where this server really listens
            await remember_console_url(app[RUNTIME], listening_url(host, bound))
        yield url
    finally:
        await runner.cleanup()
