"""Deadlines from the dispatch date in the deployment zone (DESIGN §2, time limits table)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import WorkCalendar
from domain.deadlines import (
    Milestones,
    StepDates,
    add_months,
    end_of_day,
    local_date,
    milestones,
    moved_steps,
    periodic_report_dates,
    report_after_resolve_due,
)
from domain.errors import InvalidInput
from domain.policy import Policy, ReportEvery, ReportSchedule
from domain.vocabulary import TimeClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def eod(day: date) -> datetime:
    return end_of_day(day, SHANGHAI)


def compute(
    tc: TimeClass,
    dispatched_at: datetime,
    *,
    policy: Policy = POLICY,
    given_due: date | None = None,
) -> Milestones:
    return milestones(tc, dispatched_at, policy, WorkCalendar(), SHANGHAI, given_due)


def with_class(tc: TimeClass, **changes: object) -> Policy:
    classes = POLICY.classes.model_copy(
        update={tc.value: POLICY.classes[tc].model_copy(update=changes)}
    )
    return POLICY.model_copy(update={"classes": classes})


# --- end of day, local date ----------------------------------------------------------------------


def test_end_of_day_is_the_last_instant_before_local_midnight() -> None:
    moment = end_of_day(date(2026, 3, 10), SHANGHAI)
    assert moment == datetime(2026, 3, 10, 15, 59, 59, 999999, tzinfo=UTC)
    assert moment.tzinfo is UTC
    assert moment.astimezone(SHANGHAI).date() == date(2026, 3, 10)
    assert (moment + timedelta(microseconds=1)).astimezone(SHANGHAI) == local(date(2026, 3, 11), 0)


def test_local_date_is_the_wall_clock_date() -> None:
    assert local_date(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), SHANGHAI) == date(2026, 3, 10)
    assert local_date(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), ZoneInfo("UTC")) == date(2026, 3, 9)
    with pytest.raises(ValueError):
        local_date(datetime(2026, 3, 9, 23, 30), SHANGHAI)


def test_late_evening_dispatch_counts_from_that_local_date() -> None:
    dispatched = local(date(2026, 3, 10), 23, 30)  # 15:30 UTC
    result = compute(TimeClass.GENERAL, dispatched.astimezone(UTC))
    assert result.dispatched_on == date(2026, 3, 10)
    assert result.acknowledge_by == eod(date(2026, 3, 11))
    assert result.due == date(2026, 3, 20)


def test_early_morning_dispatch_counts_from_the_local_not_the_utc_date() -> None:
    dispatched = local(date(2026, 3, 10), 7, 30)  # 23:30 UTC on 9 March
    assert dispatched.astimezone(UTC).date() == date(2026, 3, 9)
    result = compute(TimeClass.GENERAL, dispatched.astimezone(UTC))
    assert result.dispatched_on == date(2026, 3, 10)
    assert result.due == date(2026, 3, 20)


# --- one test per class --------------------------------------------------------------------------

MONDAY = date(2026, 3, 2)


def test_general() -> None:
    result = compute(TimeClass.GENERAL, local(MONDAY))
    assert result == Milestones(
        dispatched_on=MONDAY,
        acknowledge_by=eod(date(2026, 3, 3)),
        plan_by=eod(date(2026, 3, 3)),
        first_feedback_by=eod(date(2026, 3, 9)),
        due=date(2026, 3, 12),
        due_at=eod(date(2026, 3, 12)),
    )


def test_major_resolves_in_a_month() -> None:
    result = compute(TimeClass.MAJOR, local(MONDAY))
    assert (result.plan_by, result.first_feedback_by) == (
        eod(date(2026, 3, 3)),
        eod(date(2026, 3, 9)),
    )
    assert result.due == date(2026, 4, 2)


def test_major_month_is_clamped_to_month_end() -> None:
    assert compute(TimeClass.MAJOR, local(date(2026, 1, 31))).due == date(2026, 2, 28)


def test_routine_is_open_ended() -> None:
    result = compute(TimeClass.ROUTINE, local(MONDAY))
    assert result.acknowledge_by == eod(date(2026, 3, 3))
    assert (result.plan_by, result.first_feedback_by, result.due, result.due_at) == (
        None,
        None,
        None,
        None,
    )


def test_instruction_resolves_in_30_days() -> None:
    result = compute(TimeClass.INSTRUCTION, local(MONDAY))
    assert result.first_feedback_by == eod(date(2026, 3, 9))
    assert result.due == date(2026, 4, 1)


def test_proposal_answers_in_three_months() -> None:
    result = compute(TimeClass.PROPOSAL, local(date(2026, 11, 30)))
    assert result.due == date(2027, 2, 28)
    assert (result.plan_by, result.first_feedback_by) == (None, None)


def test_meeting_reports_in_30_days() -> None:
    assert compute(TimeClass.MEETING, local(MONDAY)).due == date(2026, 4, 1)


def test_annual_runs_to_year_end() -> None:
    result = compute(TimeClass.ANNUAL, local(MONDAY))
    assert result.due == date(2026, 12, 31)
    assert result.due_at == eod(date(2026, 12, 31))


def test_custom_takes_the_given_date() -> None:
    result = compute(TimeClass.CUSTOM, local(MONDAY), given_due=date(2026, 5, 1))
    assert result.due == date(2026, 5, 1)


def test_custom_without_a_date_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        compute(TimeClass.CUSTOM, local(MONDAY))


def test_a_given_date_wins_and_caps_the_other_milestones() -> None:
    result = compute(TimeClass.GENERAL, local(MONDAY), given_due=date(2026, 3, 4))
    assert result.due == date(2026, 3, 4)
    assert result.first_feedback_by == eod(date(2026, 3, 4))
    assert result.acknowledge_by == eod(date(2026, 3, 3))


def test_a_given_date_before_dispatch_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        compute(TimeClass.CUSTOM, local(MONDAY), given_due=date(2026, 3, 1))
    assert caught.value.params == {"due": "2026-03-01", "dispatched": "2026-03-02"}


def test_working_day_class_skips_the_spring_festival() -> None:
    policy = with_class(TimeClass.GENERAL, working_days=True)
    result = compute(TimeClass.GENERAL, local(date(2026, 2, 13)), policy=policy)
    assert result.acknowledge_by == eod(date(2026, 2, 14))  # make-up Saturday
    # 7 working days: 14, 24, 25, 26, 27, 28 (make-up Saturday) February, 2 March
    assert result.first_feedback_by == eod(date(2026, 3, 2))
    # ... 3, 4, 5 March -> 10 working days
    assert result.due == date(2026, 3, 5)


def test_working_days_do_not_change_month_or_year_rules() -> None:
    policy = with_class(TimeClass.MAJOR, working_days=True)
    assert compute(TimeClass.MAJOR, local(date(2026, 1, 15)), policy=policy).due == date(
        2026, 2, 15
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), 0, date(2026, 3, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- periodic reports ----------------------------------------------------------------------------


def test_routine_reports_every_month_after_dispatch() -> None:
    dates = periodic_report_dates(
        TimeClass.ROUTINE, local(date(2026, 3, 10)), POLICY, date(2026, 7, 1), SHANGHAI
    )
    assert dates == [date(2026, 3, 25), date(2026, 4, 25), date(2026, 5, 25), date(2026, 6, 25)]


def test_routine_report_day_already_passed_this_month_starts_next_month() -> None:
    dates = periodic_report_dates(
        TimeClass.ROUTINE, local(date(2026, 3, 25)), POLICY, date(2026, 4, 25), SHANGHAI
    )
    assert dates == [date(2026, 4, 25)]


def test_monthly_report_day_is_clamped_to_month_end() -> None:
    policy = with_class(TimeClass.ROUTINE, reports=ReportSchedule(every=ReportEvery.MONTH, day=31))
    dates = periodic_report_dates(
        TimeClass.ROUTINE, local(date(2026, 1, 31)), policy, date(2026, 4, 30), SHANGHAI
    )
    assert dates == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_annual_reports_quarterly_on_the_15th_into_next_january() -> None:
    dates = periodic_report_dates(
        TimeClass.ANNUAL, local(date(2026, 2, 1)), POLICY, date(2027, 1, 31), SHANGHAI
    )
    assert dates == [date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 15), date(2027, 1, 15)]


def test_classes_without_periodic_reports() -> None:
    for tc in (TimeClass.GENERAL, TimeClass.PROPOSAL, TimeClass.CUSTOM):
        assert periodic_report_dates(tc, local(MONDAY), POLICY, date(2027, 1, 1), SHANGHAI) == []


def test_proposal_reports_within_20_days_after_the_answer() -> None:
    calendar = WorkCalendar()
    answered = date(2026, 5, 1)
    assert report_after_resolve_due(TimeClass.PROPOSAL, answered, POLICY, calendar) == date(
        2026, 5, 21
    )
    assert report_after_resolve_due(TimeClass.GENERAL, answered, POLICY, calendar) is None
    assert report_after_resolve_due(TimeClass.ROUTINE, answered, POLICY, calendar) is None


def test_the_office_moves_the_steps_within_their_bounds() -> None:
    now = StepDates(plan=date(2026, 11, 24), first_feedback=date(2026, 11, 30))
    due, today = date(2026, 12, 3), date(2026, 11, 23)
    assert moved_steps(now, date(2026, 11, 27), None, due, today) == StepDates(
        date(2026, 11, 27), date(2026, 11, 30)
    )
    assert moved_steps(now, None, date(2026, 12, 3), due, today) == StepDates(
        date(2026, 11, 24), date(2026, 12, 3)
    )
    refusals = [
        (None, None),  # nothing given
        (date(2026, 11, 22), None),  # in the past
        (None, date(2026, 12, 4)),  # after the due date
        (date(2026, 12, 1), None),  # the plan after the first feedback
    ]
    for plan, feedback in refusals:
        with pytest.raises(InvalidInput):
            moved_steps(now, plan, feedback, due, today)
    with pytest.raises(InvalidInput):  # a class without a plan step
        moved_steps(StepDates(None, date(2026, 11, 30)), date(2026, 11, 25), None, due, today)
    # Open-ended: no due date bounds them.
    assert moved_steps(now, None, date(2027, 6, 1), None, today).first_feedback == date(2027, 6, 1)
