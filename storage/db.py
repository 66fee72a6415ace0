"""The database: one async engine, one session factory, and the migration check."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

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


BUSY_TIMEOUT_SECONDS = 10.0


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_READS = ("SELECT", "PRAGMA", "EXPLAIN")
_HOLDS = "duban_sqlite_writer"


class SQLiteWriters:
    """One write transaction at a time per engine, queued in asyncio.

    SQLite has a single writer. Without this, concurrent units of work of one process queue in
    SQLite's busy handler, whose back-off sleeps (up to 100 ms each) leave the event loop idle
    while the lock is free. Here a connection takes an :class:`asyncio.Lock` before its first
    write statement (the driver opens the transaction there) and gives it back when the
    transaction's COMMIT or ROLLBACK has run, so writers wait their turn in the event loop. Reads do
    not take it (WAL: readers never wait for the writer). Other processes on the same file still
    meet the busy timeout. PostgreSQL engines do not use this.
    """

    def __init__(self, timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holders: dict[int, asyncio.Lock] = {}  # id of a DBAPI connection -> its turn

    def install(self, engine: AsyncEngine) -> None:
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before_execute)
        # The turn is given back once COMMIT or ROLLBACK has run: the engine's "commit" and
        # "rollback" events come before it, and a writer let in then meets SQLite's lock.
        dialect = sync_engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(connection: Any) -> None:
            try:
                commit(connection)
            finally:
                self._give_back(connection)

        def do_rollback(connection: Any) -> None:
            try:
                rollback(connection)
            finally:
                self._give_back(connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
        event.listen(sync_engine, "reset", self._release_record)
        event.listen(sync_engine, "invalidate", self._release_record)
        event.listen(sync_engine, "close", self._release_closed)

    def _current_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an asyncio.Lock belongs to one event loop
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    async def _acquire(self) -> asyncio.Lock:
        lock = self._current_lock()
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the lock is granted (and keep the lock), so a stopping task runs on.
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        return lock

    def _before_execute(
        self,
        conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        key = id(conn.connection.dbapi_connection)
        if key in self._holders or statement.lstrip()[:7].upper().startswith(_READS):
            return
        self._holders[key] = await_only(self._acquire())

    def _release_record(self, dbapi_connection: Any, _record: Any, _detail: Any) -> None:
        self._give_back(dbapi_connection)

    def _release_closed(self, dbapi_connection: Any, _record: Any) -> None:
        self._give_back(dbapi_connection)

    def _give_back(self, connection: Any) -> None:
        """Give back the turn of this connection (a pool's proxy or the DBAPI connection)."""
        lock = self._holders.pop(id(getattr(connection, "dbapi_connection", connection)), None)
        if lock is not None and lock.locked():
            lock.release()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    kwargs.setdefault("hide_parameters", True)  # no user data in logged SQL errors
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        SQLiteWriters().install(engine)
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
