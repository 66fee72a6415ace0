"""One instance's share of the periodic sweep: it sweeps only while it holds the sweep lock.

Every instance of ``duban run`` schedules this job. Each turn it takes the lock, or checks that
it still holds it (:mod:`services.sweep_lock`); the holder sweeps, the others skip the turn.
The database holds the lock for as long as the holder's connection lives: when the holder stops
cleanly it gives the lock up, and when it dies its connection closes and the next instance to ask
(within one sweep interval) takes it over. No instance's clock decides who holds it.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.metrics import Metrics
from services import sweep_lock
from services.runtime import Runtime
from services.sweep import SweepResult, run_sweep

log = logging.getLogger("duban.sweep")


class SweepJob:
    def __init__(self, rt: Runtime, metrics: Metrics, *, holder: str | None = None) -> None:
        self.rt = rt
        self.metrics = metrics
        self.holder = holder or sweep_lock.new_holder_id()
        self.lock = sweep_lock.sweep_lock(rt.db, self.holder)
        self.holding = False
        self._asking = asyncio.Lock()  # the sweep and the bulletin ask from one instance

    async def take(self) -> bool:
        """Take the sweep lock or confirm we hold it; False when another instance holds it."""
        async with self._asking:
            held = await self.lock.take()
            if held != self.holding:
                log.info(
                    "sweep_lock_taken" if held else "sweep_lock_lost",
                    extra={"holder": self.holder},
                )
            self.holding = held
            self.metrics.sweep_lease_held.set(1 if held else 0)
            return held

    async def turn(self) -> SweepResult | None:
        """One turn of the job: a sweep pass if this instance holds the lock, else nothing."""
        if not await self.take():
            return None
        now = self.rt.clock.now()
        log.info("sweep_begin", extra={"holder": self.holder, "now": now.isoformat()})
        result = await run_sweep(self.rt, now)
        log.info("sweep_end", extra={"holder": self.holder})
        self.metrics.sweeps.labels("reminder").inc(result.reminders)
        self.metrics.sweeps.labels("escalation").inc(result.escalations)
        self.metrics.sweeps.labels("digest").inc(result.digests)
        return result

    async def release(self) -> None:
        """Give the lock up (a clean stop), so another instance takes it on its next turn."""
        async with self._asking:
            if self.holding:
                log.info("sweep_lock_released", extra={"holder": self.holder})
            await self.lock.release()
            self.holding = False
            self.metrics.sweep_lease_held.set(0)


SWEEP_JOB = web.AppKey("sweep_job", SweepJob)
