"""The sweep handles due items in batches (one transaction each): a bad item does not hold up
the others of its batch, and two sweeps at once never handle one item twice."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update

from domain.clock import FakeClock
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from services.sweep import run_sweep
from storage.db import Database
from storage.models import Counter, Item, Notification, TimelineEvent
from tests.conftest import START

UNITS = ["edu", "health", "transport", "housing", "resources", "agri", "civil", "eco"]
SWEEP_KINDS = [
    "receipt_chase",
    "before_due",
    "escalation",
    "duty_reminder",
    "duty_chase",
    "duty_notice",
]


async def new_items(rt: Runtime, count: int, *, spread_days: int = 0) -> list[int]:
    """``count`` items dispatched at START (or over the ``spread_days`` before it)."""
    ids = []
    for number in range(count):
        draft = ItemDraft(
            title=f"分批测试事项{number}",
            body="",
            source=Source.OTHER,
            time_class=TimeClass.GENERAL,
            lead_unit=UNITS[number % len(UNITS)],
            co_units=(UNITS[(number + 1) % len(UNITS)],) if number % 3 == 0 else (),
        )
        dispatched = START - timedelta(days=number % spread_days if spread_days else 0)
        view = await register_item(
            rt, Origin(None, via_api=True), draft, dispatch=True, dispatched_at=dispatched
        )
        ids.append(view.id)
    return ids


async def notifications_of(rt: Runtime, item_id: int) -> int:
    async with rt.db.session() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.item_id == item_id, Notification.kind.in_(SWEEP_KINDS))
            )
            or 0
        )


async def next_check(rt: Runtime, item_id: int) -> datetime | None:
    async with rt.db.session() as session:
        return await session.scalar(select(Item.next_check_at).where(Item.id == item_id))


async def test_an_item_that_raises_is_left_due_and_the_batch_goes_on(
    county: Runtime, clock: FakeClock
) -> None:
    rt = county
    ids = await new_items(rt, 5)
    await run_sweep(rt, START + timedelta(minutes=1))  # planned: receipt chasing tomorrow
    bad = ids[2]
    async with rt.db.session() as session:  # a row no planning can read (an unknown class)
        await session.execute(update(Item).where(Item.id == bad).values(time_class="bogus"))
        await session.commit()
    tomorrow = START + timedelta(days=1, minutes=5)
    result = await run_sweep(rt, tomorrow, batch=10)  # all five in one batch
    assert (result.items_checked, result.failed) == (4, 1)
    counts = [await notifications_of(rt, i) for i in ids]
    assert counts[2] == 0 and all(counts[:2] + counts[3:])
    seen = await next_check(rt, bad)
    assert seen is not None and seen <= tomorrow  # still due: tried again by the next pass
    again = await run_sweep(rt, tomorrow, batch=10)
    assert (again.items_checked, again.failed, again.queued) == (0, 1, 0)
    async with rt.db.session() as session:
        await session.execute(update(Item).where(Item.id == bad).values(time_class="general"))
        await session.commit()
    fixed = await run_sweep(rt, tomorrow, batch=10)
    assert (fixed.items_checked, fixed.failed) == (1, 0)
    after = [await notifications_of(rt, i) for i in ids]
    assert after[2] == fixed.reminders > 0 and after[:2] + after[3:] == counts[:2] + counts[3:]


async def _reject_notifications_of(rt: Runtime, item_id: int) -> None:
    """A database-side fault: inserting this item's notifications fails."""
    async with rt.db.session() as session:
        if rt.db.dialect == "postgresql":
            await session.execute(
                text(
                    "CREATE FUNCTION reject_item() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.item_id = {item_id} THEN RAISE EXCEPTION 'rejected'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER reject_item BEFORE INSERT ON notifications "
                    "FOR EACH ROW EXECUTE FUNCTION reject_item()"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE TRIGGER reject_item BEFORE INSERT ON notifications "
                    f"WHEN NEW.item_id = {item_id} BEGIN SELECT RAISE(ABORT, 'rejected'); END"
                )
            )
        await session.commit()


async def test_a_database_error_redoes_the_batch_one_item_at_a_time(
    county: Runtime, clock: FakeClock
) -> None:
    rt = county
    ids = await new_items(rt, 6)
    await run_sweep(rt, START + timedelta(minutes=1))
    bad = ids[4]
    await _reject_notifications_of(rt, bad)
    tomorrow = START + timedelta(days=1, minutes=5)
    result = await run_sweep(rt, tomorrow, batch=4)  # batches of 4 and 2
    assert (result.items_checked, result.failed) == (5, 1)
    counts = [await notifications_of(rt, i) for i in ids]
    assert counts[4] == 0 and all(counts[:4] + counts[5:])
    assert sum(counts) == result.reminders
    async with rt.db.session() as session:
        reminded = list(
            await session.scalars(
                select(TimelineEvent.data).where(TimelineEvent.kind == "reminded")
            )
        )
        # Each queued notification recorded once; the rolled-back batch left nothing behind.
        assert sum(len(data["recipients"]) for data in reminded) == result.reminders
        drop = "DROP TRIGGER reject_item"
        await session.execute(
            text(drop + (" ON notifications" if rt.db.dialect == "postgresql" else ""))
        )
        await session.commit()
    fixed = await run_sweep(rt, tomorrow, batch=4)
    assert (fixed.items_checked, fixed.failed) == (1, 0)
    after = [await notifications_of(rt, i) for i in ids]
    assert after[4] == fixed.reminders > 0 and after[:4] + after[5:] == counts[:4] + counts[5:]


async def test_two_sweeps_at_once_take_each_item_once(
    county: Runtime, database_url: str, clock: FakeClock
) -> None:
    """Two sweeps with their own engines (as two processes would), small batches, no lock:
    each due item is handled by exactly one of them, each notification and notice once."""
    rt = county
    # Dispatched over the last 25 days: receipts to chase, reminders, every ladder level.
    await new_items(rt, 48, spread_days=25)
    other = dataclasses.replace(rt, db=Database(database_url))
    try:
        now = START + timedelta(hours=1)
        first, second = await asyncio.gather(
            run_sweep(rt, now, batch=3), run_sweep(other, now, batch=3)
        )
    finally:
        await other.db.dispose()
    assert first.failed == second.failed == 0
    # Together they handled each item once. (On SQLite the one waiting for the write lock may
    # find nothing left; on PostgreSQL they take turns or skip each other's locked batches.)
    assert first.items_checked + second.items_checked == 48
    async with rt.db.session() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind.in_(SWEEP_KINDS))
        )
        issued = (
            await session.execute(
                select(TimelineEvent.item_id, TimelineEvent.data).where(
                    TimelineEvent.kind == "urging_notice"
                )
            )
        ).all()
        counter = await session.get(Counter, ("urging", 2026))
    assert stored == first.reminders + first.escalations + second.reminders + second.escalations
    assert stored is not None and stored > 50
    # Each number taken once and given (a unit's notice lists its items: one number, several
    # entries); no item is in two notices of one level and unit.
    numbers = {data["code"] for _, data in issued}
    assert numbers and counter is not None and counter.value == len(numbers)
    listed = [(item_id, data["level"], data.get("unit")) for item_id, data in issued]
    assert len(listed) == len(set(listed))
    again = await run_sweep(rt, now)
    assert (again.items_checked, again.queued) == (0, 0)
