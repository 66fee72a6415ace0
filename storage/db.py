"""The database: one async engine, one session factory, and the migration check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from domain.errors import DubanError

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(DubanError):
    key = "The database is not at the current schema: run `duban db upgrade` first."
    status = 503


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    kwargs.setdefault("hide_parameters", True)  # no user data in logged SQL errors
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """Owns the engine and hands out one session per unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def current_revision(self) -> str | None:
        def read(conn: Connection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self.engine.connect() as conn:
            return await conn.run_sync(read)

    async def ensure_migrated(self) -> None:
        """Refuse to run on a database that is not at the newest migration."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        if await self.current_revision() != head:
            raise NotMigrated()

    async def upgrade(self, revision: str = "head") -> None:
        def run(conn: Connection) -> None:
            config = alembic_config(self.url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def dispose(self) -> None:
        await self.engine.dispose()


def run_sync_upgrade(url: str, revision: str = "head") -> None:
    """Upgrade from synchronous code (the CLI)."""

    async def go() -> None:
        db = Database(url)
        try:
            await db.upgrade(revision)
        finally:
            await db.dispose()

    asyncio.run(go())
