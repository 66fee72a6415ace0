"""Statistics for assessment (考核) over a period: the facts read from the database, counted
by the rules of :mod:`domain.assessment` (which also defines every figure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.assessment import (
    AssignmentFact,
    Period,
    Stats,
    StatsRow,
    Tally,
    Window,
    scored,
)
from domain.notices import NoticeKind, NoticeStatus
from domain.satisfaction import Rating
from domain.scoring import EventKind
from domain.vocabulary import AssignmentRole, ItemStatus, Role
from services.chases import late_report_deadlines, owes_periodic, share_reports
from services.complaint_ratings import ratings_in
from services.runtime import Runtime
from services.timeline import Kind
from storage.models import (
    Assignment,
    Item,
    Person,
    PersonRole,
    PublicNotice,
    Report,
    TimelineEvent,
    Unit,
)

CLOSED = frozenset({ItemStatus.CLOSED, ItemStatus.ARCHIVED})
NOT_OUT = frozenset({ItemStatus.DRAFT, ItemStatus.PENDING_APPROVAL})
# What each counted timeline event is in the assessment's scheme (domain.scoring).
SCORED_EVENTS = {
    Kind.ESCALATED: EventKind.ESCALATION,
    Kind.RETURNED: EventKind.RETURN,
    Kind.EXTENSION_APPROVED: EventKind.EXTENSION,
    Kind.REOPENED: EventKind.REOPENING,
    Kind.TALK_HELD: EventKind.TALK,
    Kind.CRITICISM_ISSUED: EventKind.CRITICISM,
    Kind.REFERRED: EventKind.REFERRAL,
}
EVENT_KINDS = tuple(SCORED_EVENTS)
# Complainants' 不满意 ratings score as EventKind.SATISFACTION: one ``row.occurred`` per rating,
# for the unit (and leader) of the item that answered the complaint, where ratings are counted.


async def compute_stats(
    rt: Runtime,
    period: Period,
    *,
    unit_ids: frozenset[int] | None = None,
    leader_ids: frozenset[int] | None = None,
) -> Stats:
    """The statistics for the period, scored under the policy's scheme; ``unit_ids`` and
    ``leader_ids`` narrow them to a scope."""
    now = rt.clock.now()
    low, high = period.bounds(rt.tz)
    async with rt.db.session() as session:
        units = await _units(session, unit_ids)
        leaders = await _leaders(session, leader_ids)
        rows = await _assignments(session)
        events = await _events(session, low, high)
        praised = await _praised_units(session, low, high)
        rated = await ratings_in(session, period.start, period.end)
        periodic = {a.id for a, item, _ in rows if owes_periodic(rt, item)}
        reports = await share_reports(session, periodic)
    lead_unit = {item.id: a.unit_id for a, item, _ in rows if a.role == AssignmentRole.LEAD}
    items = {item.id: item for _, item, _ in rows}
    tally = Tally(
        units={uid: StatsRow(key, name) for uid, key, name in units},
        leaders={pid: StatsRow(key, name) for pid, key, name in leaders},
        total=StatsRow("total", ""),
        window=Window(low, high, now, rt.tz),
        unit_ids=unit_ids,
    )
    tally.add_facts(
        [
            _fact(assignment, item, first, late_report_deadlines(rt, item, reports[assignment.id]))
            if assignment.id in periodic
            else _fact(assignment, item, first)
            for assignment, item, first in rows
        ]
    )
    for event in events:
        unit_id = event.unit_id or lead_unit.get(event.item_id)
        item = items.get(event.item_id)
        for row in tally.event_rows(unit_id, item.leader_id if item else None):
            _count_event(row, event)
            row.occurred(
                SCORED_EVENTS[event.kind],
                tally.window.day(event.at),
                item.ref if item else None,
                item.code if item else None,
            )
    for unit_id, at in praised:
        for row in tally.event_rows(unit_id, None):
            row.praises += 1
            row.occurred(EventKind.PRAISE, tally.window.day(at), None, None)
    for rated_one in rated:
        for row in tally.event_rows(rated_one.unit_id, rated_one.leader_id):
            row.rated(rated_one.rating)
            if rated_one.rating is Rating.DISSATISFIED:
                row.occurred(
                    EventKind.SATISFACTION, rated_one.rated_on, rated_one.ref, rated_one.code
                )
    return scored(tally.stats(period), rt.policy.assessment.scheme)


async def _units(
    session: AsyncSession, unit_ids: frozenset[int] | None
) -> Sequence[Row[int, str, str]]:
    query = select(Unit.id, Unit.key, Unit.name).where(Unit.active)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids))
    return (await session.execute(query.order_by(Unit.position, Unit.id))).all()


async def _leaders(
    session: AsyncSession, leader_ids: frozenset[int] | None
) -> Sequence[Row[int, str, str]]:
    query = (
        select(Person.id, Person.key, Person.name)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role.in_([Role.PRINCIPAL, Role.DEPUTY]), Person.active)
        .distinct()
    )
    if leader_ids is not None:
        query = query.where(Person.id.in_(leader_ids))
    return (await session.execute(query.order_by(Person.id))).all()


async def _assignments(session: AsyncSession) -> Sequence[Row[Assignment, Item, Any]]:
    """Every assignment of an item that went out, with its item and its first report's time."""
    first_report = (
        select(Report.assignment_id, func.min(Report.created_at).label("first"))
        .group_by(Report.assignment_id)
        .subquery()
    )
    return (
        await session.execute(
            select(Assignment, Item, first_report.c.first)
            .join(Item, Item.id == Assignment.item_id)
            .outerjoin(first_report, first_report.c.assignment_id == Assignment.id)
            .where(Item.dispatched_at.is_not(None), Item.status.not_in(list(NOT_OUT)))
        )
    ).all()


async def _events(session: AsyncSession, low: datetime, high: datetime) -> list[TimelineEvent]:
    return list(
        await session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.kind.in_(EVENT_KINDS),
                TimelineEvent.at >= low,
                TimelineEvent.at < high,
            )
        )
    )


async def _praised_units(
    session: AsyncSession, low: datetime, high: datetime
) -> list[tuple[int, datetime]]:
    """The units of the notices of praise sent in the period, one entry per notice and unit,
    with when it was sent."""
    rows = await session.execute(
        select(PublicNotice.unit_ids, PublicNotice.decided_at).where(
            PublicNotice.kind == NoticeKind.PRAISE,
            PublicNotice.status == NoticeStatus.SENT,
            PublicNotice.decided_at >= low,
            PublicNotice.decided_at < high,
        )
    )
    return [
        (int(unit_id), at) for unit_ids, at in rows.all() if at is not None for unit_id in unit_ids
    ]


def _fact(
    assignment: Assignment,
    item: Item,
    first: datetime | None,
    late_reports: tuple[datetime, ...] = (),
) -> AssignmentFact:
    assert item.dispatched_at is not None  # only items that went out are read
    reported = [t for t in (first, assignment.last_report_at) if t is not None]
    return AssignmentFact(
        item_id=item.id,
        item_ref=item.ref,
        item_code=item.code,
        unit_id=assignment.unit_id,
        leader_id=item.leader_id,
        dispatched_at=item.dispatched_at,
        due_at=item.due_at,
        closed_at=item.closed_at if item.status in CLOSED else None,
        acknowledged_at=assignment.acknowledged_at,
        feedback_by=item.plan_by or item.first_feedback_by,
        first_report_at=min(reported) if reported else None,
        late_reports=late_reports,
    )


# The events a row counts one by one, and the figure each one adds to.
COUNTED_EVENTS: dict[str, str] = {
    Kind.RETURNED: "returns",
    Kind.EXTENSION_APPROVED: "extensions",
    Kind.TALK_HELD: "talks",
    Kind.CRITICISM_ISSUED: "criticisms",
    Kind.REFERRED: "referrals",
    Kind.REOPENED: "reopenings",
}


def _count_event(row: StatsRow, event: TimelineEvent) -> None:
    if event.kind == Kind.ESCALATED:
        level = _level(event.data)
        row.escalations[level] = row.escalations.get(level, 0) + 1
    elif (figure := COUNTED_EVENTS.get(event.kind)) is not None:
        setattr(row, figure, getattr(row, figure) + 1)


def _level(data: dict[str, object] | None) -> int:
    value = (data or {}).get("level", 1)
    try:
        return int(str(value))
    except ValueError:
        return 1
