"""Shared fixtures: a real database per test, an injected clock, the fake Telegram, the app.

The database is a fresh SQLite file, or, when ``DUBAN_TEST_POSTGRES_URL`` is set (the CI's
PostgreSQL run), a fresh database on that server, so every test runs on both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Options, create_app, serve
from bot.keys import METRICS, RUNTIME
from bot.metrics import Metrics
from bot.settings import Settings
from domain.clock import FakeClock
from domain.roster import parse_roster
from services.roster import import_roster
from services.runtime import Runtime
from storage.db import Database
from testbench import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
POSTGRES_URL = os.environ.get("DUBAN_TEST_POSTGRES_URL")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'duban.db'}"
        return
    name = f"duban_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def rt(db: Database, clock: FakeClock, tmp_path: Path) -> Runtime:
    return Runtime(db=db, clock=clock, tz=SHANGHAI, media_dir=tmp_path / "media")


async def import_example_county(rt: Runtime) -> None:
    await import_roster(rt, parse_roster(EXAMPLES / "roster.yaml"))


@pytest.fixture
async def county(rt: Runtime) -> Runtime:
    """The example county's roster, imported."""
    await import_example_county(rt)
    return rt


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(now=clock.now) as server:
        yield server


@dataclass
class Bench:
    """The running product against the fake Telegram: what end-to-end tests drive."""

    fake: FakeTelegram
    rt: Runtime
    clock: FakeClock
    base_url: str
    app: web.Application

    @property
    def metrics(self) -> Metrics:
        return self.app[METRICS]


API_TOKEN = "test-api-token"


def bench_settings(
    fake: FakeTelegram, database_url: str, tmp_path: Path, **values: Any
) -> Settings:
    """The app's settings for a test: the fake Telegram, the test's database, its own media
    folder, any free port, the API open with :data:`API_TOKEN`; ``values`` override."""
    defaults: dict[str, Any] = {
        "bot_token": SecretStr(fake.token),
        "telegram_api_url": fake.url,
        "database_url": database_url,
        "media_dir": tmp_path / "media",
        "web_port": 0,
        "api_token": SecretStr(API_TOKEN),
    }
    return Settings(_env_file=None, **{**defaults, **values})


@asynccontextmanager
async def running(
    settings: Settings, clock: FakeClock, fake: FakeTelegram, options: Options | None = None
) -> AsyncIterator[Bench]:
    """The app, serving on a free loopback port until the block ends; documents go without
    their PDF unless ``options`` ask for it (LibreOffice takes seconds a document)."""
    app = create_app(settings, clock=clock, options=options or Options(pdf=False))
    async with serve(app, "127.0.0.1", 0) as base_url:
        yield Bench(fake=fake, rt=app[RUNTIME], clock=clock, base_url=base_url, app=app)


@pytest.fixture
async def bench(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    async with running(bench_settings(fake, database_url, tmp_path), clock, fake) as started:
        yield started
