"""The sweep (DESIGN §3): which reminders and escalations are due, decided from the database and
the time alone, each queued once in the outbox.

How it stays cheap: every item keeps ``next_check_at``, the earliest moment at which anything of
its schedule (receipt chasing, before-due reminders, report reminders, deadlines to chase,
ladder levels) can come.
A pass reads only items whose ``next_check_at`` has come (an index range), handles each, and
stores the next moment (or NULL when nothing lies ahead). Changing an item's status, dispatch
time, due date or receipt deadline resets it to ``CHECK_NOW`` (a listener in
``storage.models``), so an extension or a reopening is looked at by the next pass and a closed
item drops out. The cost of a pass grows with what is due, not with how many items exist.

How it stays exactly-once: due items are handled in batches of up to ``BATCH``, each batch in
one transaction that first claims its items — on PostgreSQL ``SELECT ... FOR UPDATE SKIP
LOCKED`` (another sweep's items are passed over), on SQLite a conditional UPDATE ... RETURNING
that takes the write lock before anything is read — so two sweeps (two processes, SQLite or
PostgreSQL) never handle one item at once, and what is read about a claimed item is current.
The batch's items and assignments (as plain rows, only the columns a pass reads:
``services.sweep_rows``), units, contacts and people are read in a few queries for the whole
batch; its notifications go in as multi-row statements of values converted once
(``services.sweep_batch``, ``storage.bulk``). Every notification has an idempotency key
``item:<id>|<scope>|person:<id>|<occasion key>`` and is inserted with ON CONFLICT DO NOTHING,
so a re-run adds nothing twice; a batch's notifications, timeline entries and its items' next
check are committed together, so a crash mid-batch leaves its items due and the next pass does
them as if for the first time. Occasion keys name the due date they count from
(``escalation:2:2026-12-03``), so a new due date brings new reminders and
a new ladder. The written urging notices of one unit in one batch are one notice listing its
items (``services.sweep_urging``), issued before the batch's messages are built.

One bad item does not hold up the others: an item whose planning or messages raise is logged
and left out of its batch (still due, tried again by the next pass, not again by this one); when
a batch's writes fail in the database, the batch is rolled back and redone one item per
transaction, so only the item at fault stays behind.

Escalation level: the item's level is the highest level whose notices have actually been
DELIVERED for its current due date (``services.escalation_level``, refreshed by the deliverer
when an escalation is sent, and by the sweep when the due date changes — an approved extension
resets the level to 0). The inspection mark (列入督查) stays once given: the timeline keeps when
and why. The numbered urging notice is issued once per item, level and due date (the claim
above, and the timeline entry that records its number, make it so).

Lateness: an occasion the sweep finds more than ``domain.reminders.LATE_AFTER`` past (the
process was down) is still queued, marked late. Before-due reminders that a later one supersedes
are not sent late (one "due in 1 day" instead of "3 days" and "1 day" together), and none after
the deadline: the ladder takes over.

Where the rest lives: what an item's plan holds, ``domain.occasions``; who is told,
``domain.recipients``; the messages and their timeline entries, ``services.sweep_notices``; the
people and units they are read from, ``services.sweep_people``; the morning digest that ends a
pass, ``services.digest``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.occasions import PlannedOccasion, next_check, plan_item
from domain.recipients import Directory
from domain.talks import TalkFacts
from services.chases import item_facts
from services.complaint_drafts import delete_expired
from services.digest import run_digest
from services.escalation_level import delivered_levels
from services.public_notices import expire_drafts
from services.runtime import Runtime
from services.sweep_batch import SweepWrites, claim_due, write
from services.sweep_notices import LoadedBatch, load_for_messages, queue_due
from services.sweep_people import ItemUnits, directory, load_units
from services.sweep_rows import SweptItem, load_items
from services.sweep_urging import issue_unit_notices
from services.talk_commitments import talk_facts
from services.views import OPEN_STATUSES
from storage.models import CHECK_NOW

log = logging.getLogger("duban.sweep")

BATCH = 500  # items claimed and handled per transaction


@dataclass
class SweepResult:
    items_checked: int = 0
    reminders: int = 0
    escalations: int = 0
    digests: int = 0
    busy: int = 0  # items another sweep took first
    failed: int = 0  # items that could not be handled: logged, left due for the next pass
    expired: int = 0  # complaint drafts and limit counts whose time was over, deleted
    notices_expired: int = 0  # draft notices (通报) left unconfirmed past their time

    @property
    def queued(self) -> int:
        return self.reminders + self.escalations + self.digests

    def add(self, other: SweepResult) -> None:
        self.items_checked += other.items_checked
        self.reminders += other.reminders
        self.escalations += other.escalations
        self.digests += other.digests
        self.busy += other.busy
        self.failed += other.failed
        self.expired += other.expired


async def run_sweep(rt: Runtime, now: datetime | None = None, *, batch: int = BATCH) -> SweepResult:
    """One pass at ``now`` (default: the clock): queue what is due, once; ``batch`` items per
    transaction."""
    now = now or rt.clock.now()
    result = SweepResult()
    async with rt.db.session() as session:
        people = await directory(session)
    failed: set[int] = set()  # left due for the next pass, not claimed again in this one
    while await _sweep_batch(rt, people, now, result, failed, batch) >= batch:
        pass
    result.digests = await run_digest(rt, now)
    result.expired = await delete_expired(rt, now)
    result.notices_expired = await expire_drafts(rt, now)
    if result.queued:
        rt.wake_outbox()
    log.info(
        "sweep_done",
        extra={
            "items": result.items_checked,
            "reminders": result.reminders,
            "escalations": result.escalations,
            "digests": result.digests,
            "failed": result.failed,
        },
    )
    return result


async def _sweep_batch(
    rt: Runtime,
    people: Directory,
    now: datetime,
    result: SweepResult,
    failed: set[int],
    batch: int,
    only: list[int] | None = None,
) -> int:
    """Claim and handle one batch in one transaction; how many items it claimed.

    An item whose planning or messages raise is left out of the batch (logged, left due, tried
    again by the next pass); the others are committed. When the batch's writes fail in the
    database, the batch is rolled back and its items are handled one per transaction, so only
    the item at fault stays behind."""
    tally = SweepResult()
    async with rt.db.session() as session:
        claimed = await claim_due(session, now, failed, only, batch)
        if not claimed:
            return 0
        try:
            bad = await _handle(rt, session, people, claimed, now, tally)
            await session.commit()
        except SQLAlchemyError:
            await session.rollback()
            if len(claimed) == 1:
                log.exception("sweep_item_failed", extra={"item": claimed[0][0]})
                failed.add(claimed[0][0])
                result.failed += 1
                return 1
            log.warning("sweep_batch_failed", exc_info=True, extra={"items": len(claimed)})
            bad = None
    if bad is None:
        for item_id, _ in claimed:
            if not await _sweep_batch(rt, people, now, result, failed, 1, only=[item_id]):
                result.busy += 1  # another sweep took it meanwhile
        return len(claimed)
    failed |= bad
    result.add(tally)
    return len(claimed)


async def _handle(
    rt: Runtime,
    session: AsyncSession,
    people: Directory,
    claimed: list[tuple[int, datetime]],
    now: datetime,
    tally: SweepResult,
) -> set[int]:
    """Plan the claimed items, queue what is due, store each one's next check; the items that
    failed (left out, still due)."""
    ids = [item_id for item_id, _ in claimed]
    items = await load_items(session, ids)  # changed in memory here; written in one statement
    units = await load_units(session, ids)
    talks = await talk_facts(session, ids)
    failed: set[int] = set()
    plans = _plan(rt, items, PlanInputs(units, talks), ids, now, failed)
    rechecked = [items[i] for i, seen in claimed if seen == CHECK_NOW and i in plans]
    if rechecked:
        levels = await delivered_levels(session, rechecked)
        for item in rechecked:
            item.escalation_level = levels.get(item.id, 0)
    due = {i: [p for p in planned if p.occasion.at <= now] for i, planned in plans.items()}
    batch = await load_for_messages(rt, session, now, people, items, units, due)
    writes = SweepWrites()
    await issue_unit_notices(rt, session, now, (items, units, due), batch.notices, writes)
    for item_id, planned in plans.items():
        own = SweepWrites()
        if await _queue(batch, items[item_id], units[item_id], planned, due[item_id], own, writes):
            writes.extend(own)
        else:
            failed.add(item_id)
    written = await write(session, writes)
    tally.reminders += written.reminders
    tally.escalations += written.escalations
    tally.items_checked += len(writes.items)
    tally.failed += len(failed)
    return failed


@dataclass(frozen=True)
class PlanInputs:
    """What the claimed items' plans read besides the items: their units, their talks."""

    units: dict[int, ItemUnits]
    talks: dict[int, tuple[TalkFacts, ...]]


def _plan(
    rt: Runtime,
    items: dict[int, SweptItem],
    inputs: PlanInputs,
    ids: list[int],
    now: datetime,
    failed: set[int],
) -> dict[int, list[PlannedOccasion]]:
    """Each item's plan; an item whose planning raises is logged and added to ``failed``."""
    plans: dict[int, list[PlannedOccasion]] = {}
    for item_id in ids:
        try:
            item = items[item_id]
            plans[item_id] = plan_item(
                item_facts(item, item.status in OPEN_STATUSES, inputs.talks.get(item_id, ())),
                inputs.units[item_id].units,
                now,
                rt.policy,
                rt.tz,
                rt.calendar,
            )
        except Exception:
            log.exception("sweep_item_failed", extra={"item": item_id})
            failed.add(item_id)
    return plans


async def _queue(
    batch: LoadedBatch,
    item: SweptItem,
    units: ItemUnits,
    planned: list[PlannedOccasion],
    due: list[PlannedOccasion],
    own: SweepWrites,
    kept: SweepWrites,
) -> bool:
    """Queue the item's due occasions and its new state into ``own`` (``kept``: see
    :func:`queue_due`); False when that raised (logged; the item is left out, still due). A
    database error is raised: the batch is redone one item at a time."""
    try:
        if due:
            await queue_due(batch, item, units, due, own, kept)
        own.keep_item(
            item.id, next_check(planned, batch.now), item.escalation_level, item.inspection
        )
    except SQLAlchemyError:
        raise
    except Exception:
        log.exception("sweep_item_failed", extra={"item": item.id})
        return False
    return True
