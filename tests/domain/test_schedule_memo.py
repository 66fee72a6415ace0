"""The memo of a schedule's occasions: the same answer as computing them, per policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from domain.deadlines import end_of_day
from domain.ladder import escalation_occasions
from domain.policy import Policy
from domain.reminders import before_due_occasions
from domain.schedule_memo import by_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = date(2026, 3, 20)
DISPATCHED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_a_remembered_answer_is_the_computed_one_and_a_fresh_list() -> None:
    policy = Policy()
    first = before_due_occasions(DUE, DISPATCHED, policy, SHANGHAI)
    again = before_due_occasions(DUE, DISPATCHED, policy, SHANGHAI)
    assert again == first == before_due_occasions(DUE, DISPATCHED, Policy(), SHANGHAI)
    again.clear()  # a caller changing its list changes nothing remembered
    assert before_due_occasions(DUE, DISPATCHED, policy, SHANGHAI) == first


def test_another_policy_equal_or_not_is_computed_for_itself() -> None:
    policy = Policy()
    reminders = policy.reminders.model_copy(update={"time_of_day": time(15, 0)})
    later = policy.model_copy(update={"reminders": reminders})
    at_nine = before_due_occasions(DUE, DISPATCHED, policy, SHANGHAI)
    at_three = before_due_occasions(DUE, DISPATCHED, later, SHANGHAI)
    assert [o.at.astimezone(SHANGHAI).hour for o in at_nine] == [9] * len(at_nine)
    assert [o.at.astimezone(SHANGHAI).hour for o in at_three] == [15] * len(at_three)
    due_at = end_of_day(DUE, SHANGHAI)
    assert escalation_occasions(due_at, Policy(), SHANGHAI) == escalation_occasions(
        due_at, policy, SHANGHAI
    )


def test_calls_are_counted_once_per_arguments() -> None:
    calls: list[tuple[int, Policy]] = []

    @by_policy
    def occasions(day: int, policy: Policy) -> list[int]:
        calls.append((day, policy))
        return [day]

    policy, other = Policy(), Policy()
    assert occasions(1, policy) == occasions(1, policy) == [1]
    assert occasions(2, policy) == [2]
    assert occasions(1, other) == [1]
    assert [(day, p is policy) for day, p in calls] == [(1, True), (2, True), (1, False)]
