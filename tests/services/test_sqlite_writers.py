"""SQLite writers of one process queue in asyncio (storage.db.SQLiteWriters), not in SQLite.

SQLite's busy timeout is set to zero here, so a second writer that reached SQLite while another
transaction of the same process holds the write lock would fail at once with "database is locked".
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.pool import ConnectionPoolEntry

from storage.db import Database


def no_busy_wait(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


@pytest.fixture
async def sqlite(tmp_path: Path) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'writers.db'}")
    event.listen(database.engine.sync_engine, "connect", no_busy_wait)
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 0)"))
    yield database
    await database.dispose()


async def write_slowly(database: Database, value: int) -> None:
    async with database.session() as session:
        await session.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
        await asyncio.sleep(0.01)  # the unit of work awaits something while it holds the write
        await session.execute(text("UPDATE t SET v = v + 1 WHERE id = 1"))
        await session.commit()


async def test_concurrent_write_transactions_wait_their_turn(sqlite: Database) -> None:
    await asyncio.gather(*(write_slowly(sqlite, n) for n in range(20)))
    async with sqlite.session() as session:
        assert await session.scalar(text("SELECT v FROM t WHERE id = 1")) == 20
        assert await session.scalar(text("SELECT count(*) FROM t")) == 21


async def test_reads_do_not_wait_for_a_writer(sqlite: Database) -> None:
    async with sqlite.session() as writer:
        await writer.execute(text("UPDATE t SET v = 5 WHERE id = 1"))
        async with sqlite.session() as reader:  # WAL: the reader sees the last commit
            value = await asyncio.wait_for(
                reader.scalar(text("SELECT v FROM t WHERE id = 1")), timeout=5
            )
        assert value == 0
        await writer.commit()


async def test_a_cancelled_or_failed_writer_gives_the_turn_back(sqlite: Database) -> None:
    holder = asyncio.create_task(write_slowly(sqlite, 1))
    await asyncio.sleep(0.005)  # inside its transaction, between the two writes
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
    with pytest.raises(Exception, match="UNIQUE"):
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO t (id, v) VALUES (1, 0)"))
    await asyncio.wait_for(write_slowly(sqlite, 2), timeout=5)
    async with sqlite.session() as session:
        assert await session.scalar(text("SELECT v FROM t WHERE id = 1")) == 1
