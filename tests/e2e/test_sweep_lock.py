"""The sweep lock across processes: ``duban sweep`` skips while an instance holds it and says
who; a holder killed with SIGKILL frees it at once, so ``duban sweep`` run again straight after
sweeps (no lease to wait out)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from pathlib import Path

from bot.metrics import Metrics
from bot.sweep_job import SweepJob
from domain.clock import FakeClock
from services import sweep_lock
from services.runtime import Runtime
from storage.db import Database
from tests.conftest import START
from tests.e2e.test_cli import ROOT, duban

# A process that takes the sweep lock the way an instance's sweep job does, says so, and then
# hangs as a long pass would, until it is killed.
HOLD = """
import asyncio, dataclasses, sys
from bot import cli
from bot.metrics import Metrics
from bot.sweep_job import SweepJob

async def main():
    async with cli.runtime(cli.load_settings()) as rt:
        job = SweepJob(rt, Metrics(), holder="killed-1:7:beef")
        print("held" if await job.take() else "busy", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_duban_sweep_skips_while_an_instance_holds_the_lock(
    county: Runtime, database_url: str, tmp_path: Path
) -> None:
    env = {"DUBAN_DATABASE_URL": database_url}
    db = Database(database_url)
    running = SweepJob(dataclasses.replace(county, db=db), Metrics(), holder="web-1:42:abcd")
    try:
        assert await running.take()
        skipped = duban("sweep", "--now", "2026-11-23T09:01", "--no-deliver", cwd=tmp_path, env=env)
        assert skipped.returncode == 0, skipped.stderr
        assert skipped.stdout.splitlines() == [
            "sweep at 2026-11-23T09:01+08:00: skipped, web-1:42:abcd holds the sweep lock"
        ]
        # Given up, the command sweeps, and gives the lock back when done.
        await running.release()
        swept = duban("sweep", "--now", "2026-11-23T09:02", "--no-deliver", cwd=tmp_path, env=env)
        assert swept.returncode == 0, swept.stderr
        assert "items checked" in swept.stdout
        assert await sweep_lock.holder_of_sweep(db) is None
    finally:
        await running.release()
        await db.dispose()


async def test_a_killed_holder_frees_the_lock_at_once(
    county: Runtime, database_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")} | {
        "DUBAN_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), timeout=60)
        assert line.decode().strip() == "held"
        busy = duban("sweep", "--now", "2026-11-23T09:01", "--no-deliver", cwd=tmp_path, env=env)
        assert "killed-1:7:beef holds the sweep lock" in busy.stdout, busy.stderr
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(holder.wait(), timeout=10)
        # straight after the kill: no lease to run out, the next run sweeps
        swept = duban("sweep", "--now", "2026-11-23T09:02", "--no-deliver", cwd=tmp_path, env=env)
        assert swept.returncode == 0, swept.stderr
        assert "items checked" in swept.stdout, swept.stdout
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


async def test_clocks_play_no_part(county: Runtime, database_url: str) -> None:
    """An instance whose clock is a year ahead takes nothing from one on time, and the other
    way round."""
    ahead = Database(database_url)
    jobs = [
        SweepJob(dataclasses.replace(county, clock=FakeClock(START)), Metrics(), holder="now"),
        SweepJob(
            dataclasses.replace(county, db=ahead, clock=FakeClock(START.replace(year=2027))),
            Metrics(),
            holder="ahead",
        ),
    ]
    try:
        assert [await job.turn() is not None for job in jobs] == [True, False]
        await jobs[0].release()
        assert [await job.turn() is not None for job in reversed(jobs)] == [True, False]
    finally:
        for job in jobs:
            await job.release()
        await ahead.dispose()
