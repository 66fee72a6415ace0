"""The due date /new proposes and accepts, and the follow-up dates the office's buttons give."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import WorkCalendar
from domain.dates import NotADate
from domain.deadlines import follow_up_after, milestones
from domain.policy import Policy
from domain.registration import DueInPast, ProposedDue, proposed_due, typed_due
from domain.vocabulary import TimeClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()
CALENDAR = WorkCalendar()
NOW = datetime.combine(date(2026, 11, 23), time(10), tzinfo=SHANGHAI)
TODAY = date(2026, 11, 23)


def test_a_general_item_is_proposed_its_class_due_date() -> None:
    proposed = proposed_due(TimeClass.GENERAL, NOW, POLICY, CALENDAR, SHANGHAI)
    assert proposed == ProposedDue(date(2026, 12, 3), must_type=False)  # 10 days


@pytest.mark.parametrize("time_class", [c for c in TimeClass if c is not TimeClass.CUSTOM])
def test_the_proposal_is_the_dispatch_rule(time_class: TimeClass) -> None:
    proposed = proposed_due(time_class, NOW, POLICY, CALENDAR, SHANGHAI)
    assert not proposed.must_type
    assert proposed.due == milestones(time_class, NOW, POLICY, CALENDAR, SHANGHAI).due


def test_a_custom_item_needs_its_date_typed() -> None:
    proposed = proposed_due(TimeClass.CUSTOM, NOW, POLICY, CALENDAR, SHANGHAI)
    assert proposed == ProposedDue(None, must_type=True)


def test_a_typed_due_date_is_today_or_later() -> None:
    assert typed_due("2026-12-31", TODAY) == date(2026, 12, 31)
    assert typed_due("11月23日", TODAY) == TODAY
    assert typed_due("11-22", TODAY) == date(2027, 11, 22)  # a year-less date is never past
    with pytest.raises(DueInPast) as raised:
        typed_due("2026-11-22", TODAY)
    assert raised.value.key == "The due date cannot be in the past. Type a later date."
    with pytest.raises(NotADate):
        typed_due("下周五吧", TODAY)


def test_follow_up_dates_count_from_the_local_date() -> None:
    assert follow_up_after(NOW, SHANGHAI, 1) == date(2026, 12, 23)
    assert follow_up_after(NOW, SHANGHAI, 3) == date(2027, 2, 23)
    # 23:30 on 31 January in Shanghai is still 31 January there: a month later is 28 February.
    late = datetime.combine(date(2027, 1, 31), time(23, 30), tzinfo=SHANGHAI)
    assert follow_up_after(late.astimezone(ZoneInfo("UTC")), SHANGHAI, 1) == date(2027, 2, 28)
