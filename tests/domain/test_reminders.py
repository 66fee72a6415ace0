"""Reminders before a deadline: receipt chasing, 3/1/0 days before, periodic reports (DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.policy import Policy, QuietHours, Recipient, Reminders, ReportEvery
from domain.reminders import (
    LATE_AFTER,
    OccasionKind,
    before_due_occasions,
    is_late,
    receipt_chase_occasions,
    report_reminder_occasions,
    send_from,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_receipt_is_chased_to_the_contact_then_the_unit_head() -> None:
    occasions = receipt_chase_occasions(local(3, 10, 10), POLICY, SHANGHAI)
    assert [(o.key, o.at, o.recipients) for o in occasions] == [
        ("receipt_chase:24h", local(3, 11, 10), (Recipient.UNIT_CONTACT,)),
        ("receipt_chase:48h", local(3, 12, 10), (Recipient.UNIT_HEAD,)),
    ]
    assert all(o.kind is OccasionKind.RECEIPT_CHASE for o in occasions)


def test_receipt_chase_in_quiet_hours_waits_for_the_morning() -> None:
    occasions = receipt_chase_occasions(local(3, 10, 23), POLICY, SHANGHAI)
    assert [o.at for o in occasions] == [local(3, 12, 8), local(3, 13, 8)]


def test_before_due_reminders_fire_at_nine_local() -> None:
    occasions = before_due_occasions(date(2026, 3, 20), local(3, 2, 10), POLICY, SHANGHAI)
    assert [(o.key, o.at) for o in occasions] == [
        ("before_due:2026-03-20:3d", local(3, 17, 9)),
        ("before_due:2026-03-20:1d", local(3, 19, 9)),
        ("before_due:2026-03-20:0d", local(3, 20, 9)),
    ]
    assert all(o.recipients == (Recipient.UNIT_CONTACT,) for o in occasions)
    assert all(o.at.tzinfo is UTC for o in occasions)


def test_reminders_before_the_dispatch_are_left_out() -> None:
    due = date(2026, 3, 20)
    assert [o.key for o in before_due_occasions(due, local(3, 18, 10), POLICY, SHANGHAI)] == [
        "before_due:2026-03-20:1d",
        "before_due:2026-03-20:0d",
    ]
    assert before_due_occasions(due, local(3, 20, 9), POLICY, SHANGHAI) == []


def test_reminder_time_inside_quiet_hours_waits_and_is_dropped_past_the_deadline() -> None:
    reminders = POLICY.reminders.model_copy(update={"time_of_day": time(23, 0)})
    policy = POLICY.model_copy(update={"reminders": reminders})
    occasions = before_due_occasions(date(2026, 3, 20), local(3, 2, 10), policy, SHANGHAI)
    assert [o.at for o in occasions] == [local(3, 18, 8), local(3, 20, 8)]


def test_reminders_ignore_quiet_hours_when_they_are_off() -> None:
    reminders = POLICY.reminders.model_copy(update={"time_of_day": time(23, 0)})
    policy = POLICY.model_copy(
        update={"reminders": reminders, "quiet_hours": QuietHours(enabled=False)}
    )
    occasions = before_due_occasions(date(2026, 3, 20), local(3, 2, 10), policy, SHANGHAI)
    assert [o.at for o in occasions] == [local(3, 17, 23), local(3, 19, 23), local(3, 20, 23)]


def test_monthly_and_quarterly_report_reminders() -> None:
    dispatched = local(1, 5, 10)
    monthly = report_reminder_occasions(
        date(2026, 3, 25), ReportEvery.MONTH, dispatched, POLICY, SHANGHAI
    )
    assert [(o.key, o.at) for o in monthly] == [("report:2026-03-25:3d", local(3, 22, 9))]
    quarterly = report_reminder_occasions(
        date(2026, 4, 15), ReportEvery.QUARTER, dispatched, POLICY, SHANGHAI
    )
    assert [(o.key, o.at) for o in quarterly] == [("report:2026-04-15:5d", local(4, 10, 9))]
    assert all(o.kind is OccasionKind.REPORT_DUE_SOON for o in monthly + quarterly)


def test_report_after_the_answer_uses_the_before_due_days() -> None:
    occasions = report_reminder_occasions(
        date(2026, 5, 21), ReportEvery.AFTER_RESOLVE, local(2, 1, 10), POLICY, SHANGHAI
    )
    assert [o.at for o in occasions] == [local(5, 18, 9), local(5, 20, 9), local(5, 21, 9)]


def test_recipients_come_from_the_policy() -> None:
    reminders = Reminders(recipients=(Recipient.UNIT_CONTACT, Recipient.UNIT_HEAD))
    policy = POLICY.model_copy(update={"reminders": reminders})
    occasions = before_due_occasions(date(2026, 3, 20), local(3, 2, 10), policy, SHANGHAI)
    assert {o.recipients for o in occasions} == {(Recipient.UNIT_CONTACT, Recipient.UNIT_HEAD)}


def test_occasions_carry_what_their_keys_name_as_typed_fields() -> None:
    chases = receipt_chase_occasions(local(3, 10, 10), POLICY, SHANGHAI)
    assert [(o.key, o.hours) for o in chases] == [
        ("receipt_chase:24h", 24),
        ("receipt_chase:48h", 48),
    ]
    due = date(2026, 3, 20)
    before = before_due_occasions(due, local(3, 2, 10), POLICY, SHANGHAI)
    assert [(o.key, o.days, o.target) for o in before] == [
        ("before_due:2026-03-20:3d", 3, due),
        ("before_due:2026-03-20:1d", 1, due),
        ("before_due:2026-03-20:0d", 0, due),
    ]
    report_on = date(2026, 4, 15)
    (report,) = report_reminder_occasions(
        report_on, ReportEvery.QUARTER, local(1, 5, 10), POLICY, SHANGHAI
    )
    assert (report.key, report.days, report.target) == ("report:2026-04-15:5d", 5, report_on)


def test_late_is_more_than_ten_minutes_past() -> None:
    at = local(3, 20, 9)
    assert not is_late(at, at + LATE_AFTER)
    assert is_late(at, at + LATE_AFTER + timedelta(seconds=1))


def test_a_past_occasion_found_in_quiet_hours_waits_for_their_end() -> None:
    (occasion,) = report_reminder_occasions(
        date(2026, 3, 25), ReportEvery.MONTH, local(1, 5, 10), POLICY, SHANGHAI
    )
    assert occasion.at == local(3, 22, 9)
    assert send_from(occasion, local(3, 22, 12), POLICY, SHANGHAI, quiet=True) == occasion.at
    night = local(3, 22, 23)
    assert send_from(occasion, night, POLICY, SHANGHAI, quiet=True) == local(3, 23, 8)
    assert send_from(occasion, night, POLICY, SHANGHAI, quiet=False) == occasion.at
