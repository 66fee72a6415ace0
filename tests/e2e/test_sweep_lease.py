"""Several instances' sweep jobs on one database: only the lease holder sweeps; a dead holder's
lease moves on once it runs out, a stopped one's at once; ``duban sweep`` respects it too."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.metrics import Metrics
from bot.sweep_job import SweepJob
from domain.clock import FakeClock
from domain.vocabulary import Source, TimeClass
from services import lease
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from storage.db import Database
from tests.conftest import START
from tests.e2e.test_cli import duban

TTL = timedelta(minutes=3)


async def test_only_the_holder_sweeps_and_the_lease_moves_on_when_it_dies_or_stops(
    county: Runtime, clock: FakeClock, database_url: str
) -> None:
    rt = county
    engines = [Database(database_url) for _ in range(3)]
    jobs = [
        SweepJob(dataclasses.replace(rt, db=db), Metrics(), holder=f"i{n}", ttl=TTL)
        for n, db in enumerate(engines)
    ]
    try:
        draft = ItemDraft(
            title="整治背街小巷",
            body="",
            source=Source.OTHER,
            time_class=TimeClass.GENERAL,
            lead_unit="edu",
        )
        await register_item(
            rt, Origin(None, via_api=True), draft, dispatch=True, dispatched_at=START
        )
        first = [await job.turn() for job in jobs]
        assert first[0] is not None and first[1:] == [None, None]
        assert [job.holding for job in jobs] == [True, False, False]
        held_gauge = [
            job.metrics.registry.get_sample_value("duban_sweep_lease_held") for job in jobs
        ]
        assert held_gauge == [1, 0, 0]

        # A day on, the holder's receipt chase is due; it renews and sweeps, the others wait.
        clock.advance(timedelta(days=1))
        assert await jobs[0].turn() is not None
        assert [await job.turn() for job in jobs[1:]] == [None, None]

        # The holder dies (no more turns): until its lease runs out nobody else sweeps...
        clock.advance(TTL - timedelta(seconds=1))
        assert [await job.turn() for job in jobs[1:]] == [None, None]
        # ...then the next to ask takes it over.
        clock.advance(timedelta(seconds=1))
        taken = [await job.turn() for job in jobs[1:]]
        assert taken[0] is not None and taken[1] is None
        held = await lease.current(rt, lease.SWEEP)
        assert held is not None and held.holder == "i1"

        # A clean stop gives it up at once.
        await jobs[1].release()
        assert await jobs[2].turn() is not None
        assert [job.holding for job in jobs] == [True, False, True]  # i0 never learnt; dead
        assert await jobs[0].turn() is None
        assert not jobs[0].holding
    finally:
        for db in engines:
            await db.dispose()


async def test_duban_sweep_skips_while_an_instance_holds_the_lease(
    county: Runtime, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    env = {"DUBAN_DATABASE_URL": database_url}
    # An instance running on real time holds the lease now.
    running = dataclasses.replace(county, clock=FakeClock(START.replace(year=2099)))
    assert await lease.acquire(running, lease.SWEEP, "web-1:42:abcd", TTL)
    skipped = duban("sweep", "--now", "2099-11-23T09:01", "--no-deliver", cwd=tmp_path, env=env)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.splitlines() == [
        "sweep at 2099-11-23T09:01+08:00: skipped, web-1:42:abcd holds the sweep lease"
    ]
    # Once it has run out, the command sweeps, and gives the lease back when done.
    swept = duban("sweep", "--now", "2099-11-23T09:04", "--no-deliver", cwd=tmp_path, env=env)
    assert swept.returncode == 0, swept.stderr
    assert "items checked" in swept.stdout
    assert await lease.current(running, lease.SWEEP) is None


class Racing(FakeClock):
    """A clock that has moved on a day each time it is read, as a clock moved by someone
    else between two readings would have."""

    def now(self) -> datetime:
        moment = super().now()
        self.advance(timedelta(days=1))
        return moment


async def test_a_pass_runs_as_of_the_moment_its_lease_was_taken_for(
    county: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Racing(START)
    job = SweepJob(dataclasses.replace(county, clock=clock), Metrics(), holder="i0", ttl=TTL)
    with caplog.at_level(logging.INFO, logger="duban.sweep"):
        assert await job.turn() is not None
    held = await lease.current(dataclasses.replace(county, clock=FakeClock(START)), lease.SWEEP)
    assert held is not None and held.expires_at == START + TTL == job.until
    [begin] = [r for r in caplog.records if r.getMessage() == "sweep_begin"]
    # the pass is as of START, the moment its lease was taken for, not a later reading
    assert datetime.fromisoformat(begin.now) == START
