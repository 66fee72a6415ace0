"""An item's plan (DESIGN §3): every occasion of its schedule that still matters, due or not,
from plain facts about the item and its units.

- receipt chasing, for each open unit that has not acknowledged;
- before the due date, for each open unit, while the due moment has not passed; of the
  reminders already due only the latest is kept (one "due in 1 day" instead of "3 days" and
  "1 day" together);
- periodic reports (routine items, annual key tasks), for each open unit, up to the first report
  date more than 40 days ahead (enough to know when to look again);
- deadlines to chase (``domain.chases``), for each open unit that still owes them: the plan
  (研究部署) and the first feedback (首次反馈) when the class has them, and the latest periodic
  report missed (older ones missed are not chased again);
- the escalation ladder, once for the item, while it has an open unit.

Each planned occasion names the basis it counts from (:func:`basis_ack`, :func:`basis_due`,
:func:`basis_report`, ``domain.chases.basis_owed``); it is stored with its notifications so
that delivery can tell whether a queued one still fits its item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.chases import (
    Owed,
    PeriodState,
    PeriodStatus,
    answered_at,
    owed_occasions,
    period_statuses,
    periodic_moments,
    still_due,
)
from domain.deadlines import end_of_day, local_date, periodic_report_dates
from domain.ladder import escalation_occasions
from domain.policy import Policy, ReportEvery
from domain.proposals import proposal_statuses
from domain.recipients import UnitContacts
from domain.rectification import plan_status
from domain.reminders import (
    Occasion,
    before_due_occasions,
    receipt_chase_occasions,
    report_reminder_occasions,
)
from domain.talks import TalkFacts
from domain.vocabulary import Duty, TimeClass

REPORTS_HORIZON = timedelta(days=370)  # how far ahead periodic report dates are computed
ENOUGH_AHEAD = timedelta(days=40)  # a report date this far ahead is the last one planned


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What the plan of an item depends on."""

    open: bool  # dispatched, in progress or completion submitted
    time_class: TimeClass
    dispatched_at: datetime | None
    due_date: date | None
    due_at: datetime | None
    plan_by: datetime | None = None
    first_feedback_by: datetime | None = None
    reopened_at: datetime | None = None  # 整改: when a follow-up check last reopened it
    rectify_plan_by: datetime | None = None  # its rectification plan (整改方案) is due
    talks: tuple[TalkFacts, ...] = ()  # recorded talks (约谈), oldest first


@dataclass(frozen=True, slots=True)
class PlannedOccasion:
    """An occasion of the item's plan and whom it concerns."""

    occasion: Occasion
    unit: UnitContacts | None  # None: an item-level occasion (the ladder)
    basis: str
    quarterly: bool = False  # a report reminder: of a quarterly report

    @property
    def report_on(self) -> date | None:
        """A report reminder's report date."""
        return self.occasion.target


def basis_due(due: date | None) -> str:
    """The basis of what counts from the item's due date."""
    return f"due:{due.isoformat() if due else '-'}"


def basis_ack(assignment_id: int) -> str:
    """The basis of chasing a unit's receipt."""
    return f"ack:{assignment_id}"


def basis_report(report_on: date) -> str:
    """The basis of a periodic report's reminders."""
    return f"report:{report_on.isoformat()}"


def plan_item(
    item: ItemFacts,
    units: Sequence[UnitContacts],
    now: datetime,
    policy: Policy,
    tz: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> list[PlannedOccasion]:
    """Every occasion of the item's schedule that still matters at ``now``, due or not;
    ``units`` lead first; ``calendar`` tells the working days chases fall on."""
    if not item.open or item.dispatched_at is None:
        return []
    open_units = [u for u in units if u.open]
    planned = _receipt_chases(item.dispatched_at, open_units, policy, tz)
    if item.due_date is not None and item.due_at is not None and now <= item.due_at:
        planned += _before_due(item.due_date, item.dispatched_at, open_units, now, policy, tz)
    planned += _report_reminders(item, open_units, now, policy, tz)
    calendar = calendar or WorkCalendar()
    owed = [o for unit in open_units for o in owed_by(item, unit, now, policy, tz, calendar)]
    units_by_share = {unit.assignment_id: unit for unit in open_units}
    for one in owed:
        occasions = owed_occasions(one, item.dispatched_at, item.due_at, policy, calendar, tz)
        planned += [
            PlannedOccasion(occasion, units_by_share[one.assignment_id], one.basis)
            for occasion in still_due(occasions, now)
        ]
    if item.due_at is not None and open_units:
        planned += [
            PlannedOccasion(occasion, None, basis_due(item.due_date))
            for occasion in escalation_occasions(
                item.due_at, policy, tz, after_talk_from(item.talks, tz)
            )
        ]
    return planned


def next_check(planned: Sequence[PlannedOccasion], now: datetime) -> datetime | None:
    """When to look at the item again: its earliest occasion after ``now`` (None: nothing
    lies ahead)."""
    ahead = [p.occasion.at for p in planned if p.occasion.at > now]
    return min(ahead) if ahead else None


def _receipt_chases(
    dispatched_at: datetime, open_units: list[UnitContacts], policy: Policy, tz: ZoneInfo
) -> list[PlannedOccasion]:
    return [
        PlannedOccasion(occasion, unit, basis_ack(unit.assignment_id))
        for unit in open_units
        if not unit.acknowledged
        for occasion in receipt_chase_occasions(dispatched_at, policy, tz)
    ]


def _before_due(
    due: date,
    dispatched_at: datetime,
    open_units: list[UnitContacts],
    now: datetime,
    policy: Policy,
    tz: ZoneInfo,
) -> list[PlannedOccasion]:
    occasions = before_due_occasions(due, dispatched_at, policy, tz)
    due_now = [o for o in occasions if o.at <= now]
    # A later reminder supersedes earlier ones not yet queued: keep only the latest due.
    keep = due_now[-1:] + [o for o in occasions if o.at > now]
    return [
        PlannedOccasion(occasion, unit, basis_due(due)) for occasion in keep for unit in open_units
    ]


def _report_reminders(
    item: ItemFacts,
    open_units: list[UnitContacts],
    now: datetime,
    policy: Policy,
    tz: ZoneInfo,
) -> list[PlannedOccasion]:
    schedule = policy.classes[item.time_class].reports
    if schedule is None or schedule.every is ReportEvery.AFTER_RESOLVE:
        return []
    assert item.dispatched_at is not None
    today = local_date(now, tz)
    quarterly = schedule.every is ReportEvery.QUARTER
    planned: list[PlannedOccasion] = []
    for report_on in periodic_report_dates(
        item.time_class, item.dispatched_at, policy, today + REPORTS_HORIZON, tz
    ):
        if report_on < today:
            continue
        planned += [
            PlannedOccasion(occasion, unit, basis_report(report_on), quarterly=quarterly)
            for occasion in report_reminder_occasions(
                report_on, schedule.every, item.dispatched_at, policy, tz
            )
            for unit in open_units
        ]
        if report_on > today + ENOUGH_AHEAD:
            break  # the next one is enough to know when to look again
    return planned


def owed_by(
    item: ItemFacts,
    unit: UnitContacts,
    now: datetime,
    policy: Policy,
    tz: ZoneInfo,
    calendar: WorkCalendar | None = None,
) -> list[Owed]:
    """What the unit still owes of the item that is chased: the plan and the first feedback
    not yet sent, the latest periodic report missed (or the next one ahead), the same of a
    proposal's reports after its answer, and a rectification plan not yet sent."""
    owed = [
        Owed(duty, local_date(by, tz), unit.assignment_id)
        for duty, by in ((Duty.PLAN, item.plan_by), (Duty.FIRST_FEEDBACK, item.first_feedback_by))
        if by is not None and answered_at(unit.reports, duty) is None
    ]
    statuses = [(Duty.PERIODIC_REPORT, s) for s in periods(item, unit, now, policy, tz)]
    days = calendar or WorkCalendar()
    statuses += proposal_statuses(item.time_class, unit.reports, now, policy, days, tz)
    owed += [Owed(duty, s.report_on, unit.assignment_id) for duty, s in _owed_of(statuses)]
    if item.reopened_at is not None and item.rectify_plan_by is not None:
        plan = plan_status(
            item.reopened_at, local_date(item.rectify_plan_by, tz), unit.reports, now, tz
        )
        if plan.reported_at is None:
            owed.append(Owed(Duty.RECTIFICATION_PLAN, plan.report_on, unit.assignment_id))
    return owed + talk_owed(item.talks, unit)


def _owed_of(statuses: list[tuple[Duty, PeriodStatus]]) -> list[tuple[Duty, PeriodStatus]]:
    """Of each duty's statuses, those still chased: the latest missed and the next ahead."""
    chased: list[tuple[Duty, PeriodStatus]] = []
    for duty in dict.fromkeys(d for d, _ in statuses):
        mine = [s for d, s in statuses if d is duty]
        missing = [s for s in mine if s.state is PeriodState.MISSING]
        ahead = [s for s in mine if s.state is PeriodState.OPEN]
        chased += [(duty, s) for s in missing[-1:] + ahead[:1]]
    return chased


def talk_owed(talks: Sequence[TalkFacts], unit: UnitContacts) -> list[Owed]:
    """The commitments the unit made at talks (约谈承诺) and has not reported on since."""
    owed: list[Owed] = []
    for talk in talks:
        since = [(kind, at) for kind, at in unit.reports if at >= talk.recorded_at]
        if unit.assignment_id in talk.assignment_ids and (
            answered_at(since, Duty.TALK_COMMITMENT) is None
        ):
            owed.append(Owed(Duty.TALK_COMMITMENT, talk.commit_by, unit.assignment_id))
    return owed


def after_talk_from(talks: Sequence[TalkFacts], tz: ZoneInfo) -> datetime | None:
    """From when a level that comes only after a talk may come: the end of the day the units
    committed to at the latest talk, or its recording if later (None: no talk yet)."""
    if not talks:
        return None
    last = talks[-1]
    return max(last.recorded_at, end_of_day(last.commit_by, tz) + timedelta(microseconds=1))


def periods(
    item: ItemFacts, unit: UnitContacts, now: datetime, policy: Policy, tz: ZoneInfo
) -> list[PeriodStatus]:
    """The unit's periodic reports up to the next one ahead, each with its state."""
    if item.dispatched_at is None:
        return []
    today = local_date(now, tz)
    dates = periodic_report_dates(
        item.time_class, item.dispatched_at, policy, today + REPORTS_HORIZON, tz
    )
    upto = [d for d in dates if d < today] + [d for d in dates if d >= today][:1]
    return period_statuses(
        upto, local_date(item.dispatched_at, tz), periodic_moments(unit.reports), now, tz
    )
