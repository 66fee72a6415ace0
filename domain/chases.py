"""Deadlines to chase (催报): what a unit owes by a date besides the final result, and when it
is reminded, chased and told upward.

A deadline to chase is an :class:`Owed`: what is owed (a :class:`Duty`), by which local date, by
which unit's share (the assignment), and the basis a queued message is checked against at
delivery (:func:`basis_owed`). Its occasions (:func:`owed_occasions`):

- reminders ``remind_days_before`` days before the date, at ``reminders.time_of_day``, to
  ``reminders.recipients`` (plan and first feedback; periodic reports have their own reminders,
  ``domain.reminders.report_reminder_occasions``);
- the chase (催报), on the first working day after the date at ``time_of_day``, to the unit's
  ``chase_recipients`` (default: the contact and the unit head);
- the notice, ``notify_after_days`` working days after the chase, to the item's
  ``notify_recipients`` (default: the deputy leader and the office).

Each waits out quiet hours. Its key names the duty and the date (``plan:chase:2026-12-08``), so
it is sent once, and a moved date brings new ones. None falls after the item's due moment: the
ladder takes over there.

Which reports answer what (:func:`answers`): a plan (研究部署) answers the plan; progress, a
periodic report or a completion report answer the first feedback (首次反馈); a completion
report answers the plan too (the work is done). An extension request answers nothing.

Periodic reports are matched to periods in order (:func:`period_statuses`): each report that can
count (a progress, monthly, quarterly or completion report) answers the oldest period still owed
whose window has opened (the window of the report due on date R opens the day after the previous
report date, or after the dispatch date); it is on time when sent by the end of R, late when
after. So a unit that misses a month and reports once the next month has answered the missed
month, late, and still owes the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.deadlines import at_local_time, end_of_day, local_date
from domain.policy import Chase, MilestoneChase, Policy
from domain.quiet_hours import hold_until
from domain.reminders import Occasion, OccasionKind, days_before
from domain.vocabulary import Duty, ReportKind

_FEEDBACK = frozenset(
    {ReportKind.PROGRESS, ReportKind.MONTHLY, ReportKind.QUARTERLY, ReportKind.COMPLETION}
)


def answers(kind: ReportKind) -> frozenset[Duty]:
    """What a report of this kind answers."""
    if kind is ReportKind.PLAN:
        return frozenset({Duty.PLAN})
    if kind is ReportKind.COMPLETION:
        return frozenset({Duty.PLAN, Duty.FIRST_FEEDBACK, Duty.PERIODIC_REPORT}) | _AFTER_TALK
    if kind in _FEEDBACK:
        return frozenset({Duty.FIRST_FEEDBACK, Duty.PERIODIC_REPORT}) | _AFTER_TALK
    return frozenset()


# A talk's commitment (约谈承诺) is answered by a feedback sent after the talk was recorded (the
# caller leaves out the reports sent before it: ``domain.occasions.talk_owed``).
_AFTER_TALK = frozenset({Duty.TALK_COMMITMENT})


Reports = Sequence[tuple[ReportKind, datetime]]  # a share's reports: (kind, sent at)


def answered_at(reports: Reports, duty: Duty) -> datetime | None:
    """When ``duty`` was first answered by one of ``reports`` (None: not yet)."""
    return min((at for kind, at in reports if duty in answers(kind)), default=None)


def periodic_moments(reports: Reports) -> list[datetime]:
    """The moments of the reports that can answer a periodic report."""
    return sorted(at for kind, at in reports if Duty.PERIODIC_REPORT in answers(kind))


@dataclass(frozen=True, slots=True)
class Owed:
    """A deadline to chase: ``duty`` owed by the share ``assignment_id`` by the end of ``by``."""

    duty: Duty
    by: date
    assignment_id: int

    @property
    def basis(self) -> str:
        return basis_owed(self.duty, self.assignment_id, self.by)


def basis_owed(duty: Duty, assignment_id: int, by: date) -> str:
    """The basis of a deadline's messages: what delivery checks is still missing."""
    return f"owed:{duty.value}:{assignment_id}:{by.isoformat()}"


def parse_basis(basis: str) -> Owed | None:
    """The deadline a basis names (None: not a deadline's basis, or malformed)."""
    parts = basis.split(":")
    if len(parts) != 4 or parts[0] != "owed":
        return None
    try:
        return Owed(Duty(parts[1]), date.fromisoformat(parts[3]), int(parts[2]))
    except ValueError:
        return None


def steps_of(duty: Duty, policy: Policy) -> Chase:
    """The policy's chase steps for ``duty``."""
    return {
        Duty.PLAN: policy.chases.plan,
        Duty.FIRST_FEEDBACK: policy.chases.first_feedback,
        Duty.PERIODIC_REPORT: policy.chases.periodic_report,
        Duty.PROPOSAL_REPORT: policy.chases.proposal_report,
        Duty.PROPOSAL_FOLLOW_UP: policy.chases.proposal_follow_up,
        Duty.RECTIFICATION_PLAN: policy.chases.rectification_plan,
        Duty.TALK_COMMITMENT: policy.chases.talk_commitment,
    }[duty]


@dataclass(frozen=True, slots=True)
class ChaseDays:
    """The local days of a deadline's chase and notice."""

    chase_on: date
    notify_on: date


def chase_days(by: date, steps: Chase, calendar: WorkCalendar) -> ChaseDays:
    """The chase: the first working day after ``by``; the notice: ``notify_after_days``
    working days after the chase."""
    chase_on = calendar.add_working_days(by, 1)
    return ChaseDays(chase_on, calendar.add_working_days(chase_on, steps.notify_after_days))


def owed_occasions(
    owed: Owed,
    dispatched_at: datetime,
    due_at: datetime | None,
    policy: Policy,
    calendar: WorkCalendar,
    tz: ZoneInfo,
) -> list[Occasion]:
    """The reminders, the chase and the notice of a deadline, in order; none after ``due_at``
    (the ladder's turn), except for a talk's commitment, which the ladder has reached already."""
    steps = steps_of(owed.duty, policy)
    occasions: list[Occasion] = []
    if isinstance(steps, MilestoneChase):
        occasions += days_before(
            OccasionKind.DUTY_REMINDER,
            f"{owed.duty.value}:remind",
            owed.by,
            steps.remind_days_before,
            dispatched_at,
            policy,
            tz,
        )
    days = chase_days(owed.by, steps, calendar)
    clock = policy.reminders.time_of_day
    for kind, day, recipients, step in (
        (OccasionKind.DUTY_CHASE, days.chase_on, steps.chase_recipients, "chase"),
        (OccasionKind.DUTY_NOTICE, days.notify_on, steps.notify_recipients, "notice"),
    ):
        occasions.append(
            Occasion(
                kind=kind,
                key=f"{owed.duty.value}:{step}:{owed.by.isoformat()}",
                at=hold_until(at_local_time(day, clock, tz), policy.quiet_hours, tz),
                recipients=recipients,
                days=(day - owed.by).days,
                target=owed.by,
            )
        )
    occasions = [replace(o, duty=owed.duty) for o in occasions]
    if owed.duty is Duty.TALK_COMMITMENT:
        return occasions
    return [o for o in occasions if due_at is None or o.at <= due_at]


def still_due(occasions: Sequence[Occasion], now: datetime) -> list[Occasion]:
    """Of a deadline's occasions, those to queue at ``now``: reminders a due chase has overtaken
    are dropped (an item found late is chased once for what is missing, not reminded too), and
    of the reminders only the latest due one is kept."""
    come = [o for o in occasions if o.at <= now]
    ahead = [o for o in occasions if o.at > now]
    reminders = [o for o in come if o.kind is OccasionKind.DUTY_REMINDER]
    steps = [o for o in come if o.kind is not OccasionKind.DUTY_REMINDER]
    return (steps if steps else reminders[-1:]) + ahead


class PeriodState(StrEnum):
    ON_TIME = "on_time"  # 按时
    LATE = "late"  # 逾期报送
    MISSING = "missing"  # 未报
    OPEN = "open"  # not due yet, not sent yet


@dataclass(frozen=True, slots=True)
class PeriodStatus:
    """One periodic report: its date, its state, and when the report that answered it came."""

    report_on: date
    state: PeriodState
    reported_at: datetime | None


def period_statuses(
    report_dates: Sequence[date],
    dispatched_on: date,
    reports: Sequence[datetime],
    now: datetime,
    tz: ZoneInfo,
) -> list[PeriodStatus]:
    """Each report date's state, the reports (moments of those that count) matched in order
    (see the module's docstring)."""
    answered: dict[date, datetime] = {}
    opens = {r: (report_dates[i - 1] if i else dispatched_on) for i, r in enumerate(report_dates)}
    for moment in sorted(reports):
        sent_on = local_date(moment, tz)
        owed = [r for r in report_dates if r not in answered and opens[r] < sent_on]
        if owed:
            answered[owed[0]] = moment
    return [deadline_status(r, answered.get(r), now, tz) for r in report_dates]


def deadline_status(
    by: date, reported_at: datetime | None, now: datetime, tz: ZoneInfo
) -> PeriodStatus:
    """A deadline owed by the end of ``by``, answered at ``reported_at`` (None: not yet)."""
    deadline = end_of_day(by, tz)
    if reported_at is not None:
        state = PeriodState.ON_TIME if reported_at <= deadline else PeriodState.LATE
    else:
        state = PeriodState.MISSING if now > deadline else PeriodState.OPEN
    return PeriodStatus(by, state, reported_at)


def late_periods(statuses: Sequence[PeriodStatus]) -> int:
    """Periods whose report came late or not at all (counted as late feedbacks)."""
    return sum(s.state in (PeriodState.LATE, PeriodState.MISSING) for s in statuses)
