"""Deadlines to chase (issue 15): the plan (研究部署), the first feedback (首次反馈) and periodic
reports — when each reminder, chase and notice comes, to whom, under which key; which reports
answer what; how periodic reports are matched to their periods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import WorkCalendar
from domain.chases import (
    Owed,
    PeriodState,
    answers,
    basis_owed,
    owed_occasions,
    parse_basis,
    period_statuses,
    still_due,
)
from domain.deadlines import end_of_day, milestones
from domain.occasions import ItemFacts, owed_by, plan_item
from domain.policy import Policy, PolicyError, Recipient, load_policy
from domain.recipients import UnitContacts
from domain.reminders import Occasion, OccasionKind
from domain.vocabulary import Duty, ReportKind, TimeClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()
CALENDAR = WorkCalendar()
# Mon 23 Nov 2026, 09:00: a general item's plan is due Tue 24 Nov, its feedback Mon 30 Nov.
DISPATCHED = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
UNIT, HEAD, LEADER, OFFICE = (
    Recipient.UNIT_CONTACT,
    Recipient.UNIT_HEAD,
    Recipient.DEPUTY_LEADER,
    Recipient.OFFICE,
)


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def facts(
    time_class: TimeClass = TimeClass.GENERAL, dispatched: datetime = DISPATCHED
) -> ItemFacts:
    marks = milestones(time_class, dispatched, POLICY, CALENDAR, SHANGHAI)
    return ItemFacts(
        open=True,
        time_class=time_class,
        dispatched_at=dispatched,
        due_date=marks.due,
        due_at=marks.due_at,
        plan_by=marks.plan_by,
        first_feedback_by=marks.first_feedback_by,
    )


def unit(reports: tuple[tuple[ReportKind, datetime], ...] = ()) -> UnitContacts:
    return UnitContacts(7, 70, "县教育局", True, True, None, (), reports=reports)


def table(occasions: Sequence[Occasion]) -> list[tuple[str, str, datetime, tuple[Recipient, ...]]]:
    return [(str(o.kind), o.key, o.at.astimezone(SHANGHAI), o.recipients) for o in occasions]


def test_the_plan_is_reminded_on_its_day_chased_next_working_day_then_told_upward() -> None:
    item = facts()
    owed = Owed(Duty.PLAN, date(2026, 11, 24), 7)
    occasions = owed_occasions(owed, DISPATCHED, item.due_at, POLICY, CALENDAR, SHANGHAI)
    assert table(occasions) == [
        ("duty_reminder", "plan:remind:2026-11-24:0d", local(11, 24), (UNIT,)),
        ("duty_chase", "plan:chase:2026-11-24", local(11, 25), (UNIT, HEAD)),
        ("duty_notice", "plan:notice:2026-11-24", local(11, 27), (LEADER, OFFICE)),
    ]
    assert {o.duty for o in occasions} == {Duty.PLAN}
    assert {o.target for o in occasions} == {date(2026, 11, 24)}


def test_the_first_feedback_is_reminded_the_day_before() -> None:
    owed = Owed(Duty.FIRST_FEEDBACK, date(2026, 11, 30), 7)
    occasions = owed_occasions(owed, DISPATCHED, None, POLICY, CALENDAR, SHANGHAI)
    assert [o.key for o in occasions] == [
        "first_feedback:remind:2026-11-30:1d",
        "first_feedback:chase:2026-11-30",
        "first_feedback:notice:2026-11-30",
    ]
    assert [o.at for o in occasions] == [local(11, 29), local(12, 1), local(12, 3)]


def test_a_deadline_on_friday_is_chased_on_monday_and_a_holiday_is_skipped() -> None:
    friday = Owed(Duty.PLAN, date(2026, 11, 27), 7)
    occasions = owed_occasions(friday, DISPATCHED, None, POLICY, CALENDAR, SHANGHAI)
    assert [o.at for o in occasions[1:]] == [local(11, 30), local(12, 2)]
    # 30 Sep 2026: National Day (1-7 Oct) and the make-up working day before it count too.
    before_holiday = Owed(Duty.PLAN, date(2026, 9, 30), 7)
    at = owed_occasions(before_holiday, local(9, 28), None, POLICY, CALENDAR, SHANGHAI)
    chase, notice = at[1].at.date(), at[2].at.date()
    assert CALENDAR.is_workday(chase) and chase > date(2026, 10, 7)
    assert notice == CALENDAR.add_working_days(chase, 2)


def test_quiet_hours_hold_a_chase_set_before_they_end() -> None:
    early = Policy.model_validate({"reminders": {"time_of_day": "07:00"}})
    owed = Owed(Duty.PLAN, date(2026, 11, 24), 7)
    occasions = owed_occasions(owed, DISPATCHED, None, early, CALENDAR, SHANGHAI)
    assert [o.at for o in occasions] == [local(11, 24, 8), local(11, 25, 8), local(11, 27, 8)]


def test_nothing_is_chased_after_the_due_moment() -> None:
    owed = Owed(Duty.FIRST_FEEDBACK, date(2026, 11, 30), 7)
    due_at = end_of_day(date(2026, 12, 1), SHANGHAI)
    kinds = [o.kind for o in owed_occasions(owed, DISPATCHED, due_at, POLICY, CALENDAR, SHANGHAI)]
    assert kinds == [OccasionKind.DUTY_REMINDER, OccasionKind.DUTY_CHASE]


def test_the_plan_of_an_item_stops_once_answered() -> None:
    item = facts()
    assert [o.duty for o in owed_by(item, unit(), local(11, 24), POLICY, SHANGHAI)] == [
        Duty.PLAN,
        Duty.FIRST_FEEDBACK,
    ]
    planned = unit(((ReportKind.PLAN, local(11, 24, 15)),))
    assert [o.duty for o in owed_by(item, planned, local(11, 25), POLICY, SHANGHAI)] == [
        Duty.FIRST_FEEDBACK
    ]
    done = unit(((ReportKind.COMPLETION, local(11, 24, 15)),))
    assert owed_by(item, done, local(11, 25), POLICY, SHANGHAI) == []


def test_the_plan_of_an_item_goes_to_its_unit_with_the_basis_delivery_checks() -> None:
    planned = plan_item(facts(), [unit()], local(11, 25), POLICY, SHANGHAI, CALENDAR)
    chases = [p for p in planned if p.occasion.kind is OccasionKind.DUTY_CHASE]
    assert [(p.occasion.key, p.basis, p.unit) for p in chases] == [
        ("plan:chase:2026-11-24", "owed:plan:7:2026-11-24", unit()),
        ("first_feedback:chase:2026-11-30", "owed:first_feedback:7:2026-11-30", unit()),
    ]
    assert parse_basis("owed:plan:7:2026-11-24") == Owed(Duty.PLAN, date(2026, 11, 24), 7)
    assert parse_basis("due:2026-11-24") is None and parse_basis("owed:x:1:2026-1-1") is None
    assert basis_owed(Duty.PERIODIC_REPORT, 3, date(2026, 11, 25)) == (
        "owed:periodic_report:3:2026-11-25"
    )


def test_classes_without_a_plan_owe_none() -> None:
    for time_class in (TimeClass.MEETING, TimeClass.CUSTOM, TimeClass.PROPOSAL):
        item = ItemFacts(True, time_class, DISPATCHED, date(2026, 12, 20), None)
        assert owed_by(item, unit(), local(12, 1), POLICY, SHANGHAI) == []


def test_an_item_found_late_is_chased_once_for_what_is_missing_now() -> None:
    # Imported with dispatched_at a month ago: the plan's reminder is overtaken by its chase.
    imported = datetime(2026, 10, 26, 9, tzinfo=SHANGHAI)
    owed = Owed(Duty.PLAN, date(2026, 10, 27), 7)
    occasions = owed_occasions(owed, imported, None, POLICY, CALENDAR, SHANGHAI)
    kept = still_due(occasions, local(11, 23))
    assert [o.kind for o in kept] == [OccasionKind.DUTY_CHASE, OccasionKind.DUTY_NOTICE]
    # Only a reminder due: the latest one alone.
    twice = Policy.model_validate({"chases": {"plan": {"remind_days_before": [2, 0]}}})
    owed = Owed(Duty.PLAN, date(2026, 11, 27), 7)
    occasions = owed_occasions(owed, DISPATCHED, None, twice, CALENDAR, SHANGHAI)
    assert [o.key for o in still_due(occasions, local(11, 27, 10))][:1] == [
        "plan:remind:2026-11-27:0d"
    ]


def test_an_extension_keeps_the_plan_and_feedback_dates() -> None:
    item = facts()
    extended = ItemFacts(
        True,
        item.time_class,
        item.dispatched_at,
        date(2026, 12, 20),
        end_of_day(date(2026, 12, 20), SHANGHAI),
        item.plan_by,
        item.first_feedback_by,
    )
    before = owed_by(item, unit(), local(11, 24), POLICY, SHANGHAI)
    assert owed_by(extended, unit(), local(11, 24), POLICY, SHANGHAI) == before


def test_which_reports_answer_what() -> None:
    assert answers(ReportKind.PLAN) == {Duty.PLAN}
    # A talk's commitment: by a feedback sent after the talk (the caller leaves out older ones).
    feedback = {Duty.FIRST_FEEDBACK, Duty.PERIODIC_REPORT, Duty.TALK_COMMITMENT}
    assert answers(ReportKind.PROGRESS) == feedback
    assert answers(ReportKind.MONTHLY) == feedback
    assert answers(ReportKind.COMPLETION) == {Duty.PLAN, *feedback}
    assert answers(ReportKind.EXTENSION) == set()


def test_periodic_reports_are_matched_to_the_oldest_period_still_owed() -> None:
    dates = [date(2026, 11, 25), date(2026, 12, 25), date(2027, 1, 25)]
    dispatched_on = date(2026, 11, 2)
    now = local(12, 28)
    # November missed, a report on 1 Dec answers it late; December's came on time.
    reports = [local(12, 1), local(12, 20)]
    states = period_statuses(dates, dispatched_on, reports, now, SHANGHAI)
    assert [s.state for s in states] == [PeriodState.LATE, PeriodState.ON_TIME, PeriodState.OPEN]
    # One report only, in December: November (late) is answered, December is missing.
    one = period_statuses(dates, dispatched_on, [local(12, 20)], now, SHANGHAI)
    assert [s.state for s in one] == [PeriodState.LATE, PeriodState.MISSING, PeriodState.OPEN]
    # A report up to the day's last instant is on time; two in one window count once (the
    # second does not answer December, whose window opens the day after 25 Nov).
    last = end_of_day(date(2026, 11, 25), SHANGHAI)
    alone = period_statuses(dates, dispatched_on, [last], now, SHANGHAI)
    assert alone[0].state is PeriodState.ON_TIME
    twice = period_statuses(dates, dispatched_on, [local(11, 3), last], now, SHANGHAI)
    assert [s.state for s in twice][:2] == [PeriodState.ON_TIME, PeriodState.MISSING]


def test_the_latest_missed_report_is_chased_and_the_next_one_planned() -> None:
    september = datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
    routine = facts(TimeClass.ROUTINE, september)
    owed = owed_by(routine, unit(), local(11, 26, 10), POLICY, SHANGHAI)
    assert owed == [
        Owed(Duty.PERIODIC_REPORT, date(2026, 11, 25), 7),
        Owed(Duty.PERIODIC_REPORT, date(2026, 12, 25), 7),
    ]
    occasions = owed_occasions(owed[0], september, None, POLICY, CALENDAR, SHANGHAI)
    assert table(occasions) == [
        ("duty_chase", "periodic_report:chase:2026-11-25", local(11, 26), (UNIT, HEAD)),
        ("duty_notice", "periodic_report:notice:2026-11-25", local(11, 30), (LEADER,)),
    ]
    # Annual key tasks: the quarterly report of 15 Jan.
    annual = facts(TimeClass.ANNUAL, datetime(2026, 11, 2, 9, tzinfo=SHANGHAI))
    assert owed_by(annual, unit(), local(12, 1), POLICY, SHANGHAI) == [
        Owed(Duty.PERIODIC_REPORT, date(2027, 1, 15), 7)
    ]


@pytest.mark.parametrize(
    ("yaml", "path", "reason"),
    [
        ("classes:\n  general:\n    plan_days: 12\n", "classes.general", "after the due date"),
        (
            "classes:\n  general:\n    plan_days: 8\n    first_feedback_days: 7\n",
            "classes.general",
            "falls after first_feedback_days",
        ),
        ("chases:\n  plan:\n    notify_after_days: -1\n", "chases.plan.notify_after_days", ""),
        (
            "chases:\n  plan:\n    chase_recipients: [deputy_leader]\n",
            "chases.plan",
            "'deputy_leader' is not told at the chase",
        ),
        (
            "chases:\n  first_feedback:\n    notify_recipients: [unit_head]\n",
            "chases.first_feedback",
            "'unit_head' is not told at the notice",
        ),
        ("chases:\n  periodic_report:\n    notify_recipients: [mayor]\n", "chases.periodic", ""),
        ("chases:\n  periodic_report:\n    remind_days_before: [1]\n", "chases.periodic", ""),
    ],
)
def test_a_step_a_class_cannot_have_is_refused(
    tmp_path: Path, yaml: str, path: str, reason: str
) -> None:
    file = tmp_path / "policy.yaml"
    file.write_text(yaml, encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(file)
    message = str(raised.value.params)
    assert str(file) in message and path in message and reason in message


def test_the_defaults_chase_every_step() -> None:
    chases = POLICY.chases
    assert chases.plan.remind_days_before == (0,)
    assert chases.first_feedback.remind_days_before == (1,)
    assert chases.plan.notify_after_days == chases.periodic_report.notify_after_days == 2
    assert chases.periodic_report.notify_recipients == (LEADER,)
    assert POLICY.dispatch.copy_to_leader is True
    assert time(9) == POLICY.reminders.time_of_day
