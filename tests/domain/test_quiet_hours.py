"""Quiet hours: what falls inside waits for their end, in the deployment zone (DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.policy import QuietHours
from domain.quiet_hours import hold_until, is_quiet

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours()  # 22:00-08:00


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(10, 23), at(11, 8)),  # late evening waits for the next morning
        (at(10, 7, 59), at(10, 8)),  # early morning waits the same day
        (at(10, 12), at(10, 12)),  # midday goes at once
        (at(10, 22), at(11, 8)),  # start is inside
        (at(10, 21, 59), at(10, 21, 59)),
        (at(10, 8), at(10, 8)),  # end is outside
        (at(10, 0), at(10, 8)),  # midnight
    ],
)
def test_hold_until_overnight_window(moment: datetime, expected: datetime) -> None:
    held = hold_until(moment.astimezone(UTC), NIGHT, SHANGHAI)
    assert held == expected
    assert held.tzinfo is UTC


def test_window_is_local_time_not_utc() -> None:
    # 15:00 UTC is 23:00 in Shanghai (quiet) but 15:00 in UTC (not quiet)
    moment = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    assert is_quiet(moment, NIGHT, SHANGHAI)
    assert not is_quiet(moment, NIGHT, ZoneInfo("UTC"))
    assert hold_until(moment, NIGHT, SHANGHAI) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


def test_daytime_window_not_crossing_midnight() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(14, 0))
    assert hold_until(at(10, 13), lunch, SHANGHAI) == at(10, 14)
    assert hold_until(at(10, 23), lunch, SHANGHAI) == at(10, 23)
    assert hold_until(at(10, 11, 59), lunch, SHANGHAI) == at(10, 11, 59)


def test_disabled_quiet_hours_hold_nothing() -> None:
    off = QuietHours(enabled=False)
    assert hold_until(at(10, 23), off, SHANGHAI) == at(10, 23)
    assert not is_quiet(at(10, 23), off, SHANGHAI)


def test_end_is_the_wall_clock_end_in_a_zone_with_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward at 02:00 on 29 March 2026
    moment = datetime(2026, 3, 28, 23, 0, tzinfo=berlin)
    held = hold_until(moment, NIGHT, berlin)
    assert held.astimezone(berlin).date() == date(2026, 3, 29)
    assert held.astimezone(berlin).time() == time(8, 0)
