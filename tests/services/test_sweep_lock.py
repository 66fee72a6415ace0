"""The sweep lock: one holder at a time, held by the database for as long as the holder's
connection (PostgreSQL) or open file (SQLite) lives, whatever each instance's clock says — on the
real database (SQLite, and PostgreSQL in the run with DUBAN_TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.metrics import Metrics
from bot.sweep_job import SweepJob
from domain.clock import FakeClock
from services import sweep_lock
from services.runtime import Runtime
from storage.db import Database
from tests.conftest import START


@pytest.fixture
async def instances(database_url: str, rt: Runtime) -> AsyncIterator[list[SweepJob]]:
    """Four instances' sweep jobs with engines of their own, as separate processes would have;
    the first one's clock an hour fast, the second's an hour slow."""
    skews = [timedelta(hours=1), -timedelta(hours=1), timedelta(0), timedelta(days=400)]
    jobs = [
        SweepJob(
            dataclasses.replace(rt, db=Database(database_url), clock=FakeClock(START + skew)),
            Metrics(),
            holder=f"i{n}",
        )
        for n, skew in enumerate(skews)
    ]
    yield jobs
    for job in jobs:
        await job.release()
        await job.rt.db.dispose()


async def test_one_holder_at_a_time_whatever_the_clocks_say(instances: list[SweepJob]) -> None:
    for job in instances:  # open every connection before the race
        await job.rt.db.ping()
    for round_ in range(8):
        won = await asyncio.gather(*(job.take() for job in instances))
        assert sum(won) == 1, (round_, won)
        winner = instances[won.index(True)]
        assert await sweep_lock.holder_of_sweep(winner.rt.db) == winner.holder
        # the holder keeps it turn after turn, even with every clock moved a day on
        for job in instances:
            assert isinstance(job.rt.clock, FakeClock)
            job.rt.clock.advance(timedelta(days=1))
        again = await asyncio.gather(*(job.take() for job in instances))
        assert again == [job is winner for job in instances]
        gauges = [j.metrics.registry.get_sample_value("duban_sweep_lease_held") for j in instances]
        assert gauges == [1 if job is winner else 0 for job in instances]
        await winner.release()  # given up: free at once for the next round
        assert await sweep_lock.holder_of_sweep(winner.rt.db) is None


async def test_a_dead_holders_lock_is_free_at_once(instances: list[SweepJob]) -> None:
    first, second = instances[:2]
    assert await first.take()
    assert not await second.take()
    # The holder dies: its connection closes (PostgreSQL) or its file does (SQLite) — as the
    # server and the kernel do for a killed process.
    lock = first.lock
    if isinstance(lock, sweep_lock.AdvisoryLock):
        assert lock.conn is not None
        pid = (await lock.conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with second.rt.db.engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    else:
        assert isinstance(lock, sweep_lock.FileLock) and lock.fd is not None
        os.close(lock.fd)
        lock.fd = None
        first.holding = False
    assert await second.take()
    assert await sweep_lock.holder_of_sweep(second.rt.db) == "i1"
    # The old holder, asking again, learns that it lost the lock.
    assert not await first.take()
    assert not first.holding


async def test_a_holder_keeps_the_lock_through_its_own_passes(
    instances: list[SweepJob],
) -> None:
    first, second = instances[:2]
    assert await first.turn() is not None
    assert await second.turn() is None
    assert await first.turn() is not None  # a turn confirms the lock, it does not retake it
    assert first.holding and not second.holding


def test_holder_ids_differ_per_instance_and_fit_application_name() -> None:
    first, second = sweep_lock.new_holder_id(), sweep_lock.new_holder_id()
    assert first != second
    host, pid, random = first.split(":")
    assert pid.isdigit() and len(random) == 8 and host
    assert len(first) <= 63


def test_the_sqlite_lock_file_lies_beside_the_database() -> None:
    path = sweep_lock.lock_path("sqlite+aiosqlite:///var/lib/duban/duban.db")
    assert path.name == "duban.db-sweep.lock"
    assert path.parent.name == "duban"
