"""The sweep lease: one holder at a time, renewed by its holder, taken over only once it has run
out — on the real database (SQLite, and PostgreSQL in the run with DUBAN_TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from sqlalchemy import select

from domain.clock import FakeClock
from services import lease
from services.runtime import Runtime
from storage.db import Database
from storage.models import Lease

TTL = timedelta(minutes=3)


async def holder_row(rt: Runtime) -> tuple[str, object, object] | None:
    async with rt.db.session() as session:
        row = (
            await session.execute(
                select(Lease.holder, Lease.acquired_at, Lease.expires_at).where(
                    Lease.name == lease.SWEEP
                )
            )
        ).first()
    return None if row is None else (row[0], row[1], row[2])


async def test_a_free_lease_is_taken_and_a_held_one_is_refused_until_it_runs_out(
    rt: Runtime, clock: FakeClock
) -> None:
    start = clock.now()
    assert await lease.current(rt, lease.SWEEP) is None
    assert await lease.acquire(rt, lease.SWEEP, "a", TTL)
    assert await holder_row(rt) == ("a", start, start + TTL)

    clock.advance(TTL - timedelta(seconds=1))
    assert not await lease.acquire(rt, lease.SWEEP, "b", TTL)
    info = await lease.current(rt, lease.SWEEP)
    assert info is not None and info.holder == "a"

    clock.advance(timedelta(seconds=1))  # exactly at expiry: free
    assert await lease.current(rt, lease.SWEEP) is None
    assert await lease.acquire(rt, lease.SWEEP, "b", TTL)
    assert await holder_row(rt) == ("b", clock.now(), clock.now() + TTL)
    assert not await lease.acquire(rt, lease.SWEEP, "a", TTL)  # the old holder lost it


async def test_the_holder_renews_and_keeps_it_past_the_first_expiry(
    rt: Runtime, clock: FakeClock
) -> None:
    start = clock.now()
    assert await lease.acquire(rt, lease.SWEEP, "a", TTL)
    for _ in range(5):
        clock.advance(TTL / 2)
        assert await lease.acquire(rt, lease.SWEEP, "a", TTL)
        assert not await lease.acquire(rt, lease.SWEEP, "b", TTL)
    # renewals keep when it was first taken and push the expiry on
    assert await holder_row(rt) == ("a", start, clock.now() + TTL)
    assert clock.now() > start + TTL


async def test_release_frees_it_at_once_but_only_for_its_holder(
    rt: Runtime, clock: FakeClock
) -> None:
    assert await lease.acquire(rt, lease.SWEEP, "a", TTL)
    assert not await lease.release(rt, lease.SWEEP, "b")
    assert not await lease.acquire(rt, lease.SWEEP, "b", TTL)
    assert await lease.release(rt, lease.SWEEP, "a")
    assert await lease.current(rt, lease.SWEEP) is None
    assert await lease.acquire(rt, lease.SWEEP, "b", TTL)
    assert not await lease.release(rt, lease.SWEEP, "a")


async def test_leases_are_by_name(rt: Runtime) -> None:
    assert await lease.acquire(rt, lease.SWEEP, "a", TTL)
    assert await lease.acquire(rt, "bulletin", "b", TTL)
    assert not await lease.acquire(rt, "bulletin", "a", TTL)


async def test_a_lease_taken_by_a_run_acting_in_the_future_does_not_lock_out_the_present(
    rt: Runtime, clock: FakeClock
) -> None:
    """``duban sweep --now`` a month ahead that died before releasing: the instances running
    on today's clock take the lease over rather than wait a month."""
    future = dataclasses.replace(rt, clock=FakeClock(clock.now() + timedelta(days=30)))
    assert await lease.acquire(future, lease.SWEEP, "cli", TTL)
    assert await lease.acquire(rt, lease.SWEEP, "a", TTL)
    # one acting only a little ahead (clock skew within the lease's length) is respected
    near = dataclasses.replace(rt, clock=FakeClock(clock.now() + TTL / 2))
    assert await lease.release(rt, lease.SWEEP, "a")
    assert await lease.acquire(near, lease.SWEEP, "b", TTL)
    assert not await lease.acquire(rt, lease.SWEEP, "a", TTL)


def test_holder_ids_differ_per_instance_and_fit_the_column() -> None:
    first, second = lease.new_holder_id(), lease.new_holder_id()
    assert first != second
    host, pid, random = first.split(":")
    assert pid.isdigit() and len(random) == 8 and host
    assert len(first) <= Lease.__table__.c.holder.type.length  # type: ignore[attr-defined]


async def contenders(database_url: str, clock: FakeClock, rt: Runtime, n: int) -> list[Runtime]:
    """``n`` runtimes with engines of their own, as separate processes would have."""
    return [dataclasses.replace(rt, db=Database(database_url)) for _ in range(n)]


async def test_acquirers_at_once_one_wins_on_a_free_and_on_an_expired_lease(
    database_url: str, rt: Runtime, clock: FakeClock
) -> None:
    instances = await contenders(database_url, clock, rt, 4)
    try:
        for other in instances:  # open every connection before the race
            await other.db.ping()
        for round_ in range(12):
            names = [f"i{k}" for k in range(len(instances))]
            won = await asyncio.gather(
                *(
                    lease.acquire(other, lease.SWEEP, name, TTL)
                    for other, name in zip(instances, names, strict=True)
                )
            )
            assert sum(won) == 1, (round_, won)
            winner = names[won.index(True)]
            row = await holder_row(rt)
            assert row is not None and row[0] == winner
            # the winner renews while the others still find it held
            again = await asyncio.gather(
                *(
                    lease.acquire(other, lease.SWEEP, name, TTL)
                    for other, name in zip(instances, names, strict=True)
                )
            )
            assert again == [name == winner for name in names]
            clock.advance(TTL)  # it runs out: the next round races for an expired lease
    finally:
        for other in instances:
            await other.db.dispose()
