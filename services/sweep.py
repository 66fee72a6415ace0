"""The sweep (DESIGN §3): which reminders and escalations are due, decided from the database and
the time alone, each queued once in the outbox.

How it stays cheap: every item keeps ``next_check_at``, the earliest moment at which anything of
its schedule (receipt chasing, before-due reminders, report reminders, ladder levels) can come.
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
The batch's assignments, units, contacts and people are read in a few queries for the whole
batch; its notifications are inserted in one statement. Every notification has an idempotency
key ``item:<id>|<scope>|person:<id>|<occasion key>`` and is inserted with ON CONFLICT DO NOTHING,
so a re-run adds nothing twice; a batch's notifications, timeline entries and its items' next
check are committed together, so a crash mid-batch leaves its items due and the next pass does
them as if for the first time. Occasion keys name the due date they count from
(``escalation:2:2026-12-03``), so a new due date brings new reminders and a new ladder.

One bad item does not hold up the others: an item whose planning or messages raise is logged
and left out of its batch (still due, tried again by the next pass, not again by this one); when
a batch's writes fail in the database, the batch is rolled back and redone one item per
transaction, so only the item at fault stays behind.

Escalation level: the item's level is the highest level whose notices have actually been
DELIVERED for its current due date (:func:`refresh_escalation_level`, called by the deliverer
when an escalation is sent, and by the sweep when the due date changes — an approved extension
resets the level to 0). The inspection mark (列入督查) stays once given: the timeline keeps when
and why. The numbered urging notice is issued once per item, level and due date (the claim
above, and the timeline entry that records its number, make it so).

Lateness: an occasion the sweep finds more than ``LATE_AFTER`` past (the process was down) is
still queued, marked late. Before-due reminders that a later one supersedes are not sent late
(one "due in 1 day" instead of "3 days" and "1 day" together), and none after the deadline: the
ladder takes over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import at_local_time, local_date, periodic_report_dates
from domain.ladder import escalation_occasions, respects_quiet_hours
from domain.policy import LadderAction, LadderLevel, Recipient, ReportEvery
from domain.quiet_hours import hold_until, is_quiet
from domain.reminders import (
    Occasion,
    OccasionKind,
    before_due_occasions,
    receipt_chase_occasions,
    report_reminder_occasions,
)
from domain.views import ItemView, PersonRef
from domain.vocabulary import AssignmentStatus, ItemStatus, NotificationStatus, Role, TimeClass
from services.items import next_number
from services.outbox import enqueue, enqueue_many, notification_row
from services.runtime import Runtime
from services.timeline import Kind
from services.views import OPEN_STATUSES, build_item_view, item_light
from storage.models import (
    CHECK_NOW,
    Assignment,
    Item,
    Notification,
    Person,
    PersonRole,
    Setting,
    TimelineEvent,
    Unit,
    UnitContact,
)
from texts import items as item_texts
from texts import reminders as texts

log = logging.getLogger("duban.sweep")

# Core tables: the batch writes are plain executemany statements, not ORM bulk operations.
ITEMS = cast(Table, Item.__table__)
TIMELINE = cast(Table, TimelineEvent.__table__)

BATCH = 200  # items claimed and handled per transaction
LATE_AFTER = timedelta(minutes=10)
DIGEST_SETTING = "digest_last_day"

# Notification kinds the sweep and the ladder queue.
RECEIPT_CHASE = str(OccasionKind.RECEIPT_CHASE)
BEFORE_DUE = str(OccasionKind.BEFORE_DUE)
REPORT_DUE = str(OccasionKind.REPORT_DUE_SOON)
ESCALATION = str(OccasionKind.ESCALATION)
DIGEST = "digest"
URGE = "urge"
TALK = "talk"
CRITICISM = "criticism"
FORWARDED = "forwarded"
OFFICE_ALERT = "office_alert"
SWEEP_KINDS = frozenset({RECEIPT_CHASE, BEFORE_DUE, REPORT_DUE, ESCALATION})
# Kinds the sender may merge into one message when several are due to one chat at once.
MERGEABLE = frozenset({BEFORE_DUE, REPORT_DUE, DIGEST})


@dataclass
class SweepResult:
    items_checked: int = 0
    reminders: int = 0
    escalations: int = 0
    digests: int = 0
    busy: int = 0  # items another sweep took first
    failed: int = 0  # items that could not be handled: logged, left due for the next pass

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


@dataclass(frozen=True)
class Recip:
    id: int
    name: str
    locale: str | None
    role: Recipient


@dataclass(frozen=True)
class UnitInfo:
    assignment: Assignment
    unit_id: int
    name: str
    head: Recip | None
    contacts: tuple[Recip, ...]
    key: str = ""
    leader_id: int | None = None  # the unit's deputy leader

    def people(self, role: Recipient) -> list[Recip]:
        if role is Recipient.UNIT_CONTACT:
            return list(self.contacts)
        if role is Recipient.UNIT_HEAD:
            return [self.head] if self.head is not None else []
        return []

    @property
    def open(self) -> bool:
        return AssignmentStatus(self.assignment.status) is not AssignmentStatus.COMPLETED


@dataclass
class Directory:
    """The office and the principal leaders, looked up once per pass."""

    office: list[Recip] = field(default_factory=list)
    principals: list[Recip] = field(default_factory=list)


def basis_due(due: date | None) -> str:
    return f"due:{due.isoformat() if due else '-'}"


# --- people ------------------------------------------------------------------------------------


async def role_holders(session: AsyncSession, role: Role, as_: Recipient) -> list[Recip]:
    rows = await session.execute(
        select(Person.id, Person.name, Person.locale)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == str(role), Person.active)
        .order_by(Person.id)
    )
    return [Recip(pid, name, locale, as_) for pid, name, locale in rows]


async def directory(session: AsyncSession) -> Directory:
    return Directory(
        office=await role_holders(session, Role.SUPERVISOR, Recipient.OFFICE),
        principals=await role_holders(session, Role.PRINCIPAL, Recipient.PRINCIPAL),
    )


@dataclass(frozen=True)
class Someone:
    """A person as the sweep's messages name them (active or not)."""

    id: int
    key: str
    name: str
    locale: str | None
    active: bool

    def as_(self, role: Recipient) -> Recip | None:
        """As a recipient in ``role``; None when they are no longer active."""
        return Recip(self.id, self.name, self.locale, role) if self.active else None


async def people_by_id(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, Someone]:
    wanted = {person_id for person_id in ids if person_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.key, Person.name, Person.locale, Person.active).where(
            Person.id.in_(wanted)
        )
    )
    return {
        pid: Someone(pid, key, name, locale, bool(active))
        for pid, key, name, locale, active in rows
    }


async def load_units(session: AsyncSession, item_ids: Collection[int]) -> dict[int, list[UnitInfo]]:
    """Each item's units (the lead first, then co-units in order) with their active contacts
    and head: three queries however many items there are."""
    if not item_ids:
        return {}
    rows = (
        await session.execute(
            select(Assignment, Unit.key, Unit.name, Unit.head_id, Unit.leader_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.item_id.in_(item_ids))
            .order_by(Assignment.item_id, Assignment.role.desc(), Assignment.id)
        )
    ).all()
    contacts: dict[int, list[Recip]] = {}
    unit_ids = {row[0].unit_id for row in rows}
    if unit_ids:
        found = await session.execute(
            select(UnitContact.unit_id, Person.id, Person.name, Person.locale)
            .join(Person, Person.id == UnitContact.person_id)
            .where(UnitContact.unit_id.in_(unit_ids), Person.active)
            .order_by(UnitContact.unit_id, UnitContact.position)
        )
        for unit_id, pid, name, locale in found:
            contacts.setdefault(unit_id, []).append(
                Recip(pid, name, locale, Recipient.UNIT_CONTACT)
            )
    heads = await people_by_id(session, (row[3] for row in rows))
    infos: dict[int, list[UnitInfo]] = {item_id: [] for item_id in item_ids}
    for assignment, key, name, head_id, leader_id in rows:
        head = heads.get(head_id) if head_id is not None else None
        infos[assignment.item_id].append(
            UnitInfo(
                assignment=assignment,
                unit_id=assignment.unit_id,
                name=name,
                head=head.as_(Recipient.UNIT_HEAD) if head is not None else None,
                contacts=tuple(contacts.get(assignment.unit_id, ())),
                key=key,
                leader_id=leader_id,
            )
        )
    return infos


async def unit_infos(session: AsyncSession, item: Item) -> list[UnitInfo]:
    return (await load_units(session, [item.id]))[item.id]


def leader_id(item: Item, units: list[UnitInfo]) -> int | None:
    """The item's deputy leader: its own, else its lead unit's."""
    if item.leader_id is not None:
        return item.leader_id
    return units[0].leader_id if units else None


# --- planning one item -----------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    occasion: Occasion
    unit: UnitInfo | None  # None: an item-level occasion (the ladder)
    basis: str
    days: int = 0  # before-due: days before; receipt chase: hours
    report_on: date | None = None
    quarterly: bool = False


def plan_item(rt: Runtime, item: Item, units: list[UnitInfo], now: datetime) -> list[Planned]:
    """Every occasion of the item's schedule that still matters, due or not."""
    if ItemStatus(item.status) not in OPEN_STATUSES or item.dispatched_at is None:
        return []
    policy, tz = rt.policy, rt.tz
    planned: list[Planned] = []
    open_units = [u for u in units if u.open]
    for unit in open_units:
        if unit.assignment.acknowledged_at is None:
            for step, occasion in zip(
                policy.reminders.receipt_chase,
                receipt_chase_occasions(item.dispatched_at, policy, tz),
                strict=True,
            ):
                planned.append(
                    Planned(occasion, unit, f"ack:{unit.assignment.id}", days=step.after_hours)
                )
    if item.due_date is not None and item.due_at is not None and now <= item.due_at:
        occasions = before_due_occasions(item.due_date, item.dispatched_at, policy, tz)
        due_now = [o for o in occasions if o.at <= now]
        # A later reminder supersedes earlier ones not yet queued: keep only the latest due.
        keep = due_now[-1:] + [o for o in occasions if o.at > now]
        for occasion in keep:
            days = int(occasion.key.rsplit(":", 1)[1].removesuffix("d"))
            for unit in open_units:
                planned.append(Planned(occasion, unit, basis_due(item.due_date), days=days))
    schedule = policy.classes[TimeClass(item.time_class)].reports
    if schedule is not None and schedule.every is not ReportEvery.AFTER_RESOLVE:
        today = local_date(now, tz)
        for report_on in periodic_report_dates(
            TimeClass(item.time_class), item.dispatched_at, policy, today + timedelta(days=370), tz
        ):
            if report_on < today:
                continue
            for occasion in report_reminder_occasions(
                report_on, schedule.every, item.dispatched_at, policy, tz
            ):
                for unit in open_units:
                    planned.append(
                        Planned(
                            occasion,
                            unit,
                            f"report:{report_on.isoformat()}",
                            report_on=report_on,
                            quarterly=schedule.every is ReportEvery.QUARTER,
                        )
                    )
            if report_on > today + timedelta(days=40):
                break  # the next one is enough to know when to look again
    if item.due_at is not None and open_units:
        for occasion in escalation_occasions(item.due_at, policy, tz):
            planned.append(Planned(occasion, None, basis_due(item.due_date)))
    return planned


def next_check(planned: list[Planned], now: datetime) -> datetime | None:
    ahead = [p.occasion.at for p in planned if p.occasion.at > now]
    return min(ahead) if ahead else None


# --- the pass ----------------------------------------------------------------------------------


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


async def _claim(
    session: AsyncSession, now: datetime, failed: set[int], only: list[int] | None, limit: int
) -> list[tuple[int, datetime]]:
    """Take up to ``limit`` due items (or those of ``only`` still due) for this transaction:
    (id, the ``next_check_at`` it had), earliest first. Until the transaction ends no other
    sweep can take them, and what is read about them afterwards is current."""
    items = ITEMS
    where = [items.c.next_check_at <= now]
    if only is not None:
        where.append(items.c.id.in_(only))
    if failed:
        where.append(items.c.id.not_in(failed))
    due = (
        select(items.c.id, items.c.next_check_at)
        .where(*where)
        .order_by(items.c.next_check_at, items.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Row locks; items another sweep holds are passed over, not waited for.
        rows = await session.execute(due.with_for_update(skip_locked=True))
    else:
        # SQLite: the write lock is taken by this first statement, before anything is read, so
        # the rows it returns are current and no other writer gets in until the commit.
        rows = await session.execute(
            update(items)
            .where(items.c.id.in_(due.with_only_columns(items.c.id)))
            .values(next_check_at=items.c.next_check_at)
            .returning(items.c.id, items.c.next_check_at)
        )
    return sorted(((item_id, seen) for item_id, seen in rows), key=lambda row: (row[1], row[0]))


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
        claimed = await _claim(session, now, failed, only, batch)
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


@dataclass
class _Queued:
    """A timeline entry written when at least one of its notifications was new."""

    keys: list[tuple[str, Recip]]
    escalation: bool
    event: Callable[[list[Recip]], dict[str, Any]]


@dataclass
class _Writes:
    """What a batch writes, in order: notifications, timeline entries, the items' new state."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any] | _Queued] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: _Writes) -> None:
        self.notifications.extend(other.notifications)
        self.entries.extend(other.entries)
        self.items.extend(other.items)


@dataclass
class _Loaded:
    """What a batch's messages need, read in a few queries for the whole batch."""

    people: Directory
    names: dict[int, Someone]
    refs: dict[int, PersonRef]
    notices: dict[tuple[int, int, str], str]


def _event(
    item_id: int, at: datetime, kind: str, *, unit_id: int | None = None, detail: str, data: Any
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "at": at,
        "kind": kind,
        "actor_id": None,
        "unit_id": unit_id,
        "detail": detail,
        "data": data,
    }


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
    items = {item.id: item for item in await session.scalars(select(Item).where(Item.id.in_(ids)))}
    for item in items.values():
        session.expunge(item)  # changed in memory here; written below in one statement
    units = await load_units(session, ids)
    failed: set[int] = set()
    plans: dict[int, list[Planned]] = {}
    for item_id in ids:
        try:
            plans[item_id] = plan_item(rt, items[item_id], units[item_id], now)
        except Exception:
            log.exception("sweep_item_failed", extra={"item": item_id})
            failed.add(item_id)
    rechecked = [items[i] for i, seen in claimed if seen == CHECK_NOW and i in plans]
    if rechecked:
        levels = await _delivered_levels(session, rechecked)
        for item in rechecked:
            item.escalation_level = levels.get(item.id, 0)
    due = {i: [p for p in planned if p.occasion.at <= now] for i, planned in plans.items()}
    loaded = await _load_for_messages(rt, session, people, items, units, due)
    writes = _Writes()
    for item_id, planned in plans.items():
        item = items[item_id]
        own = _Writes()
        try:
            if due[item_id]:
                await _queue_due(
                    rt, session, item, units[item_id], due[item_id], loaded, now, own, writes
                )
            own.items.append(
                {
                    "b_id": item.id,
                    "b_next": next_check(planned, now),
                    "b_level": item.escalation_level,
                    "b_inspection": item.inspection,
                }
            )
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("sweep_item_failed", extra={"item": item_id})
            failed.add(item_id)
            continue
        writes.extend(own)
    added = await enqueue_many(session, writes.notifications)
    events: list[dict[str, Any]] = []
    for entry in writes.entries:
        if isinstance(entry, _Queued):
            queued = [person for key, person in entry.keys if key in added]
            if queued:
                events.append(entry.event(queued))
                if entry.escalation:
                    tally.escalations += len(queued)
                else:
                    tally.reminders += len(queued)
        else:
            events.append(entry)
    if events:
        await session.execute(insert(TIMELINE), events)
    if writes.items:
        await session.execute(
            update(ITEMS)
            .where(ITEMS.c.id == bindparam("b_id"))
            .values(
                next_check_at=bindparam("b_next"),
                escalation_level=bindparam("b_level"),
                inspection=bindparam("b_inspection"),
            ),
            writes.items,
        )
    tally.items_checked += len(writes.items)
    tally.failed += len(failed)
    return failed


async def _load_for_messages(
    rt: Runtime,
    session: AsyncSession,
    people: Directory,
    items: dict[int, Item],
    units: dict[int, list[UnitInfo]],
    due: dict[int, list[Planned]],
) -> _Loaded:
    """The people the due items' messages name, and the urging notices already issued."""
    wanted: set[int | None] = set()
    urging: list[int] = []
    for item_id, planned in due.items():
        if not planned:
            continue
        item = items[item_id]
        wanted.add(item.leader_id)
        wanted.add(leader_id(item, units[item_id]))
        wanted.update(u.assignment.acknowledged_by_id for u in units[item_id])
        for plan in planned:
            if plan.occasion.kind is OccasionKind.ESCALATION:
                level = rt.policy.ladder.get(int(plan.occasion.key.split(":")[1]))
                if level is not None and level.urging_notice:
                    urging.append(item_id)
    names = await people_by_id(session, wanted)
    notices: dict[tuple[int, int, str], str] = {}
    if urging:
        rows = await session.execute(
            select(TimelineEvent.item_id, TimelineEvent.data).where(
                TimelineEvent.item_id.in_(set(urging)), TimelineEvent.kind == Kind.NOTICE_ISSUED
            )
        )
        for item_id, data in rows:
            level, basis = (data or {}).get("level"), (data or {}).get("basis")
            if isinstance(level, int) and isinstance(basis, str):
                notices.setdefault((item_id, level, basis), str(data["code"]))
    return _Loaded(
        people=people,
        names=names,
        refs={pid: PersonRef(pid, p.key, p.name) for pid, p in names.items()},
        notices=notices,
    )


async def _queue_due(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    units: list[UnitInfo],
    due: list[Planned],
    loaded: _Loaded,
    now: datetime,
    own: _Writes,
    kept: _Writes,
) -> None:
    """Queue the item's due occasions into ``own``; an urging notice's number, once issued,
    goes into ``kept`` (written even when the item fails later, so the number is not lost)."""
    view = build_item_view(
        item, [(u.assignment, u.key, u.name) for u in units], loaded.refs, now, rt.policy
    )
    found = loaded.names.get(leader_id(item, units) or 0)
    leader = found.as_(Recipient.DEPUTY_LEADER) if found is not None else None
    for plan in due:
        if plan.occasion.kind is OccasionKind.ESCALATION:
            await _queue_level(rt, session, item, view, units, leader, loaded, plan, now, own, kept)
        else:
            _queue_reminder(rt, item, view, plan, now, own)


def _not_before(rt: Runtime, occasion: Occasion, now: datetime, quiet: bool = True) -> datetime:
    """Not before the occasion, and (when it respects them) not in quiet hours."""
    if quiet and now > occasion.at and is_quiet(now, rt.policy.quiet_hours, rt.tz):
        return hold_until(now, rt.policy.quiet_hours, rt.tz)
    return occasion.at


def _key(item_id: int, scope: str, person_id: int, occasion_key: str) -> str:
    return f"item:{item_id}|{scope}|person:{person_id}|{occasion_key}"


def _reminder_message(
    rt: Runtime, locale: str | None, view: ItemView, unit: UnitInfo, plan: Planned, to_head: bool
) -> tuple[str, list[Button]]:
    occasion = plan.occasion
    t = rt.text(locale)
    buttons = [Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, view.ref))]
    if occasion.kind is OccasionKind.RECEIPT_CHASE:
        text = texts.receipt_chase(t, view, unit.name, rt.tz, to_head=to_head, hours=plan.days)
        if not to_head:
            buttons.insert(
                0,
                Button(
                    t.raw(item_texts.ACKNOWLEDGE),
                    callbacks.make(callbacks.ACKNOWLEDGE, unit.assignment.id),
                ),
            )
    elif occasion.kind is OccasionKind.BEFORE_DUE:
        text = texts.before_due(t, view, unit.name, plan.days)
    else:
        assert plan.report_on is not None
        text = texts.report_due(t, view, unit.name, plan.report_on, plan.quarterly)
    return text, buttons


def _queue_reminder(
    rt: Runtime, item: Item, view: ItemView, plan: Planned, now: datetime, own: _Writes
) -> None:
    occasion = plan.occasion
    unit = plan.unit
    assert unit is not None
    recipients: list[Recip] = []
    for role in occasion.recipients:
        for person in unit.people(role):
            if person.id not in {r.id for r in recipients}:
                recipients.append(person)
    if not recipients:
        return
    late = now - occasion.at > LATE_AFTER
    not_before = _not_before(rt, occasion, now)
    messages: dict[tuple[str | None, bool], tuple[str, list[Button]]] = {}
    keys = []
    for person in recipients:
        to_head = person.role is Recipient.UNIT_HEAD
        message = messages.get((person.locale, to_head))
        if message is None:
            message = _reminder_message(rt, person.locale, view, unit, plan, to_head)
            messages[(person.locale, to_head)] = message
        text, buttons = message
        key = _key(item.id, f"a:{unit.assignment.id}", person.id, occasion.key)
        own.notifications.append(
            notification_row(
                key=key,
                person_id=person.id,
                item_id=item.id,
                kind=str(occasion.kind),
                text=text,
                buttons=[buttons],
                not_before=not_before,
                created_at=now,
                late=late,
                basis=plan.basis,
            )
        )
        keys.append((key, person))

    def event(queued: list[Recip]) -> dict[str, Any]:
        return _event(
            item.id,
            now,
            Kind.REMINDED,
            unit_id=unit.unit_id,
            detail=_detail(occasion.kind, queued, late),
            data={
                "occasion": occasion.key,
                "recipients": [p.id for p in queued],
                "state": "queued",
                "late": late,
            },
        )

    own.entries.append(_Queued(keys, escalation=False, event=event))


def _detail(kind: str, people: list[Recip], late: bool) -> str:
    names = ", ".join(p.name for p in people)
    return f"{kind} → {names}" + (" (late)" if late else "")


def _overdue_days(item: Item, now: datetime, rt: Runtime) -> int:
    if item.due_date is None:
        return 0
    return max((local_date(now, rt.tz) - item.due_date).days, 0)


async def _issue_notice(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    level: LadderLevel,
    basis: str,
    now: datetime,
    loaded: _Loaded,
    kept: _Writes,
) -> str:
    """The urging notice's number for this item, level and due date: issued once."""
    known = loaded.notices.get((item.id, level.level, basis))
    if known is not None:
        return known
    year = local_date(now, rt.tz).year
    seq = await next_number(session, "urging", year)
    code = rt.policy.codes.urging_notice_code(year, seq)
    kept.entries.append(
        _event(
            item.id,
            now,
            Kind.NOTICE_ISSUED,
            detail=code,
            data={"level": level.level, "basis": basis, "code": code, "year": year, "seq": seq},
        )
    )
    loaded.notices[(item.id, level.level, basis)] = code
    return code


async def _queue_level(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    view: ItemView,
    units: list[UnitInfo],
    leader: Recip | None,
    loaded: _Loaded,
    plan: Planned,
    now: datetime,
    own: _Writes,
    kept: _Writes,
) -> None:
    occasion = plan.occasion
    number = int(occasion.key.split(":")[1])
    level = rt.policy.ladder.get(number)
    assert level is not None
    open_units = [u for u in units if u.open]
    # Who is told: item-level people once, unit people once per open unit.
    targets: list[tuple[Recip, UnitInfo | None]] = []
    for role in level.recipients:
        if role is Recipient.DEPUTY_LEADER and leader is not None:
            targets.append((leader, None))
        elif role is Recipient.PRINCIPAL:
            targets.extend((p, None) for p in loaded.people.principals)
        elif role is Recipient.OFFICE:
            targets.extend((p, None) for p in loaded.people.office)
        elif role in (Recipient.UNIT_HEAD, Recipient.UNIT_CONTACT):
            for open_unit in open_units:
                targets.extend((p, open_unit) for p in open_unit.people(role))
    seen: set[tuple[int, int | None]] = set()
    unique = []
    for person, unit in targets:
        mark = (person.id, unit.unit_id if unit else None)
        if mark not in seen:
            seen.add(mark)
            unique.append((person, unit))
    leaders_here = any(p.role in (Recipient.DEPUTY_LEADER, Recipient.PRINCIPAL) for p, _ in unique)
    notice = (
        await _issue_notice(rt, session, item, level, plan.basis, now, loaded, kept)
        if level.urging_notice
        else None
    )
    if level.inspection_item and not item.inspection:
        item.inspection = True
        own.entries.append(
            _event(
                item.id,
                now,
                Kind.INSPECTION,
                detail=f"level {level.level}",
                data={"level": level.level, "basis": plan.basis},
            )
        )
    facts = texts.LadderFacts(
        level=level.level,
        overdue_days=_overdue_days(item, now, rt),
        units=tuple(u.name for u in open_units),
        leader=leader.name if leader else None,
        notice_code=notice,
        inspection=level.inspection_item or item.inspection,
        told=tuple(dict.fromkeys(p.name for p, _ in unique if p.role is not Recipient.OFFICE)),
    )
    quiet = respects_quiet_hours(level, rt.policy)
    late = now - occasion.at > LATE_AFTER
    not_before = _not_before(rt, occasion, now, quiet)
    messages: dict[tuple[str | None, str, bool], tuple[str, list[Button]]] = {}
    keys: list[tuple[str, Recip]] = []
    for person, unit in unique:
        can_act = person.role in (Recipient.DEPUTY_LEADER, Recipient.PRINCIPAL) or (
            person.role is Recipient.OFFICE and not leaders_here
        )
        audience = "unit" if unit is not None else ("leader" if can_act else "office")
        message = messages.get((person.locale, audience, can_act))
        if message is None:
            t = rt.text(person.locale)
            buttons: list[Button] = []
            if can_act:
                buttons = [_action_button(t, action, item.ref) for action in level.actions]
            buttons.append(
                Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, item.ref))
            )
            text = texts.escalation(
                t, view, facts, audience=audience, actions=bool(level.actions) and can_act
            )
            message = (text, buttons)
            messages[(person.locale, audience, can_act)] = message
        scope = f"a:{unit.assignment.id}" if unit is not None else "item"
        key = _key(item.id, scope, person.id, occasion.key)
        own.notifications.append(
            notification_row(
                key=key,
                person_id=person.id,
                item_id=item.id,
                kind=ESCALATION,
                level=level.level,
                text=message[0],
                buttons=[message[1]],
                not_before=not_before,
                created_at=now,
                late=late,
                basis=plan.basis,
            )
        )
        keys.append((key, person))
    if not keys:
        return

    def event(queued: list[Recip]) -> dict[str, Any]:
        return _event(
            item.id,
            now,
            Kind.ESCALATED,
            detail=f"level {level.level} → " + ", ".join(p.name for p in queued),
            data={
                "level": level.level,
                "occasion": occasion.key,
                "recipients": [p.id for p in queued],
                "notice": notice,
                "state": "queued",
                "late": late,
            },
        )

    own.entries.append(_Queued(keys, escalation=True, event=event))


def _action_button(t: Any, action: LadderAction, ref: str) -> Button:
    label, prefix = {
        LadderAction.URGE: (texts.URGE, callbacks.URGE),
        LadderAction.INSTRUCT: (texts.INSTRUCT, callbacks.INSTRUCT),
        LadderAction.TALK: (texts.TALK, callbacks.TALK),
        LadderAction.CRITICISM: (texts.CRITICISM, callbacks.CRITICISM),
    }[action]
    return Button(t.raw(label), callbacks.make(prefix, ref))


# --- what delivery asks ------------------------------------------------------------------------


async def _delivered_levels(session: AsyncSession, items: list[Item]) -> dict[int, int]:
    """Each item's highest level delivered for its current due date (absent: none)."""
    rows = await session.execute(
        select(Notification.item_id, Notification.basis, func.max(Notification.level))
        .where(
            Notification.item_id.in_([item.id for item in items]),
            Notification.kind == ESCALATION,
            Notification.status == NotificationStatus.SENT,
        )
        .group_by(Notification.item_id, Notification.basis)
    )
    current = {item.id: basis_due(item.due_date) for item in items}
    return {
        item_id: int(level or 0)
        for item_id, basis, level in rows
        if item_id is not None and current.get(item_id) == basis
    }


async def refresh_escalation_level(session: AsyncSession, item: Item) -> int:
    """The item's level: the highest level delivered for its current due date (0 if none)."""
    item.escalation_level = (await _delivered_levels(session, [item])).get(item.id, 0)
    return item.escalation_level


async def still_wanted(session: AsyncSession, notification: Notification) -> bool:
    """Whether a queued reminder or escalation still fits its item (else it is cancelled):
    the item is open, the due date it counted from is still the due date, the receipt it
    chased is still missing."""
    if notification.basis is None or notification.item_id is None:
        return True
    item = await session.get(Item, notification.item_id)
    if item is None or ItemStatus(item.status) not in OPEN_STATUSES:
        return False
    kind, _, value = notification.basis.partition(":")
    if kind == "due":
        return basis_due(item.due_date) == notification.basis
    if kind == "ack":
        assignment = await session.get(Assignment, int(value))
        return assignment is not None and assignment.acknowledged_at is None
    return True


# --- the morning digest ------------------------------------------------------------------------


async def _setting(session: AsyncSession, name: str) -> str | None:
    row = await session.get(Setting, name)
    return row.value if row else None


async def _put_setting(session: AsyncSession, name: str, value: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Setting).values(name=name, value=value, updated_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": value, "updated_at": now}
        )
    )


async def run_digest(rt: Runtime, now: datetime) -> int:
    """Once a day, from ``digest.time`` local: each contact's open items in one message."""
    local = now.astimezone(rt.tz)
    today = local.date()
    if local.time().replace(tzinfo=None) < rt.policy.digest.time:
        return 0
    async with rt.db.session() as session:
        last = await _setting(session, DIGEST_SETTING)
        if last is not None and last >= today.isoformat():
            return 0
        rows = (
            await session.execute(
                select(Item, Assignment, Unit.name, Person)
                .join(Assignment, Assignment.item_id == Item.id)
                .join(Unit, Unit.id == Assignment.unit_id)
                .join(UnitContact, UnitContact.unit_id == Unit.id)
                .join(Person, Person.id == UnitContact.person_id)
                .where(
                    Item.status.in_([str(s) for s in OPEN_STATUSES]),
                    Assignment.status != str(AssignmentStatus.COMPLETED),
                    Person.active,
                )
                .order_by(Person.id, Item.due_at, Item.id)
            )
        ).all()
        lines: dict[int, tuple[Person, list[texts.DigestLine]]] = {}
        for item, assignment, unit_name, person in rows:
            light = item_light(item, [assignment], now, rt.policy)
            entry = lines.setdefault(person.id, (person, []))
            entry[1].append(
                texts.DigestLine(light, item.code, item.title, item.due_date, unit_name)
            )
        count = 0
        moment = at_local_time(today, rt.policy.digest.time, rt.tz)
        if is_quiet(now, rt.policy.quiet_hours, rt.tz):
            moment = hold_until(now, rt.policy.quiet_hours, rt.tz)
        not_before = moment
        for person, person_lines in lines.values():
            t = rt.text(person.locale)
            added = await enqueue(
                session,
                key=f"digest|person:{person.id}|{today.isoformat()}",
                person_id=person.id,
                kind=DIGEST,
                text=texts.digest(t, person.name, person_lines, today),
                not_before=not_before,
                created_at=now,
            )
            count += int(added)
        await _put_setting(session, DIGEST_SETTING, today.isoformat(), now)
        await session.commit()
    return count
