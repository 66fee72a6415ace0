"""What the benchmarks that run the real app set up: a migrated SQLite file holding the
bulk-written population (``bench.sweep.populate``), a fresh database on a PostgreSQL server,
and the app's settings against the fake Bot API."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import Settings

if TYPE_CHECKING:
    from bench.sweep import Population

API_TOKEN = "bench-api-token"


@asynccontextmanager
async def fresh_postgres(server_url: str, name: str) -> AsyncIterator[str]:
    """A new, empty database ``name`` on the PostgreSQL server at ``server_url`` (any database
    of it, e.g. ``.../postgres``): its URL, dropped afterwards."""
    server = make_url(server_url)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def app_settings(url: str, *, token: str, api: str, media: Path) -> Settings:
    """The settings of an app on the database at ``url`` talking to the fake Bot API at
    ``api``; any free port, the API open with the bench's token."""
    return Settings(
        _env_file=None,
        bot_token=SecretStr(token),
        telegram_api_url=api,
        database_url=url,
        media_dir=media,
        web_port=0,
        api_token=SecretStr(API_TOKEN),
    )


async def populated(
    url: str,
    items: int,
    people: int,
    *,
    now: datetime | None = None,
    due_share: float = 0.0,
    progress: Callable[[str], None] = print,
) -> Population:
    """Migrate the SQLite file at ``url`` and bulk-write ``people`` people and ``items``
    in-progress items as at ``now`` (default: the real time)."""
    # Imported here: the memory benchmark's measured child takes app_settings from this
    # module, and the population code must not count in its resident size.
    from bench.sweep import populate, runtime
    from storage.db import Database

    db = Database(url)
    await db.upgrade()
    now = now or datetime.now(UTC)
    population = await populate(runtime(db, now), items, people, now, due_share, progress)
    await db.dispose()
    return population


def bench_parser(name: str, doc: str | None, *, items: bool = True) -> argparse.ArgumentParser:
    """``python -m bench.NAME``'s parser: the module docstring's first paragraph as its
    description, and the population's size (``--items`` unless not ``items``, ``--people``)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m bench.{name}", description=(doc or "").split("\n\n")[0]
    )
    if items:
        parser.add_argument("--items", type=int, default=100_000, help="items (100000)")
    parser.add_argument("--people", type=int, default=10_000, help="roster size (10000)")
    return parser
