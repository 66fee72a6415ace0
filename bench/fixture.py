"""What the benchmarks that run the real app set up: a migrated SQLite file holding the
bulk-written population (``bench.sweep.populate``), and the app's settings against the fake
Bot API."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.settings import Settings

if TYPE_CHECKING:
    from bench.sweep import Population

API_TOKEN = "bench-api-token"


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
