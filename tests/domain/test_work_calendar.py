"""Working days of mainland China; Spring Festival 2026: off 15-23 Feb, make-up days 14, 28 Feb."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import WorkCalendar


def test_covers_published_years_only() -> None:
    calendar = WorkCalendar()
    assert calendar.covers(date(2026, 2, 16))
    assert not calendar.covers(date(2100, 1, 4))
    assert not calendar.fell_back  # asking is not falling back


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 2, 13), True),  # Friday before the holiday
        (date(2026, 2, 14), True),  # Saturday, make-up workday (调休)
        (date(2026, 2, 16), False),  # Monday, Spring Festival holiday
        (date(2026, 2, 23), False),  # Monday, last day of the holiday
        (date(2026, 2, 24), True),  # back to work
        (date(2026, 2, 28), True),  # Saturday, make-up workday
        (date(2026, 3, 1), False),  # ordinary Sunday
        (date(2026, 3, 7), False),  # ordinary Saturday
        (date(2026, 10, 1), False),  # National Day
    ],
)
def test_is_workday_knows_holidays_and_make_up_days(day: date, workday: bool) -> None:
    assert WorkCalendar().is_workday(day) is workday


def test_working_days_cross_the_spring_festival() -> None:
    calendar = WorkCalendar()
    # 11, 12, 13, 14 (Sat, make-up), 24, 25, 26, 27, 28 (Sat, make-up), 2 March
    assert calendar.add_working_days(date(2026, 2, 10), 10) == date(2026, 3, 2)
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_working_day_deadline_lands_on_a_make_up_saturday() -> None:
    calendar = WorkCalendar()
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)


def test_zero_days_is_the_day_itself_and_negative_is_refused() -> None:
    calendar = WorkCalendar()
    assert calendar.add_working_days(date(2026, 2, 15), 0) == date(2026, 2, 15)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 2, 15), -1)


def test_uncovered_year_falls_back_to_monday_to_friday_and_says_so() -> None:
    calendar = WorkCalendar()
    assert calendar.is_workday(date(2100, 1, 1))  # a Friday; New Year unknown for 2100
    assert not calendar.is_workday(date(2100, 1, 2))  # Saturday
    assert calendar.add_working_days(date(2100, 1, 1), 1) == date(2100, 1, 4)
    assert calendar.fell_back
    assert calendar.fallback_years == frozenset({2100})


def test_crossing_into_an_uncovered_year_records_only_that_year() -> None:
    calendar = WorkCalendar()
    last_covered = max(y for y in range(2020, 2100) if calendar.covers(date(y, 6, 1)))
    end = calendar.add_working_days(date(last_covered, 12, 30), 3)
    assert end.year == last_covered + 1
    assert calendar.fallback_years == frozenset({last_covered + 1})


def test_any_source_of_holidays_can_be_injected() -> None:
    def only_mondays(day: date) -> bool:
        if day.year > 2030:
            raise NotImplementedError
        return day.weekday() == 0

    calendar = WorkCalendar(only_mondays)
    assert calendar.add_working_days(date(2026, 3, 3), 2) == date(2026, 3, 16)
    assert not calendar.covers(date(2031, 1, 1))
