"""One instance's share of the periodic sweep: it sweeps only while it holds the sweep lease.

Every instance of ``duban run`` schedules this job. Each turn it takes or renews the lease
(:mod:`services.lease`); the holder sweeps, the others wait for their next turn. While a pass
runs, the lease is renewed beside it, so a long pass keeps it. When the holder stops cleanly it
gives the lease up; when it dies, the lease runs out and the next instance to ask takes it over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from aiohttp import web

from bot.metrics import Metrics
from services import lease
from services.runtime import Runtime
from services.sweep import SweepResult, run_sweep

log = logging.getLogger("duban.sweep")


class SweepJob:
    def __init__(
        self,
        rt: Runtime,
        metrics: Metrics,
        *,
        holder: str | None = None,
        ttl: timedelta = lease.SWEEP_LEASE,
    ) -> None:
        self.rt = rt
        self.metrics = metrics
        self.holder = holder or lease.new_holder_id()
        self.ttl = ttl
        self.holding = False
        self.until: datetime | None = None  # our lease's expiry, by rt.clock, while holding

    async def take(self, now: datetime | None = None) -> bool:
        """Take or renew the lease as of ``now``; False when another instance holds it."""
        now = self.rt.clock.now() if now is None else now
        held = await lease.acquire(self.rt, lease.SWEEP, self.holder, self.ttl, now)
        if held != self.holding:
            log.info("sweep_lease_taken" if held else "sweep_lease_lost", extra=self._fields())
        self.holding = held
        self.until = now + self.ttl if held else None
        self.metrics.sweep_lease_held.set(1 if held else 0)
        return held

    async def turn(self) -> SweepResult | None:
        """One turn of the job: a sweep pass if this instance holds the lease, else nothing.

        The pass runs as of the moment the lease was taken for, never of a later reading of
        the clock, which may lie past the lease (and another instance may hold it by then).
        """
        now = self.rt.clock.now()
        if not await self.take(now):
            return None
        log.info("sweep_begin", extra={**self._fields(), "now": now.isoformat()})
        renewing = asyncio.create_task(self._renew_while_sweeping())
        try:
            result = await run_sweep(self.rt, now)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        log.info("sweep_end", extra=self._fields())
        self.metrics.sweeps.labels("reminder").inc(result.reminders)
        self.metrics.sweeps.labels("escalation").inc(result.escalations)
        self.metrics.sweeps.labels("digest").inc(result.digests)
        return result

    async def _renew_while_sweeping(self) -> None:
        while True:
            await asyncio.sleep(self.ttl.total_seconds() / 3)
            try:
                await self.take()
            except Exception:
                log.exception("sweep_lease_renewal_failed")

    async def release(self) -> None:
        """Give the lease up (a clean stop), so another instance need not wait it out."""
        if await lease.release(self.rt, lease.SWEEP, self.holder):
            log.info("sweep_lease_released", extra={"holder": self.holder})
        self.holding = False
        self.until = None
        self.metrics.sweep_lease_held.set(0)

    def _fields(self) -> dict[str, str]:
        until = self.until.isoformat() if self.until else "-"
        return {"holder": self.holder, "until": until}


SWEEP_JOB = web.AppKey("sweep_job", SweepJob)
