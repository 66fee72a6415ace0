"""Working days (工作日) of mainland China: statutory holidays and make-up workdays (调休).

The data comes from the maintained ``chinese_calendar`` package, not a hand-written list. The
package knows only the years the State Council has published; for any other year this calendar
falls back to Monday-Friday and remembers that it did, so the caller can log it or show it
("working days of 2027 counted Monday-Friday: holiday calendar not yet published").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import chinese_calendar


def _statutory_workday(day: date) -> bool:
    result: bool = chinese_calendar.is_workday(day)
    return result


class WorkCalendar:
    """Answers "is this a working day?" and counts working days.

    ``statutory_workday`` is the source of truth for covered years; it must raise
    ``NotImplementedError`` for a year it does not cover (as ``chinese_calendar`` does).
    """

    def __init__(self, statutory_workday: Callable[[date], bool] = _statutory_workday) -> None:
        self._statutory_workday = statutory_workday
        self._fallback_years: set[int] = set()

    def covers(self, day: date) -> bool:
        """Whether the holiday data covers ``day``'s year."""
        try:
            self._statutory_workday(day)
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        """A working day: per the holiday data, or Monday-Friday for an uncovered year."""
        try:
            return self._statutory_workday(day)
        except NotImplementedError:
            self._fallback_years.add(day.year)
            return day.weekday() < 5

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day``, counted from the next day; ``n=0``: ``day``."""
        if n < 0:
            raise ValueError("n must not be negative")
        current = day
        remaining = n
        while remaining:
            current += timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    @property
    def fallback_years(self) -> frozenset[int]:
        """Years this calendar had to count Monday-Friday because the holiday data lacks them."""
        return frozenset(self._fallback_years)

    @property
    def fell_back(self) -> bool:
        return bool(self._fallback_years)
