"""Statistics for assessment (考核): the figures per unit and per leader, and how they count.

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
  or none at all; plus each periodic report (monthly, quarterly) whose date fell in the period
  and had passed, sent late or not at all (matched to its period as ``domain.chases`` says).
- **escalations by level, returns, extensions**: timeline events in the period (``escalated``
  with its level, ``returned``, ``extension_approved``). An event names its unit when it is
  about one; an item-wide event counts for the item's lead unit.
- **talks, notices of criticism, referrals**: the leaders' measures in the period, counted as
  events too: talks held (``talk_held``, when the office recorded them), notices of criticism
  sent (``criticism_issued``), referrals for accountability (``referred``); and the notices of
  praise sent in the period, for each unit praised.
- **reopenings**: closed items reopened for rectification (整改, ``reopened``) in the period.
- **days late**: of the settled assignments above that were not closed on time, the local days
  from the due day to the closing day, or to today while still open.
- **satisfaction** (满意度): each complaint's latest rating given in the period (满意, 基本满意,
  不满意), counted for the unit that answered it (the lead unit of its item; the total only
  when the office answered without an item) and the item's leader; the **satisfaction rate**
  (满意率) = (满意 + 基本满意) / rated, ``None`` when nothing was rated
  (``domain.satisfaction``).

Per-leader rows count the same facts over the items they are responsible for.

Each counted fact is also kept as an :class:`domain.scoring.Occurrence` naming its item, from
which :func:`scored` computes each row's score and rank under the policy's scheme.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.satisfaction import Rating, satisfaction_rate
from domain.scoring import EventKind, Occurrence, Scheme, Score, ranks, score


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants: [start's midnight, the day after end's midnight)."""
        low = datetime.combine(self.start, time(0), tzinfo=tz)
        high = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz)
        return low, high


def week_before(today: date) -> Period:
    """The last full Monday-to-Sunday week before ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    return Period(this_monday - timedelta(days=7), this_monday - timedelta(days=1))


def year_to_date(today: date) -> Period:
    return Period(date(today.year, 1, 1), today)


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
    talks: int = 0  # 约谈 held (recorded)
    criticisms: int = 0  # 通报批评 issued
    praises: int = 0  # 通报表扬 issued
    referrals: int = 0  # 问责建议 made
    reopenings: int = 0  # 整改: reopened after a follow-up check
    ratings: dict[Rating, int] = field(default_factory=dict)  # complainants' 满意度
    ack_hours: list[float] = field(default_factory=list, repr=False)
    occurrences: list[Occurrence] = field(default_factory=list, repr=False)
    score: Score | None = None
    rank: int | None = None

    def occurred(self, kind: EventKind, on: date, ref: str | None, code: str | None) -> None:
        self.occurrences.append(Occurrence(kind, on, ref, code))

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.due if self.due else None

    @property
    def mean_ack_hours(self) -> float | None:
        if not self.ack_hours:
            return None
        return round(sum(self.ack_hours) / len(self.ack_hours), 1)

    @property
    def satisfaction_rate(self) -> float | None:
        r = self.ratings
        return satisfaction_rate(
            r.get(Rating.SATISFIED, 0), r.get(Rating.BASIC, 0), r.get(Rating.DISSATISFIED, 0)
        )

    def rated(self, rating: Rating) -> None:
        self.ratings[rating] = self.ratings.get(rating, 0) + 1

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
            "talks": self.talks,
            "criticisms": self.criticisms,
            "praises": self.praises,
            "referrals": self.referrals,
            "reopenings": self.reopenings,
            "satisfaction": {
                **{str(r): self.ratings.get(r, 0) for r in Rating},
                "rate": round(sat, 4) if (sat := self.satisfaction_rate) is not None else None,
            },
        } | self._score_json()

    def _score_json(self) -> dict[str, object]:
        if self.score is None:
            return {}
        return {
            "score": self.score.total,
            "rank": self.rank,
            "deductions": [line.as_json() for line in self.score.lines],
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

    def by_score(self, rows: list[StatsRow]) -> list[StatsRow]:
        """The rows best score first (ties by key); unscored rows last."""
        return sorted(
            rows, key=lambda r: (r.score is None, -(r.score.total if r.score else 0), r.key)
        )


def scored(stats: Stats, scheme: Scheme) -> Stats:
    """Each unit's and leader's score under ``scheme``, and their rank among their kind."""
    for rows in (stats.units, stats.leaders):
        for row in rows:
            row.score = score(scheme, row.occurrences)
        ranked = ranks({row.key: row.score.total for row in rows if row.score is not None})
        for row in rows:
            row.rank = ranked.get(row.key)
    return stats


@dataclass(frozen=True)
class AssignmentFact:
    """One assignment with what the statistics need of it and its item."""

    item_id: int
    item_ref: str
    item_code: str
    unit_id: int
    leader_id: int | None
    dispatched_at: datetime
    due_at: datetime | None
    closed_at: datetime | None  # None while the item is not closed
    acknowledged_at: datetime | None
    feedback_by: datetime | None
    first_report_at: datetime | None
    late_reports: tuple[datetime, ...] = ()  # deadlines of periodic reports sent late or missed


class Window(NamedTuple):
    """The period as UTC instants ``[low, high)``, the moment the figures are made, and the
    deployment's zone (the local day of each counted fact)."""

    low: datetime
    high: datetime
    now: datetime
    tz: ZoneInfo

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.low <= moment < self.high


def count_item(row: StatsRow, fact: AssignmentFact, window: Window) -> None:
    """Items dispatched, due and closed on time (per unit: per assignment)."""
    if window.holds(fact.dispatched_at):
        row.items += 1
    if fact.due_at is None or not window.holds(fact.due_at):
        return
    if fact.closed_at is None and window.now <= fact.due_at:
        return  # not settled yet
    row.due += 1
    due_day = window.day(fact.due_at)
    if fact.closed_at is not None and fact.closed_at <= fact.due_at:
        row.closed_on_time += 1
        row.occurred(EventKind.ON_TIME, window.day(fact.closed_at), fact.item_ref, fact.item_code)
        return
    late_until = window.day(fact.closed_at or window.now)
    days = max((late_until - due_day).days, 1)
    row.occurrences.append(
        Occurrence(EventKind.DAY_LATE, due_day, fact.item_ref, fact.item_code, days)
    )


def count_assignment(row: StatsRow, fact: AssignmentFact, window: Window) -> None:
    """Per assignment: hours to acknowledge and late feedbacks."""
    if window.holds(fact.dispatched_at) and fact.acknowledged_at is not None:
        hours = (fact.acknowledged_at - fact.dispatched_at).total_seconds() / 3600
        row.ack_hours.append(max(hours, 0.0))
    for report_by in fact.late_reports:
        if window.holds(report_by) and window.now > report_by:
            row.late_feedbacks += 1
            row.occurred(
                EventKind.LATE_REPORT, window.day(report_by), fact.item_ref, fact.item_code
            )
    deadline = fact.feedback_by
    if deadline is None or not window.holds(deadline) or window.now <= deadline:
        return
    if fact.first_report_at is None or fact.first_report_at > deadline:
        row.late_feedbacks += 1
        row.occurred(EventKind.LATE_FEEDBACK, window.day(deadline), fact.item_ref, fact.item_code)


@dataclass
class Tally:
    """The rows being counted: per unit, per leader, and the total over the scope.

    ``unit_ids`` narrows the scope to some units: the total then counts only their items.
    """

    units: dict[int, StatsRow]
    leaders: dict[int, StatsRow]
    total: StatsRow
    window: Window
    unit_ids: frozenset[int] | None = None

    def add_facts(self, facts: list[AssignmentFact]) -> None:
        for fact in facts:
            row = self.units.get(fact.unit_id)
            if row is not None:
                count_assignment(row, fact, self.window)
                count_item(row, fact, self.window)
        by_item: dict[int, list[AssignmentFact]] = defaultdict(list)
        for fact in facts:
            by_item[fact.item_id].append(fact)
        for item_facts in by_item.values():
            first = item_facts[0]
            targets = [self.total]
            leader_row = self.leaders.get(first.leader_id) if first.leader_id else None
            if leader_row is not None:
                targets.append(leader_row)
            if self.unit_ids is not None and not any(
                f.unit_id in self.unit_ids for f in item_facts
            ):
                targets = targets[1:] if leader_row is not None else []
            for target in targets:
                count_item(target, first, self.window)
                for fact in item_facts:
                    count_assignment(target, fact, self.window)

    def event_rows(self, unit_id: int | None, leader_id: int | None) -> list[StatsRow]:
        """The rows an event about this unit (and the item's leader) counts in."""
        targets = []
        if unit_id is not None and unit_id in self.units:
            targets.append(self.units[unit_id])
        if leader_id is not None and leader_id in self.leaders:
            targets.append(self.leaders[leader_id])
        if self.unit_ids is None or (unit_id is not None and unit_id in self.unit_ids):
            targets.append(self.total)
        return targets

    def stats(self, period: Period) -> Stats:
        return Stats(period, list(self.units.values()), list(self.leaders.values()), self.total)
