"""The sweep (DESIGN §3): which reminders and escalations are due, decided from the database and
the time alone, each queued once in the outbox.

How it stays cheap: every item keeps ``next_check_at``, the earliest moment at which anything of
its schedule (receipt chasing, before-due reminders, report reminders, ladder levels) can come.
A pass reads only items whose ``next_check_at`` has come (an index range), handles each, and
stores the next moment (or NULL when nothing lies ahead). Changing an item's status, dispatch
time, due date or receipt deadline resets it to ``CHECK_NOW`` (a listener in
``storage.models``), so an extension or a reopening is looked at by the next pass and a closed
item drops out. The cost of a pass grows with what is due, not with how many items exist.

How it stays exactly-once: each item is handled in its own transaction that first claims the
item with a conditional UPDATE on the ``next_check_at`` it saw, so two sweeps (two processes,
SQLite or PostgreSQL) never handle one item at once; every notification has an idempotency key
``item:<id>|<scope>|person:<id>|<occasion key>`` and is inserted with ON CONFLICT DO NOTHING, so a
re-run or a crash between passes adds nothing twice. Occasion keys name the due date they count
from (``escalation:2:2026-12-03``), so a new due date brings new reminders and a new ladder.

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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
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
from domain.vocabulary import AssignmentStatus, ItemStatus, NotificationStatus, Role, TimeClass
from services.items import next_number
from services.outbox import Button, enqueue
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import OPEN_STATUSES, ItemView, item_light, item_view
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

BATCH = 200
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
    busy: int = 0  # items another sweep was handling

    @property
    def queued(self) -> int:
        return self.reminders + self.escalations + self.digests


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


async def _person(session: AsyncSession, person_id: int | None, role: Recipient) -> Recip | None:
    if person_id is None:
        return None
    person = await session.get(Person, person_id)
    if person is None or not person.active:
        return None
    return Recip(person.id, person.name, person.locale, role)


async def unit_infos(session: AsyncSession, item: Item) -> list[UnitInfo]:
    assignments = list(
        await session.scalars(
            select(Assignment)
            .where(Assignment.item_id == item.id)
            .order_by(Assignment.role.desc(), Assignment.id)
        )
    )
    infos = []
    for assignment in assignments:
        unit = await session.get_one(Unit, assignment.unit_id)
        contacts = await session.execute(
            select(Person.id, Person.name, Person.locale)
            .join(UnitContact, UnitContact.person_id == Person.id)
            .where(UnitContact.unit_id == unit.id, Person.active)
            .order_by(UnitContact.position)
        )
        infos.append(
            UnitInfo(
                assignment=assignment,
                unit_id=unit.id,
                name=unit.name,
                head=await _person(session, unit.head_id, Recipient.UNIT_HEAD),
                contacts=tuple(
                    Recip(pid, name, locale, Recipient.UNIT_CONTACT)
                    for pid, name, locale in contacts
                ),
            )
        )
    return infos


async def item_leader(session: AsyncSession, item: Item, units: list[UnitInfo]) -> Recip | None:
    leader_id = item.leader_id
    if leader_id is None and units:
        unit = await session.get(Unit, units[0].unit_id)
        leader_id = unit.leader_id if unit else None
    return await _person(session, leader_id, Recipient.DEPUTY_LEADER)


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


async def run_sweep(rt: Runtime, now: datetime | None = None) -> SweepResult:
    """One pass at ``now`` (default: the clock): queue what is due, once."""
    now = now or rt.clock.now()
    result = SweepResult()
    async with rt.db.session() as session:
        people = await directory(session)
    done: set[int] = set()
    while True:
        async with rt.db.session() as session:
            rows = (
                await session.execute(
                    select(Item.id, Item.next_check_at)
                    .where(Item.next_check_at <= now)
                    .order_by(Item.next_check_at, Item.id)
                    .limit(BATCH)
                )
            ).all()
        fresh = [(item_id, seen) for item_id, seen in rows if item_id not in done]
        for item_id, seen in fresh:
            done.add(item_id)
            assert seen is not None
            await _sweep_item(rt, people, item_id, seen, now, result)
        if len(rows) < BATCH or not fresh:
            break
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
        },
    )
    return result


async def _sweep_item(
    rt: Runtime,
    people: Directory,
    item_id: int,
    seen: datetime,
    now: datetime,
    result: SweepResult,
) -> None:
    async with rt.db.session() as session:
        claimed = await session.execute(
            update(Item)
            .where(Item.id == item_id, Item.next_check_at == seen)
            .values(next_check_at=seen)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            result.busy += 1
            await session.rollback()
            return
        item = await session.scalar(
            select(Item).where(Item.id == item_id).execution_options(populate_existing=True)
        )
        assert item is not None
        result.items_checked += 1
        units = await unit_infos(session, item)
        planned = plan_item(rt, item, units, now)
        if seen == CHECK_NOW:
            await refresh_escalation_level(session, item)
        due = [p for p in planned if p.occasion.at <= now]
        if due:
            view = await item_view(session, item, now, rt.policy)
            leader = await item_leader(session, item, units)
            for plan in due:
                if plan.occasion.kind is OccasionKind.ESCALATION:
                    result.escalations += await _queue_level(
                        rt, session, item, view, units, leader, people, plan, now
                    )
                else:
                    result.reminders += await _queue_reminder(rt, session, item, view, plan, now)
        item.next_check_at = next_check(planned, now)
        await session.commit()


def _not_before(rt: Runtime, occasion: Occasion, now: datetime, quiet: bool = True) -> datetime:
    """Not before the occasion, and (when it respects them) not in quiet hours."""
    if quiet and now > occasion.at and is_quiet(now, rt.policy.quiet_hours, rt.tz):
        return hold_until(now, rt.policy.quiet_hours, rt.tz)
    return occasion.at


def _key(item_id: int, scope: str, person_id: int, occasion_key: str) -> str:
    return f"item:{item_id}|{scope}|person:{person_id}|{occasion_key}"


async def _queue_reminder(
    rt: Runtime, session: AsyncSession, item: Item, view: ItemView, plan: Planned, now: datetime
) -> int:
    occasion = plan.occasion
    unit = plan.unit
    assert unit is not None
    recipients: list[Recip] = []
    for role in occasion.recipients:
        for person in unit.people(role):
            if person.id not in {r.id for r in recipients}:
                recipients.append(person)
    late = now - occasion.at > LATE_AFTER
    queued = []
    for person in recipients:
        t = rt.text(person.locale)
        buttons = [Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, item.ref))]
        if occasion.kind is OccasionKind.RECEIPT_CHASE:
            to_head = person.role is Recipient.UNIT_HEAD
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
        added = await enqueue(
            session,
            key=_key(item.id, f"a:{unit.assignment.id}", person.id, occasion.key),
            person_id=person.id,
            item_id=item.id,
            kind=str(occasion.kind),
            text=text,
            buttons=[buttons],
            not_before=_not_before(rt, occasion, now),
            created_at=now,
            late=late,
            basis=plan.basis,
        )
        if added:
            queued.append(person)
    if queued:
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.REMINDED,
            unit_id=unit.unit_id,
            detail=_detail(occasion.kind, queued, late),
            data={
                "occasion": occasion.key,
                "recipients": [p.id for p in queued],
                "state": "queued",
                "late": late,
            },
        )
    return len(queued)


def _detail(kind: str, people: list[Recip], late: bool) -> str:
    names = ", ".join(p.name for p in people)
    return f"{kind} → {names}" + (" (late)" if late else "")


def _overdue_days(item: Item, now: datetime, rt: Runtime) -> int:
    if item.due_date is None:
        return 0
    return max((local_date(now, rt.tz) - item.due_date).days, 0)


async def _issue_notice(
    rt: Runtime, session: AsyncSession, item: Item, level: LadderLevel, basis: str, now: datetime
) -> str:
    """The urging notice's number for this item, level and due date: issued once."""
    events = await session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.item_id == item.id, TimelineEvent.kind == Kind.NOTICE_ISSUED
        )
    )
    for event in events:
        data = event.data or {}
        if data.get("level") == level.level and data.get("basis") == basis:
            return str(data["code"])
    year = local_date(now, rt.tz).year
    seq = await next_number(session, "urging", year)
    code = rt.policy.codes.urging_notice_code(year, seq)
    record(
        session,
        item_id=item.id,
        at=now,
        kind=Kind.NOTICE_ISSUED,
        detail=code,
        data={"level": level.level, "basis": basis, "code": code, "year": year, "seq": seq},
    )
    return code


async def _queue_level(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    view: ItemView,
    units: list[UnitInfo],
    leader: Recip | None,
    people: Directory,
    plan: Planned,
    now: datetime,
) -> int:
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
            targets.extend((p, None) for p in people.principals)
        elif role is Recipient.OFFICE:
            targets.extend((p, None) for p in people.office)
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
        await _issue_notice(rt, session, item, level, plan.basis, now)
        if level.urging_notice
        else None
    )
    if level.inspection_item and not item.inspection:
        item.inspection = True
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.INSPECTION,
            detail=f"level {level.level}",
            data={"level": level.level, "basis": plan.basis},
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
    queued: list[Recip] = []
    for person, unit in unique:
        t = rt.text(person.locale)
        can_act = person.role in (Recipient.DEPUTY_LEADER, Recipient.PRINCIPAL) or (
            person.role is Recipient.OFFICE and not leaders_here
        )
        audience = "unit" if unit is not None else ("leader" if can_act else "office")
        buttons: list[Button] = []
        if can_act:
            buttons = [_action_button(t, action, item.ref) for action in level.actions]
        buttons.append(
            Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, item.ref))
        )
        scope = f"a:{unit.assignment.id}" if unit is not None else "item"
        added = await enqueue(
            session,
            key=_key(item.id, scope, person.id, occasion.key),
            person_id=person.id,
            item_id=item.id,
            kind=ESCALATION,
            level=level.level,
            text=texts.escalation(
                t, view, facts, audience=audience, actions=bool(level.actions) and can_act
            ),
            buttons=[buttons],
            not_before=_not_before(rt, occasion, now, quiet),
            created_at=now,
            late=late,
            basis=plan.basis,
        )
        if added:
            queued.append(person)
    if queued:
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.ESCALATED,
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
    return len(queued)


def _action_button(t: Any, action: LadderAction, ref: str) -> Button:
    label, prefix = {
        LadderAction.URGE: (texts.URGE, callbacks.URGE),
        LadderAction.INSTRUCT: (texts.INSTRUCT, callbacks.INSTRUCT),
        LadderAction.TALK: (texts.TALK, callbacks.TALK),
        LadderAction.CRITICISM: (texts.CRITICISM, callbacks.CRITICISM),
    }[action]
    return Button(t.raw(label), callbacks.make(prefix, ref))


# --- what delivery asks ------------------------------------------------------------------------


async def refresh_escalation_level(session: AsyncSession, item: Item) -> int:
    """The item's level: the highest level delivered for its current due date (0 if none)."""
    level = await session.scalar(
        select(func.max(Notification.level)).where(
            Notification.item_id == item.id,
            Notification.kind == ESCALATION,
            Notification.status == NotificationStatus.SENT,
            Notification.basis == basis_due(item.due_date),
        )
    )
    item.escalation_level = int(level or 0)
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
