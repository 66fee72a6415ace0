"""A notification's claim is a lease between instances, judged by the database server's clock:
an instance an hour fast cannot take a live claim, one an hour slow does not keep a dead one —
on the real database (SQLite, and PostgreSQL in the run with DUBAN_TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.clock import FakeClock
from services.outbox import claims
from services.outbox.queue import enqueue
from services.runtime import Runtime
from storage.db import Database
from storage.models import Notification, Person
from storage.server_clock import server_time

AN_HOUR = timedelta(hours=1)
LEASE = timedelta(seconds=60)
COUNT = 12


@pytest.fixture
async def skewed(database_url: str, rt: Runtime) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """Two instances with engines of their own: one's clock an hour fast, one's an hour slow."""
    fast, slow = (
        dataclasses.replace(rt, db=Database(database_url), clock=FakeClock(rt.clock.now() + by))
        for by in (AN_HOUR, -AN_HOUR)
    )
    yield fast, slow
    await fast.db.dispose()
    await slow.db.dispose()


async def queue(rt: Runtime, count: int) -> None:
    """``count`` notifications queued two hours ago: due by either skewed clock."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        for number in range(count):
            person = Person(key=f"p{number}", name=f"人{number}", created_at=now, updated_at=now)
            session.add(person)
            await session.flush()
            await enqueue(
                session,
                key=f"lease|{number}",
                person_id=person.id,
                kind="test",
                text=f"通知{number}",
                not_before=now - 2 * AN_HOUR,
                created_at=now - 2 * AN_HOUR,
            )
        await session.commit()


async def database_time(rt: Runtime) -> datetime:
    async with rt.db.session() as session:
        return await session.scalar(select(server_time()))  # type: ignore[return-value]


async def latest_claim(rt: Runtime) -> datetime:
    async with rt.db.session() as session:
        return await session.scalar(select(func.max(Notification.claimed_until)))  # type: ignore[return-value]


async def test_instances_an_hour_apart_never_take_a_live_claim(
    rt: Runtime, skewed: tuple[Runtime, Runtime]
) -> None:
    fast, slow = skewed
    await queue(rt, COUNT)
    first = await claims.claim(fast, limit=5, lease=LEASE)
    rest = await claims.claim(slow, limit=100, lease=LEASE)
    assert len(first) == 5 and len(rest) == COUNT - 5
    assert not {o.id for o in first} & {o.id for o in rest}
    # An hour fast: the slow one's claims are live by the database's clock, not run out.
    assert await claims.claim(fast, limit=100, lease=LEASE) == []
    assert await claims.claim(slow, limit=100, lease=LEASE) == []
    # Renewed by the slow one: a lease from the database's time, still live for the fast one.
    await claims.extend(slow, [o.id for o in rest], LEASE)
    assert await claims.claim(fast, limit=100, lease=LEASE) == []
    # Every claim runs one lease from the database's time, whatever the claimer's clock said.
    now = await database_time(rt)
    async with rt.db.session() as session:
        until = list(await session.scalars(select(Notification.claimed_until)))
    assert all(u is not None and now < u <= now + LEASE for u in until), (now, until)
    # Given back: free at once for anyone.
    await claims.release(slow, [o.id for o in rest])
    assert {o.id for o in await claims.claim(fast, limit=100, lease=LEASE)} == {o.id for o in rest}


async def test_a_dead_senders_claim_is_taken_over_after_its_lease_by_the_database_clock(
    rt: Runtime, skewed: tuple[Runtime, Runtime]
) -> None:
    """A sender claimed and died (nothing recorded). The two others ask for work over and over:
    neither gets the dead sender's notifications while its lease is live by the database's
    clock (the fast one's clock says it ran out an hour ago), and one of them gets them as soon
    as it has run out (the slow one's clock says an hour to go).

    The database's clock is the one clock a test cannot move, so the lease is short and the
    test asks until the database's time has passed it."""
    fast, slow = skewed
    await queue(rt, COUNT)
    short = timedelta(seconds=0.5)
    claimed_from = await database_time(rt)
    dead = {o.id for o in await claims.claim(rt, limit=COUNT, lease=short)}
    claimed_by = await database_time(rt)
    assert len(dead) == COUNT
    # its lease: from the database's time of the claim, not the dead sender's clock
    assert claimed_from + short <= await latest_claim(rt) <= claimed_by + short
    taken: set[int] = set()
    deadline = time.monotonic() + 20
    while not taken:
        assert time.monotonic() < deadline, "the dead sender's claims were never taken over"
        for instance in (fast, slow):
            before = await database_time(instance)
            got = {o.id for o in await claims.claim(instance, limit=COUNT, lease=LEASE)}
            if got:  # taken over only once the lease had run out by the database's clock
                assert await database_time(instance) > claimed_from + short
                assert got == dead
                taken = got
                break
            assert before <= claimed_by + short  # run out by the database's clock, not taken
        else:
            await asyncio.sleep(0.05)  # the database's clock runs on its own
