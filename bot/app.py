"""The process: one aiohttp application owning the database, the bot and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError

import handlers
from bot.api import add_api_routes
from bot.delivery import Deliverer
from bot.keys import DATABASE, DELIVERER, METRICS, RUNTIME, SETTINGS, TELEGRAM, TRANSLATOR
from bot.logs import guard_library_loggers
from bot.metrics import Metrics
from bot.ptb import build_application
from bot.settings import Settings
from bot.web import add_routes
from bot.web_complaints import add_complaint_routes
from bot.webhook import make_webhook_route, webhook_secret
from domain.authority import PUBLIC_COMMANDS
from domain.clock import Clock, SystemClock
from domain.policy import load_policy
from handlers.context import BotState
from services.people import remember_bot_username
from services.runtime import Runtime
from storage.db import Database
from texts import Translator
from texts.people import COMMAND_DESCRIPTIONS

log = logging.getLogger("duban.app")


class MissingToken(RuntimeError):
    pass


@dataclass(frozen=True)
class Options:
    """How this process runs: polling or not, and with which clock."""

    polling: bool = True
    scheduler: bool = True
    delivery: bool = True
    webhook_url: str | None = None  # set: receive updates by webhook instead of polling


def create_app(
    settings: Settings, *, clock: Clock | None = None, options: Options | None = None
) -> web.Application:
    options = options or Options()
    guard_library_loggers()  # no tokens, update contents or SQL parameters in any log
    policy = load_policy(settings.policy_file)  # a bad policy is refused before anything starts
    app = web.Application()
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[TRANSLATOR] = Translator()
    add_routes(app)
    add_api_routes(app)
    add_complaint_routes(app)
    if options.webhook_url and settings.bot_token is not None:
        secret = webhook_secret(settings.bot_token.get_secret_value())
        app.router.add_routes([make_webhook_route(secret)])

    async def database(app: web.Application) -> AsyncIterator[None]:
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
                translator=app[TRANSLATOR],
            )
            yield
        finally:
            await db.dispose()

    async def telegram(app: web.Application) -> AsyncIterator[None]:
        if settings.bot_token is None:
            raise MissingToken("DUBAN_BOT_TOKEN is not set")
        state = BotState()
        state.configure(app[RUNTIME], app[TRANSLATOR], app[METRICS])
        application = build_application(
            token=settings.bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            metrics=app[METRICS],
            state=state,
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
                    secret_token=webhook_secret(settings.bot_token.get_secret_value()),
                    allowed_updates=Update.ALL_TYPES,
                )
            elif options.polling and application.updater is not None:
                await application.updater.start_polling(drop_pending_updates=False)
            log.info("bot_started", extra={"username": application.bot.username})
            deliverer = Deliverer(app[RUNTIME], application.bot, app[METRICS])
            app[DELIVERER] = deliverer
            worker = asyncio.create_task(deliverer.run_forever()) if options.delivery else None
            try:
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
        finally:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()

    async def scheduler(app: web.Application) -> AsyncIterator[None]:
        if not options.scheduler:
            yield
            return
        jobs = AsyncIOScheduler(timezone=settings.tz)
        jobs.start()
        try:
            yield
        finally:
            jobs.shutdown(wait=False)

    app.cleanup_ctx.extend([database, telegram, scheduler])
    return app


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
        yield f"http://{host}:{bound}"
    finally:
        await runner.cleanup()
