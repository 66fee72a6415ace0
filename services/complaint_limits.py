"""Slowing down code guesses and floods of complaints, without knowing who sends them.

The counts are kept in the database, so they hold whichever instance an attempt lands on. A
sender (a chat's user id, a web client's address) appears there only as a keyed hash whose
label holds the day (:meth:`services.sealing.Sealer.limit_key`): one day's counts cannot be
linked to another's, and nothing of the sender is stored or logged. Counts are kept per fixed
window, not per attempt, so no exact moment of anyone's attempt is kept either; the sweep
deletes them when their window is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from domain.complaints import Limits, in_last, window_start
from domain.deadlines import local_date
from services.complaints import PublicStatus, status_by_code
from services.runtime import Runtime
from storage.models import ComplaintLimit
from storage.upserts import insert_for

WRONG = "wrong"  # wrong codes of one sender
OVERALL = "overall"  # wrong codes of everyone together, under EVERYONE
FILED = "filed"  # complaints and additions of one sender
LOCKED = "locked"  # one sender may not check codes until the row expires
EVERYONE = "*"


@dataclass(frozen=True)
class TrackResult:
    """``refused``: too many wrong codes lately (said whatever the code); else the status, or
    None for a code that opens nothing."""

    refused: bool
    status: PublicStatus | None = None


class Tracker:
    """The guard for code checks and filings of one channel (``chat``, ``web``)."""

    def __init__(self, limits: Limits | None = None, *, channel: str = "web") -> None:
        self.limits = limits or Limits()
        self.channel = channel

    def sender_key(self, rt: Runtime, sender: str) -> str:
        """The sender as counted today (a keyed hash; tomorrow's differs)."""
        today = local_date(rt.clock.now(), rt.tz)
        return rt.sealer.limit_key(self.channel, sender, today)

    async def check(self, rt: Runtime, sender: str, code: str) -> TrackResult:
        key, now, limits = self.sender_key(rt, sender), rt.clock.now(), self.limits
        locked = await _count(rt, key, LOCKED, now, None) > 0
        everyone = await _count(rt, EVERYONE, OVERALL, now, limits.overall_window)
        if locked or everyone >= limits.overall:
            return TrackResult(refused=True)
        status = await status_by_code(rt, code)
        if status is None:
            await _add(rt, EVERYONE, OVERALL, now, limits.overall_window)
            await _add(rt, key, WRONG, now, limits.per_sender_window)
            if await _count(rt, key, WRONG, now, limits.per_sender_window) >= limits.per_sender:
                await _add(rt, key, LOCKED, now, limits.lockout, lasting=limits.lockout)
        return TrackResult(refused=False, status=status)

    async def may_file(self, rt: Runtime, sender: str) -> bool:
        key, now, limits = self.sender_key(rt, sender), rt.clock.now(), self.limits
        filed = await _count(rt, key, FILED, now, limits.filings_window)
        return filed < limits.filings_per_sender

    async def filed(self, rt: Runtime, sender: str) -> None:
        key = self.sender_key(rt, sender)
        await _add(rt, key, FILED, rt.clock.now(), self.limits.filings_window)


async def _count(rt: Runtime, key: str, kind: str, now: datetime, width: timedelta | None) -> float:
    """Events of ``kind`` under ``key`` in the last ``width`` (None: rows not yet expired)."""
    where = [ComplaintLimit.key == key, ComplaintLimit.kind == kind]
    async with rt.db.session() as session:
        if width is None:
            live = await session.scalar(
                select(func.count()).where(*where, ComplaintLimit.expires_at > now)
            )
            return float(live or 0)
        current = window_start(now, width)
        rows = await session.execute(
            select(ComplaintLimit.window_start, ComplaintLimit.count).where(
                *where, ComplaintLimit.window_start.in_([current, current - width])
            )
        )
        counts = {start: count for start, count in rows}
    return in_last(counts.get(current, 0), counts.get(current - width, 0), now, width)


async def _add(
    rt: Runtime,
    key: str,
    kind: str,
    now: datetime,
    width: timedelta,
    *,
    lasting: timedelta | None = None,
) -> None:
    """One more event in the current window; the row expires when no count needs it
    (after ``lasting`` from now, when given)."""
    start = window_start(now, width)
    expires_at = now + lasting if lasting is not None else start + 2 * width
    async with rt.db.session() as session:
        statement = insert_for(session, ComplaintLimit).values(
            key=key, kind=kind, window_start=start, count=1, expires_at=expires_at
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["key", "kind", "window_start"],
                set_={"count": ComplaintLimit.count + 1, "expires_at": expires_at},
            )
        )
        await session.commit()
