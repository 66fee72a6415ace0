"""Deadlines of an item, from its time-limit class and its dispatch date (DESIGN §2).

Every limit counts from the DISPATCH DATE in the deployment's time zone: an item dispatched at
23:30 in Shanghai counts from that Shanghai date, whatever the UTC date was. "N days" is the date
N calendar days later, or N working days later (调休 included) when the class counts working days.

A deadline falls at the end of its day in the deployment zone. This module represents that end as
the day's LAST INSTANT, one microsecond before the next local midnight (23:59:59.999999): it still
belongs to the due date, it shows as 23:59 on screen, and an item is overdue exactly when
``now > due_at``. Use :func:`end_of_day` for every deadline; never compare against midnight.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.policy import Policy, ReportEvery, ResolveRuleKind
from domain.vocabulary import TimeClass

_LAST_INSTANT = timedelta(microseconds=1)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last instant of ``day`` in ``tz`` (next local midnight minus 1 µs), as aware UTC."""
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return next_midnight.astimezone(UTC) - _LAST_INSTANT


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of ``moment`` on a wall clock in ``tz``."""
    _require_aware(moment)
    return moment.astimezone(tz).date()


def at_local_time(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """``day`` at wall-clock ``clock`` in ``tz``, as aware UTC."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, clamped to that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def follow_up_after(now: datetime, tz: ZoneInfo, months: int) -> date:
    """The follow-up date (回头看) ``months`` after today, today being ``now``'s date in ``tz``."""
    return add_months(local_date(now, tz), months)


def _after(day: date, days: int, working: bool, calendar: WorkCalendar) -> date:
    return calendar.add_working_days(day, days) if working else day + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Milestones:
    """The deadlines of one dispatched item. Datetimes are aware UTC, each a day's last instant."""

    dispatched_on: date
    acknowledge_by: datetime
    plan_by: datetime | None
    first_feedback_by: datetime | None
    due: date | None
    due_at: datetime | None


def resolve_date(
    time_class: TimeClass,
    dispatched_on: date,
    policy: Policy,
    calendar: WorkCalendar,
    given_due: date | None,
) -> date | None:
    """The date an item must be resolved by (办结时限); ``None`` for an open-ended item.

    A date the office gives explicitly wins over the class's rule; the ``given_date`` rule
    (custom items) requires one.
    """
    if given_due is not None:
        if given_due < dispatched_on:
            raise InvalidInput(
                N_("The due date {due} is before the dispatch date {dispatched}."),
                due=given_due.isoformat(),
                dispatched=dispatched_on.isoformat(),
            )
        return given_due
    rules = policy.classes[time_class]
    rule = rules.resolve
    match rule.rule:
        case ResolveRuleKind.DAYS:
            assert rule.amount is not None
            return _after(dispatched_on, rule.amount, rules.working_days, calendar)
        case ResolveRuleKind.MONTHS:
            assert rule.amount is not None
            return add_months(dispatched_on, rule.amount)
        case ResolveRuleKind.YEAR_END:
            return date(dispatched_on.year, 12, 31)
        case ResolveRuleKind.OPEN_ENDED:
            return None
        case ResolveRuleKind.GIVEN_DATE:
            raise InvalidInput(N_("This kind of item needs a due date."))


def milestones(
    time_class: TimeClass,
    dispatched_at: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    given_due: date | None = None,
) -> Milestones:
    """All deadlines of an item dispatched at ``dispatched_at`` (DESIGN §2, time limits table).

    Acknowledge (签收), plan deployed (研究部署) and first feedback (首次反馈) come N days after
    the dispatch date; none of them falls after the due date.
    """
    dispatched_on = local_date(dispatched_at, tz)
    rules = policy.classes[time_class]
    due = resolve_date(time_class, dispatched_on, policy, calendar, given_due)
    due_at = end_of_day(due, tz) if due is not None else None

    def by(days: int | None) -> datetime | None:
        if days is None:
            return None
        moment = end_of_day(_after(dispatched_on, days, rules.working_days, calendar), tz)
        return min(moment, due_at) if due_at is not None else moment

    acknowledge_by = by(rules.acknowledge_days)
    assert acknowledge_by is not None
    return Milestones(
        dispatched_on=dispatched_on,
        acknowledge_by=acknowledge_by,
        plan_by=by(rules.plan_days),
        first_feedback_by=by(rules.first_feedback_days),
        due=due,
        due_at=due_at,
    )


def periodic_report_dates(
    time_class: TimeClass,
    dispatched_at: datetime,
    policy: Policy,
    until: date,
    tz: ZoneInfo,
) -> list[date]:
    """Due dates of the periodic reports after the dispatch date, up to ``until`` inclusive.

    Routine items (常态化事项) report every month on the policy's day (clamped to the month's
    end); annual key tasks (年度重点工作) report on the given day of the given months (default
    15 Jan/Apr/Jul/Oct). Other classes owe no periodic reports: ``[]``.
    """
    schedule = policy.classes[time_class].reports
    if schedule is None or schedule.every is ReportEvery.AFTER_RESOLVE:
        return []
    assert schedule.day is not None
    monthly = schedule.every is ReportEvery.MONTH
    months = set(range(1, 13)) if monthly else set(schedule.months or ())
    dispatched_on = local_date(dispatched_at, tz)
    dates: list[date] = []
    first_of_month = dispatched_on.replace(day=1)
    while first_of_month <= until:
        if first_of_month.month in months:
            last = gregorian.monthrange(first_of_month.year, first_of_month.month)[1]
            report_day = first_of_month.replace(day=min(schedule.day, last))
            if dispatched_on < report_day <= until:
                dates.append(report_day)
        first_of_month = add_months(first_of_month, 1)
    return dates


def report_after_resolve_due(
    time_class: TimeClass,
    resolved_on: date,
    policy: Policy,
    calendar: WorkCalendar,
) -> date | None:
    """When the report owed after the answer is due (建议提案: within 20 days after answering).

    ``None`` when the class owes no such report.
    """
    rules = policy.classes[time_class]
    schedule = rules.reports
    if schedule is None or schedule.every is not ReportEvery.AFTER_RESOLVE:
        return None
    assert schedule.days is not None
    return _after(resolved_on, schedule.days, rules.working_days, calendar)


@dataclass(frozen=True, slots=True)
class ReportTerms:
    """The reports a class owes besides its deadlines, as a dispatch states them: their rule,
    from the policy, since their dates follow the dispatch (or the answer) one by one.

    Routine items (常态化事项) report every month by ``monthly_day``; annual key tasks (年度重点
    工作) every year by each of ``quarterly_on`` (month, day); proposals (建议提案) report within
    ``after_answer_days`` (working days when ``working_days``) after answering the proposer.
    """

    monthly_day: int | None = None
    quarterly_on: tuple[tuple[int, int], ...] = ()
    after_answer_days: int | None = None
    working_days: bool = False


def report_terms(time_class: TimeClass, policy: Policy) -> ReportTerms | None:
    """The periodic or after-answer reports of the class (None: it owes none)."""
    rules = policy.classes[time_class]
    schedule = rules.reports
    if schedule is None:
        return None
    if schedule.every is ReportEvery.AFTER_RESOLVE:
        return ReportTerms(after_answer_days=schedule.days, working_days=rules.working_days)
    if schedule.every is ReportEvery.MONTH:
        return ReportTerms(monthly_day=schedule.day)
    assert schedule.day is not None
    return ReportTerms(quarterly_on=tuple((month, schedule.day) for month in schedule.months or ()))


# --- the office moves the steps before the due date (调整时限) -------------------------------


@dataclass(frozen=True, slots=True)
class StepDates:
    """The days an item's plan (研究部署) and first feedback (首次反馈) are due by; None: the
    item owes no such step."""

    plan: date | None
    first_feedback: date | None


def moved_steps(
    now: StepDates, plan: date | None, first_feedback: date | None, due: date | None, today: date
) -> StepDates:
    """The step dates after the office gives ``plan`` and/or ``first_feedback`` (None: kept).
    A step the item does not owe cannot be given; a new date is not in the past, not after the
    due date, and the plan comes no later than the first feedback."""
    if plan is None and first_feedback is None:
        raise InvalidInput(N_("Give a new date for the plan, the first feedback, or both."))
    for given, owed, field in (
        (plan, now.plan, "plan_by"),
        (first_feedback, now.first_feedback, "first_feedback_by"),
    ):
        if given is None:
            continue
        if owed is None:
            raise InvalidInput(N_("This item owes no such step."), field=field)
        if given < today:
            raise InvalidInput(N_("The new date is in the past."), field=field)
        if due is not None and given > due:
            raise InvalidInput(
                N_("The new date is after the due date {due}."), field=field, due=due.isoformat()
            )
    moved = StepDates(plan or now.plan, first_feedback or now.first_feedback)
    if moved.plan and moved.first_feedback and moved.plan > moved.first_feedback:
        raise InvalidInput(
            N_("The plan cannot be due after the first feedback ({day})."),
            field="plan_by",
            day=moved.first_feedback.isoformat(),
        )
    return moved
