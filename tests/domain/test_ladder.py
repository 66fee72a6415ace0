"""The escalation ladder after a deadline (DESIGN §3): levels at due + 0, 3, 7 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.deadlines import end_of_day
from domain.ladder import due_levels, escalation_occasions, level_moment, level_send_at
from domain.policy import Ladder, LadderLevel, Policy, QuietHours, Recipient
from domain.reminders import OccasionKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()
DUE = date(2026, 3, 10)
DUE_AT = end_of_day(DUE, SHANGHAI)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def numbers(now: datetime, policy: Policy = POLICY) -> list[int]:
    return [level.level for level in due_levels(DUE_AT, now, policy)]


def test_level_moment_is_the_local_midnight_ending_the_due_day_plus_delay() -> None:
    first, second, third, _ = POLICY.ladder.levels
    assert level_moment(DUE_AT, first) == local(11, 0)
    assert level_moment(DUE_AT, second) == local(14, 0)
    assert level_moment(DUE_AT, third) == local(18, 0)


def test_due_levels_come_in_order() -> None:
    assert numbers(DUE_AT) == []
    assert numbers(local(11, 0)) == [1]
    assert numbers(local(13, 23, 59)) == [1]
    assert numbers(local(14, 0)) == [1, 2]
    assert numbers(local(17, 12)) == [1, 2]
    assert numbers(local(18, 0)) == [1, 2, 3]
    assert numbers(local(31, 0)) == [1, 2, 3]


def test_levels_wait_for_the_end_of_quiet_hours() -> None:
    first = POLICY.ladder.levels[0]
    assert level_send_at(DUE_AT, first, POLICY, SHANGHAI) == local(11, 8)


def test_policy_may_let_escalations_through_quiet_hours() -> None:
    first = POLICY.ladder.levels[0]
    loud = POLICY.model_copy(update={"quiet_hours": QuietHours(escalations=False)})
    assert level_send_at(DUE_AT, first, loud, SHANGHAI) == local(11, 0)


def test_a_single_level_may_ignore_quiet_hours() -> None:
    urgent = LadderLevel(level=1, after_days=0, recipients=(Recipient.OFFICE,), quiet_hours=False)
    policy = POLICY.model_copy(update={"ladder": Ladder(levels=(urgent,))})
    assert level_send_at(DUE_AT, urgent, policy, SHANGHAI) == local(11, 0)


def test_escalation_occasions_are_keyed_by_level_and_due_date() -> None:
    occasions = escalation_occasions(DUE_AT, POLICY, SHANGHAI)
    assert [o.key for o in occasions] == [
        "escalation:1:2026-03-10",
        "escalation:2:2026-03-10",
        "escalation:3:2026-03-10",
    ]
    assert [o.at for o in occasions] == [local(11, 8), local(14, 8), local(18, 8)]
    assert all(o.kind is OccasionKind.ESCALATION for o in occasions)
    assert occasions[2].recipients == (Recipient.PRINCIPAL, Recipient.OFFICE)
    assert all(o.at.tzinfo is UTC for o in occasions)


def test_escalation_occasions_carry_their_level_and_due_date() -> None:
    occasions = escalation_occasions(DUE_AT, POLICY, SHANGHAI)
    assert [(o.level, o.target) for o in occasions] == [(1, DUE), (2, DUE), (3, DUE)]


def test_custom_ladder_from_policy() -> None:
    ladder = Ladder(
        levels=(
            LadderLevel(level=1, after_days=1, recipients=(Recipient.OFFICE,)),
            LadderLevel(level=2, after_days=2, recipients=(Recipient.PRINCIPAL,)),
        )
    )
    policy = POLICY.model_copy(update={"ladder": ladder})
    assert numbers(local(11, 12), policy) == []
    assert numbers(local(12, 0), policy) == [1]
    assert numbers(datetime.combine(date(2026, 3, 13), time(0), SHANGHAI), policy) == [1, 2]
    assert level_moment(DUE_AT, ladder.levels[1]) - level_moment(DUE_AT, ladder.levels[0]) == (
        timedelta(days=1)
    )
