"""The ``duban`` command line (DESIGN §7)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from bot import heap
from bot.cli_table import Command, add_command, add_group, option
from bot.settings import Settings
from domain.clock import SystemClock
from domain.errors import DubanError
from domain.policy import load_policy
from services.documents.pdf import find_soffice
from services.documents.templates import load_templates
from services.runtime import Runtime
from storage.db import Database, NotMigrated

PROG = "duban"


class CliError(Exception):
    """A failure explained in one line, with the exit status to leave with."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def fail(message: str, status: int = 1) -> NoReturn:
    raise CliError(message, status)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"DUBAN_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        fail(f"bad settings: {problems}", 2)


def sqlite_path(url: str) -> Path | None:
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
    return None


async def open_runtime(settings: Settings, *, migrated: bool = True) -> Runtime:
    try:
        policy = load_policy(settings.policy_file)
        templates = load_templates(
            policy.documents.templates, listed_urging=policy.documents.urging_per_unit
        )
    except DubanError as exc:
        fail(str(exc), 2)
    path = sqlite_path(settings.database_url)
    if migrated and path is not None and not path.exists():
        fail(f"the database {path} does not exist: run `duban db upgrade` first")
    db = Database(settings.database_url)
    if migrated:
        try:
            await db.ensure_migrated()
        except NotMigrated:
            await db.dispose()
            fail("the database is not migrated to the current schema: run `duban db upgrade`")
        except Exception as exc:
            await db.dispose()
            fail(f"cannot open the database: {type(exc).__name__}: {exc}")
    return Runtime(
        db=db,
        clock=SystemClock(),
        tz=settings.tz,
        media_dir=settings.media_dir,
        default_locale=settings.locale,
        policy=policy,
        templates=templates,
        soffice=find_soffice() if policy.documents.pdf else None,
    )


@asynccontextmanager
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime for one command; its database connections close when the command is done."""
    rt = await open_runtime(settings)
    try:
        yield rt
    finally:
        await rt.db.dispose()


def run_async(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


# --- commands ---------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    settings = load_settings()

    async def main() -> None:
        db = Database(settings.database_url)
        try:
            before = await db.current_revision()
            await db.upgrade(args.revision)
            after = await db.current_revision()
        except Exception as exc:
            fail(f"migration failed: {type(exc).__name__}: {exc}")
        finally:
            await db.dispose()
        if before == after:
            print(f"database already at {after}")
        else:
            print(f"database upgraded: {before or 'empty'} -> {after}")

    run_async(main)


def cmd_roster_import(args: argparse.Namespace) -> None:
    from domain.roster import parse_roster
    from services.roster import import_roster

    settings = load_settings()
    path = Path(args.file)
    if not path.exists():
        fail(f"{path}: no such file")
    try:
        roster = parse_roster(path)
    except DubanError as exc:
        fail(str(exc))

    async def main() -> None:
        async with runtime(settings) as rt:
            print(f"{path}: {len(roster.people)} people, {len(roster.units)} units; importing…")
            summary = await import_roster(rt, roster)
        print(
            f"people: {summary.people_added} added, {summary.people_updated} updated, "
            f"{summary.people_deactivated} deactivated; units: {summary.units_added} added, "
            f"{summary.units_updated} updated, {summary.units_deactivated} deactivated"
        )

    run_async(main)


def cmd_invite(args: argparse.Namespace) -> None:
    from services.people import issue_invites, stored_bot_username

    settings = load_settings()

    async def main() -> None:
        async with runtime(settings) as rt:
            username = args.bot_username or await stored_bot_username(rt)
            if username is None and settings.bot_token is not None:
                username = await _ask_bot_username(settings)
            try:
                issued = await issue_invites(
                    rt, bot_username=username, keys=args.person or None, days=args.days
                )
            except DubanError as exc:
                fail(str(exc))
        if args.json:
            print(
                json.dumps(
                    [
                        {"person": i.person, "name": i.name, "token": i.token, "link": i.link}
                        for i in issued
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        if not issued:
            print("everyone on the roster has joined; no invites issued")
            return
        if username is None:
            print(
                "note: the bot's username is not known yet (run the bot once, or pass "
                "--bot-username), so only tokens are shown",
                file=sys.stderr,
            )
        for invite in issued:
            print(f"{invite.person}\t{invite.name}\t{invite.link or invite.token}")
        print(f"{len(issued)} invites, valid for {args.days} days, each usable once")

    run_async(main)


async def _ask_bot_username(settings: Settings) -> str | None:
    from telegram import Bot
    from telegram.error import TelegramError

    assert settings.bot_token is not None
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_url,
    )
    try:
        async with bot:
            return bot.username
    except (TelegramError, OSError):
        return None


def cmd_run(args: argparse.Namespace) -> None:
    from aiohttp import web

    from bot.app import Options, create_app
    from bot.logs import configure_logging

    settings = load_settings()
    if settings.bot_token is None:
        fail("DUBAN_BOT_TOKEN is not set: put the bot's token in the environment or .env", 2)

    async def check() -> None:
        rt = await open_runtime(settings)
        await rt.db.dispose()

    run_async(check)
    configure_logging(args.log_level)
    if args.webhook and not args.webhook.startswith("https://") and not args.insecure_webhook:
        fail("the webhook URL must start with https:// (Telegram only calls HTTPS webhooks)", 2)
    try:
        app = create_app(settings, options=Options(webhook_url=args.webhook))
    except DubanError as exc:
        fail(str(exc))
    app.on_startup.append(_settle_heap)  # after the app's own contexts have opened
    web.run_app(app, host=settings.web_host, port=settings.web_port, print=None)


async def _settle_heap(app: Any) -> None:
    """Started: freeze the start-up heap (``bot.heap``)."""
    heap.settle()


def cmd_backup(args: argparse.Namespace) -> None:
    from services.backup import pg_dump_hint, sqlite_backup

    settings = load_settings()
    if settings.database_url.startswith("postgresql"):
        fail(
            "PostgreSQL is backed up with pg_dump, for example:\n  "
            + pg_dump_hint(settings.database_url, args.file)
            + "\nand restored with pg_restore --clean --no-owner --dbname=<database> <file>",
            2,
        )
    source = sqlite_path(settings.database_url)
    if source is None or not source.exists():
        fail(f"the database {source} does not exist")
    target = Path(args.file)
    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // max(total, 1)
        if percent // 10 != shown // 10:
            shown = percent
            print(f"\rcopying… {percent}% ({done}/{total} pages)", end="", file=sys.stderr)

    try:
        result = sqlite_backup(source, target, progress=progress)
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        print(file=sys.stderr)
        fail(f"backup failed: {exc}")
    print(file=sys.stderr)
    print(f"backup written to {result.path} ({result.pages} pages, integrity {result.integrity})")


def cmd_demo(args: argparse.Namespace) -> None:
    from demo.play import run_demo

    run_async(lambda: run_demo(serve=not args.no_serve, workdir=args.workdir))


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Duban (督办): the supervision office's task-supervision bot.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_group(sub, "db", "database schema", "Manage the database schema.", (DB_UPGRADE,))
    add_group(sub, "roster", "the roster of people and units", None, (ROSTER_IMPORT,))
    for command in (INVITE, RUN, BACKUP, DEMO):
        add_command(sub, command)

    from bot.cli_export import add_export_parser

    add_export_parser(sub, sys.modules[__name__])

    from bot.cli_items import add_items_parser

    add_items_parser(sub, sys.modules[__name__])

    from bot.cli_document import add_document_parser
    from bot.cli_sweep import add_sweep_parser

    add_sweep_parser(sub, sys.modules[__name__])
    add_document_parser(sub, sys.modules[__name__])
    return parser


DB_UPGRADE = Command(
    "upgrade",
    "migrate to the newest schema",
    "Apply Alembic migrations.",
    cmd_db_upgrade,
    (option("revision", nargs="?", default="head", help="target (default: head)"),),
)
ROSTER_IMPORT = Command(
    "import",
    "import a roster (YAML or Excel)",
    "Import people and units from a YAML or Excel roster. Re-importing updates in place; a "
    "file with any problem imports nothing.",
    cmd_roster_import,
    (option("file", help="roster.yaml or roster.xlsx"),),
)
INVITE = Command(
    "invite",
    "issue invitation links",
    "Issue one-time invitation links to everyone not yet joined. A new invite replaces the "
    "person's earlier unused one.",
    cmd_invite,
    (
        option("--json", action="store_true", help="print a JSON list"),
        option("--days", type=int, default=14, help="days until the links expire"),
        option("--person", action="append", metavar="KEY", help="only this person (repeatable)"),
        option("--bot-username", help="the bot's @username, for the links"),
    ),
)
RUN = Command(
    "run",
    "run the bot and the web server",
    "Run the bot (long polling, or a webhook), the scheduler and the web server.",
    cmd_run,
    (
        option("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)"),
        option(
            "--webhook",
            metavar="URL",
            help="receive updates by webhook at this public HTTPS URL, which must reach "
            "this server's /telegram/webhook (default: long polling)",
        ),
        option("--insecure-webhook", action="store_true", help=argparse.SUPPRESS),
    ),
)
BACKUP = Command(
    "backup",
    "copy the database consistently while the bot runs",
    "Write a consistent online copy of the SQLite database to FILE (restore by putting the "
    "copy in place of the database while the bot is stopped). For PostgreSQL it prints the "
    "pg_dump command to use.",
    cmd_backup,
    (option("file", help="where to write the copy (must not exist)"),),
)
DEMO = Command(
    "demo",
    "play the example county against a built-in fake Telegram",
    "Seed the example county, start a fake Bot API, run the bot and play simulated people "
    "through it, printing the chat transcript. No token needed.",
    cmd_demo,
    (
        option("--no-serve", action="store_true", help="exit when the script ends"),
        option("--workdir", type=Path, help="keep the demo's database and media here"),
    ),
)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    sys.exit(main())
