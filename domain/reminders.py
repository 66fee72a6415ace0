"""Reminders before a deadline (提醒, DESIGN §3): when each one is sent and to whom.

- receipt chasing: a receipt (签收) still missing ``after_hours`` after dispatch is chased to the
  contact (24 h), then the unit head (48 h);
- before the due date: ``before_due_days`` (3, 1, 0) days before it, to the contact;
- periodic reports: ``monthly_report_days_before`` / ``quarterly_report_days_before`` days before
  each report date.

Day-based reminders fire at the policy's ``reminders.time_of_day`` (default 09:00 local). Every
reminder respects quiet hours: one that would fall inside waits for their end.

Each :class:`Occasion` carries a ``key`` that is stable for the same item and dates, so the
outbox can send it exactly once (the service prefixes it with the item and assignment). Keys name
the date they count from, so a new due date (an approved extension, a reopening) brings new
reminders instead of being mistaken for the old ones. The key is only an identity: what it
encodes (hours, days, the date, the ladder level) is also on the occasion as typed fields.

An occasion found more than :data:`LATE_AFTER` past its moment (the process was down) is still
sent, marked late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.deadlines import at_local_time, end_of_day
from domain.policy import Policy, Recipient, ReportEvery
from domain.quiet_hours import hold_until, is_quiet
from domain.schedule_memo import by_policy
from domain.vocabulary import Duty


class OccasionKind(StrEnum):
    RECEIPT_CHASE = "receipt_chase"  # 催签收
    BEFORE_DUE = "before_due"  # 到期提醒
    REPORT_DUE_SOON = "report_due_soon"  # 月度/季度报告提醒
    ESCALATION = "escalation"  # a ladder level (domain.ladder)
    DUTY_REMINDER = "duty_reminder"  # 研究部署/首次反馈提醒 (domain.chases)
    DUTY_CHASE = "duty_chase"  # 催报: a missed plan, feedback or periodic report
    DUTY_NOTICE = "duty_notice"  # still missing: the deputy leader and the office are told


LATE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Occasion:
    """One message to send: what, when (aware UTC, after quiet hours), to whom.

    ``key`` is the stored once-only key; the other fields say what it is about: ``hours`` after
    dispatch (receipt chasing), ``days`` before ``target`` (before-due and report reminders,
    ``target`` being the due or report date), the ladder ``level`` (escalations, ``target`` being
    the local due date; deadlines to chase, ``duty`` owed by ``target``, see
    ``domain.chases``).
    """

    kind: OccasionKind
    key: str
    at: datetime
    recipients: tuple[Recipient, ...]
    hours: int = 0
    days: int = 0
    level: int = 0
    target: date | None = None
    duty: Duty | None = None


def is_late(at: datetime, now: datetime) -> bool:
    """Whether a message meant for ``at`` goes out late at ``now``."""
    return now - at > LATE_AFTER


def send_from(
    occasion: Occasion, now: datetime, policy: Policy, tz: ZoneInfo, quiet: bool
) -> datetime:
    """When an occasion's message may go out: not before the occasion and, when it respects them
    (``quiet``), not in quiet hours (an occasion found past while they last waits for their end)."""
    if quiet and now > occasion.at and is_quiet(now, policy.quiet_hours, tz):
        return hold_until(now, policy.quiet_hours, tz)
    return occasion.at


def receipt_chase_occasions(
    dispatched_at: datetime, policy: Policy, tz: ZoneInfo
) -> list[Occasion]:
    """When a missing receipt is chased: ``after_hours`` after dispatch, held by quiet hours.

    The service sends one only while the assignment is still unacknowledged.
    """
    return [
        Occasion(
            kind=OccasionKind.RECEIPT_CHASE,
            key=f"receipt_chase:{step.after_hours}h",
            at=hold_until(
                dispatched_at + timedelta(hours=step.after_hours), policy.quiet_hours, tz
            ),
            recipients=step.recipients,
            hours=step.after_hours,
        )
        for step in policy.reminders.receipt_chase
    ]


def days_before(
    kind: OccasionKind,
    key_prefix: str,
    target: date,
    offsets: tuple[int, ...],
    dispatched_at: datetime,
    policy: Policy,
    tz: ZoneInfo,
) -> list[Occasion]:
    """Reminders ``offsets`` days before ``target`` at ``time_of_day`` local, in order, none at or
    before the dispatch nor after the target day."""
    deadline = end_of_day(target, tz)
    occasions = []
    for days in sorted(set(offsets), reverse=True):
        nominal = at_local_time(target - timedelta(days=days), policy.reminders.time_of_day, tz)
        at = hold_until(nominal, policy.quiet_hours, tz)
        if dispatched_at < at <= deadline:
            occasions.append(
                Occasion(
                    kind=kind,
                    key=f"{key_prefix}:{target.isoformat()}:{days}d",
                    at=at,
                    recipients=policy.reminders.recipients,
                    days=days,
                    target=target,
                )
            )
    return occasions


@by_policy
def before_due_occasions(
    due: date, dispatched_at: datetime, policy: Policy, tz: ZoneInfo
) -> list[Occasion]:
    """Reminders ``before_due_days`` days before ``due``, at ``time_of_day`` local, in order.

    Moments at or before the dispatch (an item given a short deadline) are left out rather than
    sent late, and so is any that quiet hours would push past the deadline.
    """
    return days_before(
        OccasionKind.BEFORE_DUE,
        "before_due",
        due,
        policy.reminders.before_due_days,
        dispatched_at,
        policy,
        tz,
    )


def report_reminder_occasions(
    report_due: date,
    every: ReportEvery,
    dispatched_at: datetime,
    policy: Policy,
    tz: ZoneInfo,
) -> list[Occasion]:
    """Reminders of one periodic report due on ``report_due`` (see ``periodic_report_dates``).

    Monthly reports (常态化事项) use ``monthly_report_days_before``, quarterly ones (年度重点工作)
    ``quarterly_report_days_before``; the report owed after an answer uses ``before_due_days``.
    """
    offsets = {
        ReportEvery.MONTH: policy.reminders.monthly_report_days_before,
        ReportEvery.QUARTER: policy.reminders.quarterly_report_days_before,
        ReportEvery.AFTER_RESOLVE: policy.reminders.before_due_days,
    }[every]
    return days_before(
        OccasionKind.REPORT_DUE_SOON, "report", report_due, offsets, dispatched_at, policy, tz
    )
