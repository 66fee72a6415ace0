"""Statistics for assessment (考核): per unit and per leader over a period of local dates.

Definitions (the period is ``[start, end]``, whole local days in the deployment's zone):

- **items**: per unit, the unit's assignments (承办) whose item was dispatched in the period;
  per leader, the items they are responsible for that were dispatched in the period.
- **due**: assignments (per leader: items) whose deadline (``due_at``, the due day's last
  instant, after any approved extension) falls in the period and is *settled*: either the
  item was closed (销号) by now, or the deadline has passed. An item due later in the period
  and still open is not counted yet, so a running week is not penalised in advance.
- **closed on time**: of those, the ones whose item was closed at or before the deadline.
- **on-time rate** (按期办结率) = closed on time / due; ``None`` when nothing was due.
- **mean hours to acknowledge**: over the assignments dispatched in the period that were
  acknowledged, the mean of (acknowledged − dispatched) in hours.
- **late feedbacks**: assignments whose first feedback deadline (the plan deadline, else the
  first-feedback deadline) fell in the period and had passed, with the first report after it
  or none at all.
- **escalations by level, returns, extensions**: timeline events in the period (``escalated``
  with its level, ``returned``, ``extension_approved``). An event names its unit when it is
  about one; an item-wide event counts for the item's lead unit.

Per-leader rows count the same facts over the items they are responsible for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from domain.vocabulary import AssignmentRole, ItemStatus, Role
from services.runtime import Runtime
from services.timeline import Kind
from storage.models import (
    Assignment,
    Item,
    Person,
    PersonRole,
    Report,
    TimelineEvent,
    Unit,
)

CLOSED = frozenset({ItemStatus.CLOSED, ItemStatus.ARCHIVED})
NOT_OUT = frozenset({ItemStatus.DRAFT, ItemStatus.PENDING_APPROVAL})
EVENT_KINDS = (Kind.ESCALATED, Kind.RETURNED, Kind.EXTENSION_APPROVED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants: [start's midnight, the day after end's midnight)."""
        low = datetime.combine(self.start, time(0), tzinfo=tz)
        high = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz)
        return low, high


@dataclass
class StatsRow:
    key: str
    name: str
    items: int = 0
    due: int = 0
    closed_on_time: int = 0
    late_feedbacks: int = 0
    returns: int = 0
    extensions: int = 0
    escalations: dict[int, int] = field(default_factory=dict)
    ack_hours: list[float] = field(default_factory=list, repr=False)

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.due if self.due else None

    @property
    def mean_ack_hours(self) -> float | None:
        if not self.ack_hours:
            return None
        return round(sum(self.ack_hours) / len(self.ack_hours), 1)

    @property
    def escalation_total(self) -> int:
        return sum(self.escalations.values())

    def as_json(self) -> dict[str, object]:
        rate = self.on_time_rate
        return {
            "key": self.key,
            "name": self.name,
            "items": self.items,
            "due": self.due,
            "closed_on_time": self.closed_on_time,
            "on_time_rate": round(rate, 4) if rate is not None else None,
            "mean_hours_to_acknowledge": self.mean_ack_hours,
            "late_feedbacks": self.late_feedbacks,
            "escalations": {str(level): n for level, n in sorted(self.escalations.items())},
            "returns": self.returns,
            "extensions": self.extensions,
        }


@dataclass(frozen=True)
class Stats:
    period: Period
    units: list[StatsRow]
    leaders: list[StatsRow]
    total: StatsRow

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "units": [row.as_json() for row in self.units],
            "leaders": [row.as_json() for row in self.leaders],
            "total": self.total.as_json(),
        }

    def ranked_units(self) -> list[StatsRow]:
        """Units with something due, best on-time rate first (ties: more due first)."""
        rated = [row for row in self.units if row.on_time_rate is not None]
        return sorted(rated, key=lambda r: (-(r.on_time_rate or 0.0), -r.due, r.key))


@dataclass(frozen=True)
class _Fact:
    """One assignment with what the statistics need of it and its item."""

    item_id: int
    unit_id: int
    leader_id: int | None
    dispatched_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    acknowledged_at: datetime | None
    feedback_by: datetime | None
    first_report_at: datetime | None


async def compute_stats(
    rt: Runtime,
    period: Period,
    *,
    unit_ids: frozenset[int] | None = None,
    leader_ids: frozenset[int] | None = None,
) -> Stats:
    """The statistics for the period; ``unit_ids``/``leader_ids`` narrow them to a scope."""
    now = rt.clock.now()
    low, high = period.bounds(rt.tz)
    async with rt.db.session() as session:
        unit_query = select(Unit.id, Unit.key, Unit.name).where(Unit.active)
        if unit_ids is not None:
            unit_query = unit_query.where(Unit.id.in_(unit_ids))
        units = (await session.execute(unit_query.order_by(Unit.position, Unit.id))).all()
        leader_query = (
            select(Person.id, Person.key, Person.name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role.in_([Role.PRINCIPAL, Role.DEPUTY]), Person.active)
            .distinct()
        )
        if leader_ids is not None:
            leader_query = leader_query.where(Person.id.in_(leader_ids))
        leaders = (await session.execute(leader_query.order_by(Person.id))).all()
        first_report = (
            select(Report.assignment_id, func.min(Report.created_at).label("first"))
            .group_by(Report.assignment_id)
            .subquery()
        )
        rows = (
            await session.execute(
                select(Assignment, Item, first_report.c.first)
                .join(Item, Item.id == Assignment.item_id)
                .outerjoin(first_report, first_report.c.assignment_id == Assignment.id)
                .where(Item.dispatched_at.is_not(None), Item.status.not_in(list(NOT_OUT)))
            )
        ).all()
        events = (
            await session.execute(
                select(TimelineEvent).where(
                    TimelineEvent.kind.in_(EVENT_KINDS),
                    TimelineEvent.at >= low,
                    TimelineEvent.at < high,
                )
            )
        ).scalars()
        event_list = list(events)
    facts: list[_Fact] = []
    lead_unit: dict[int, int] = {}
    item_leader: dict[int, int | None] = {}
    for assignment, item, first in rows:
        if assignment.role == AssignmentRole.LEAD:
            lead_unit[item.id] = assignment.unit_id
        item_leader[item.id] = item.leader_id
        reported = [t for t in (first, assignment.last_report_at) if t is not None]
        facts.append(
            _Fact(
                item_id=item.id,
                unit_id=assignment.unit_id,
                leader_id=item.leader_id,
                dispatched_at=item.dispatched_at,
                due_at=item.due_at,
                closed_at=item.closed_at if ItemStatus(item.status) in CLOSED else None,
                acknowledged_at=assignment.acknowledged_at,
                feedback_by=item.plan_by or item.first_feedback_by,
                first_report_at=min(reported) if reported else None,
            )
        )
    unit_rows = {uid: StatsRow(key, name) for uid, key, name in units}
    leader_rows = {pid: StatsRow(key, name) for pid, key, name in leaders}
    total = StatsRow("total", "")
    window = (low, high, now)
    for fact in facts:
        row = unit_rows.get(fact.unit_id)
        if row is not None:
            _count_assignment(row, fact, window)
            _count_item(row, fact, window)
    by_item: dict[int, list[_Fact]] = defaultdict(list)
    for fact in facts:
        by_item[fact.item_id].append(fact)
    for item_facts in by_item.values():
        first = item_facts[0]
        targets = [total]
        leader_row = leader_rows.get(first.leader_id) if first.leader_id else None
        if leader_row is not None:
            targets.append(leader_row)
        if unit_ids is not None and not any(f.unit_id in unit_ids for f in item_facts):
            targets = targets[1:] if leader_row is not None else []
        for target in targets:
            _count_item(target, first, window)
            for fact in item_facts:
                _count_assignment(target, fact, window)
    for event in event_list:
        unit_id = event.unit_id or lead_unit.get(event.item_id)
        targets = []
        if unit_id is not None and unit_id in unit_rows:
            targets.append(unit_rows[unit_id])
        leader_id = item_leader.get(event.item_id)
        if leader_id is not None and leader_id in leader_rows:
            targets.append(leader_rows[leader_id])
        if unit_ids is None or (unit_id is not None and unit_id in unit_ids):
            targets.append(total)
        for target in targets:
            _count_event(target, event)
    return Stats(period, list(unit_rows.values()), list(leader_rows.values()), total)


def _in(moment: datetime | None, window: tuple[datetime, datetime, datetime]) -> bool:
    low, high, _ = window
    return moment is not None and low <= moment < high


def _count_item(row: StatsRow, fact: _Fact, window: tuple[datetime, datetime, datetime]) -> None:
    """Items dispatched, due and closed on time (per unit: per assignment)."""
    now = window[2]
    if _in(fact.dispatched_at, window):
        row.items += 1
    if fact.due_at is not None and _in(fact.due_at, window):
        settled = fact.closed_at is not None or now > fact.due_at
        if settled:
            row.due += 1
            if fact.closed_at is not None and fact.closed_at <= fact.due_at:
                row.closed_on_time += 1


def _count_assignment(
    row: StatsRow, fact: _Fact, window: tuple[datetime, datetime, datetime]
) -> None:
    """Per assignment: hours to acknowledge and late feedbacks."""
    now = window[2]
    if _in(fact.dispatched_at, window) and fact.acknowledged_at is not None:
        hours = (fact.acknowledged_at - fact.dispatched_at).total_seconds() / 3600
        row.ack_hours.append(max(hours, 0.0))
    deadline = fact.feedback_by
    if deadline is None or not _in(deadline, window) or now <= deadline:
        return
    if fact.first_report_at is None or fact.first_report_at > deadline:
        row.late_feedbacks += 1


def _count_event(row: StatsRow, event: TimelineEvent) -> None:
    if event.kind == Kind.ESCALATED:
        level = _level(event.data)
        row.escalations[level] = row.escalations.get(level, 0) + 1
    elif event.kind == Kind.RETURNED:
        row.returns += 1
    elif event.kind == Kind.EXTENSION_APPROVED:
        row.extensions += 1


def _level(data: dict[str, object] | None) -> int:
    value = (data or {}).get("level", 1)
    try:
        return int(str(value))
    except ValueError:
        return 1


def week_before(today: date) -> Period:
    """The last full Monday-to-Sunday week before ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    return Period(this_monday - timedelta(days=7), this_monday - timedelta(days=1))


def year_to_date(today: date) -> Period:
    return Period(date(today.year, 1, 1), today)
