"""The sweep lock: of several instances on one database, one sweeps; the database decides which.

The lock lives as long as its holder's connection, and no clock takes part:

- on PostgreSQL it is a session-level advisory lock (``pg_try_advisory_lock``) taken on a
  connection the holder keeps open while it holds the lock. When the holder dies, its socket
  closes, the server ends its session and the lock is free at once;
- on SQLite it is an exclusive ``flock`` on a file beside the database
  (``<database>-sweep.lock``). When the holder dies, the kernel closes its file and the lock is
  free at once. (``flock`` belongs to the open file, so two holders in one process exclude each
  other too, as two processes do.)

Asking never waits: a lock someone else holds means "busy, skip this round". The holder asks
again each turn, which also checks that its connection still lives (a database restart ends the
session and with it the lock: the next turn takes it again, or finds another holder).

Who holds it is written with the lock (PostgreSQL: the connection's ``application_name``;
SQLite: the lock file's content), so ``duban sweep`` can say who it is waiting for.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import socket
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import Database

log = logging.getLogger("duban.sweep")

# One advisory lock key for the sweep, in the single-bigint form (fits 31 bits: classid 0).
SWEEP_KEY = 0x64756261  # "duba"
_HOLDER_MAX = 63  # PostgreSQL's application_name limit


def new_holder_id() -> str:
    """``host:pid:random``, short enough for PostgreSQL's ``application_name`` (63)."""
    host = socket.gethostname()[:40]
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


class SweepLock(Protocol):
    async def take(self) -> bool:
        """Take the lock, or confirm we still hold it; False when another holder has it."""

    async def release(self) -> None:
        """Give the lock up (nothing happens when we do not hold it)."""


def sweep_lock(db: Database, holder: str) -> SweepLock:
    """The sweep lock on ``db``'s database, for ``holder``."""
    if db.dialect == "postgresql":
        return AdvisoryLock(db.engine, holder)
    return FileLock(lock_path(db.url), holder)


async def holder_of_sweep(db: Database) -> str | None:
    """Who holds the sweep lock now (None: nobody; "" when the holder did not say)."""
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                    "AND l.objid = :key AND l.objsubid = 1 "
                    "AND l.database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                ),
                {"key": SWEEP_KEY},
            )
            name: str | None = found.scalar_one_or_none()
        return name
    probe = FileLock(lock_path(db.url), "")
    if await probe.take():
        await probe.release()
        return None
    try:
        return probe.path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def lock_path(url: str) -> Path:
    """The lock file of a SQLite database (an in-memory one gets one per process)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return Path(tempfile.gettempdir()) / f"duban-memory-{os.getpid()}-sweep.lock"
    return Path(f"{database}-sweep.lock")


class AdvisoryLock:
    """A PostgreSQL advisory lock, held by a connection of its own."""

    def __init__(self, engine: AsyncEngine, holder: str) -> None:
        self.engine = engine
        self.holder = holder[:_HOLDER_MAX]
        self.conn: AsyncConnection | None = None

    async def take(self) -> bool:
        if self.conn is not None:
            try:
                await self.conn.execute(text("SELECT 1"))
                await self.conn.commit()
                return True
            except Exception:
                log.warning("sweep_lock_connection_lost", extra={"holder": self.holder})
                await self._drop()
        conn = await self.engine.connect()
        try:
            await conn.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": self.holder},
            )
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SWEEP_KEY})
            ).scalar_one()
            await conn.commit()
        except BaseException:
            await conn.invalidate()
            raise
        if got:
            self.conn = conn
            return True
        await conn.invalidate()  # not back to the pool with our name on it
        return False

    async def release(self) -> None:
        if self.conn is None:
            return
        try:
            await self.conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEP_KEY})
            await self.conn.commit()
        finally:
            await self._drop()

    async def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            # Closing the connection ends its session, and with it any lock it still held.
            try:
                await conn.invalidate()
            except Exception:
                log.debug("sweep_lock_close_failed", exc_info=True)


class FileLock:
    """An exclusive ``flock`` on a file; the kernel drops it with its holder."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        self.fd: int | None = None

    async def take(self) -> bool:
        if self.fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, self.holder.encode("utf-8"), 0)
        self.fd = fd
        return True

    async def release(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the file drops its lock
