"""Talks (约谈) in the rules: who may order one, the record typed in chat, the commitment as a
deadline to chase, and the ladder's accountability level (问责) that comes only after a talk."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.authority import Actor
from domain.calendar import WorkCalendar
from domain.deadlines import end_of_day
from domain.ladder import due_levels, escalation_occasions
from domain.occasions import ItemFacts, after_talk_from, plan_item
from domain.policy import Ladder, Policy
from domain.recipients import UnitContacts
from domain.reminders import OccasionKind
from domain.talks import (
    CommitmentBeforeTalk,
    TalkBy,
    TalkFacts,
    TalkInFuture,
    TalkRecordIncomplete,
    parse_talk_record,
    talk_by,
)
from domain.vocabulary import Duty, ReportKind, Role, TimeClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()
DUE = date(2026, 12, 3)
DUE_AT = end_of_day(DUE, SHANGHAI)
TODAY = date(2026, 12, 12)


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def actor(*roles: Role, person_id: int = 5, leads: frozenset[int] = frozenset()) -> Actor:
    return Actor(person_id, "k", "n", frozenset(roles), frozenset(), frozenset(), leads, None, 1)


# --- who orders ----------------------------------------------------------------------------------


def test_the_deputy_orders_their_own_talk_the_principal_and_office_the_principals() -> None:
    assert talk_by(actor(Role.DEPUTY), 5, {1}) is TalkBy.DEPUTY  # the item's leader
    assert talk_by(actor(Role.DEPUTY, leads=frozenset({1})), 9, {1}) is TalkBy.DEPUTY
    assert talk_by(actor(Role.DEPUTY), 9, {1}) is None  # a deputy of other units
    assert talk_by(actor(Role.PRINCIPAL), 9, {1}) is TalkBy.PRINCIPAL
    assert talk_by(actor(Role.SUPERVISOR), 9, {1}) is TalkBy.PRINCIPAL
    assert talk_by(None, 9, {1}) is TalkBy.PRINCIPAL  # the API acts as the office
    assert talk_by(actor(Role.UNIT_HEAD), 9, {1}) is None


# --- the record ----------------------------------------------------------------------------------


def test_the_record_is_five_lines_labels_optional() -> None:
    record = parse_talk_record(
        "时间：12月12日 15:00\n地点：县政府三楼会议室\n参加人员：王副县长、张局长\n"
        "承诺：12月20日前完成背街小巷整治\n期限：12月20日",
        TODAY,
    )
    assert record.held_on == date(2026, 12, 12) and record.held_time == time(15, 0)
    assert record.place == "县政府三楼会议室"
    assert record.attendees == "王副县长、张局长"
    assert record.commitment == "12月20日前完成背街小巷整治"
    assert record.commit_by == date(2026, 12, 20)
    bare = parse_talk_record("2026-12-11\n会议室\n张局长\n完成整治\n2027-01-05", TODAY)
    assert (bare.held_on, bare.held_time, bare.commit_by) == (
        date(2026, 12, 11),
        None,
        date(2027, 1, 5),
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("12月12日\n会议室\n张局长\n完成整治", TalkRecordIncomplete),  # four lines
        ("昨天\n会议室\n张局长\n完成整治\n12月20日", TalkRecordIncomplete),  # no date
        ("12月12日\n会议室\n张局长\n完成整治\n下周", TalkRecordIncomplete),
        ("2026-12-13\n会议室\n张局长\n完成整治\n12月20日", TalkInFuture),
        ("12月12日\n会议室\n张局长\n完成整治\n2026-12-11", CommitmentBeforeTalk),
    ],
)
def test_a_bad_record_is_refused_with_what_is_wrong(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_talk_record(text, TODAY)


# --- the commitment, chased ----------------------------------------------------------------------

TALK = TalkFacts(local(12, 12, 16), date(2026, 12, 20), frozenset({1}))


def item(talks: tuple[TalkFacts, ...] = ()) -> ItemFacts:
    return ItemFacts(
        open=True,
        time_class=TimeClass.CUSTOM,
        dispatched_at=local(11, 20, 10),
        due_date=DUE,
        due_at=DUE_AT,
        talks=talks,
    )


def unit(reports: tuple[tuple[ReportKind, datetime], ...] = ()) -> UnitContacts:
    return UnitContacts(1, 10, "县教育局", True, True, None, (), reports=reports)


def commitment(planned: list, kind: OccasionKind) -> list[datetime]:  # type: ignore[type-arg]
    return [
        p.occasion.at
        for p in planned
        if p.occasion.kind is kind and p.occasion.duty is Duty.TALK_COMMITMENT
    ]


def test_the_commitment_is_reminded_chased_and_told_upward_after_the_due_date() -> None:
    planned = plan_item(item((TALK,)), [unit()], local(12, 13), POLICY, SHANGHAI, WorkCalendar())
    assert commitment(planned, OccasionKind.DUTY_REMINDER) == [local(12, 19, 9)]
    # 20 Dec 2026 is a Sunday: chased on Monday 21st, told upward two working days later.
    assert commitment(planned, OccasionKind.DUTY_CHASE) == [local(12, 21, 9)]
    assert commitment(planned, OccasionKind.DUTY_NOTICE) == [local(12, 23, 9)]
    basis = {p.basis for p in planned if p.occasion.duty is Duty.TALK_COMMITMENT}
    assert basis == {"owed:talk_commitment:1:2026-12-20"}


def test_only_a_report_after_the_talk_answers_the_commitment() -> None:
    before = unit(((ReportKind.PROGRESS, local(12, 1)),))
    after = unit(((ReportKind.PROGRESS, local(12, 1)), (ReportKind.PROGRESS, local(12, 15))))
    now = local(12, 16)
    assert commitment(
        plan_item(item((TALK,)), [before], now, POLICY, SHANGHAI), OccasionKind.DUTY_CHASE
    )
    assert not commitment(
        plan_item(item((TALK,)), [after], now, POLICY, SHANGHAI), OccasionKind.DUTY_CHASE
    )
    # A unit that was not talked to owes nothing.
    other = replace(TALK, assignment_ids=frozenset({2}))
    assert not commitment(
        plan_item(item((other,)), [before], now, POLICY, SHANGHAI), OccasionKind.DUTY_CHASE
    )


# --- accountability (问责): the level after a talk ------------------------------------------------


def levels(after_talk: datetime | None, policy: Policy = POLICY) -> dict[int, datetime]:
    return {
        o.level: o.at
        for o in escalation_occasions(DUE_AT, policy, SHANGHAI, after_talk)
        if o.level is not None
    }


def test_accountability_comes_only_after_a_talk() -> None:
    assert 4 not in levels(None)
    assert 4 not in {lv.level for lv in due_levels(DUE_AT, local(12, 31), POLICY)}


def test_accountability_comes_at_due_plus_15_days_or_after_the_commitment_date() -> None:
    # A talk whose commitment date passed before due + 15 days: level 4 at 08:00 of day 16.
    early = TalkFacts(local(12, 5, 16), date(2026, 12, 10), frozenset({1}))
    assert levels(after_talk_from((early,), SHANGHAI))[4] == local(12, 19, 8)
    # A commitment beyond that: not before its day has ended (held to the end of quiet hours).
    assert levels(after_talk_from((TALK,), SHANGHAI))[4] == local(12, 21, 8)
    late = after_talk_from((TALK,), SHANGHAI)
    assert late is not None
    before = late - timedelta(seconds=1)
    assert 4 not in {lv.level for lv in due_levels(DUE_AT, before, POLICY, late)}
    assert 4 in {lv.level for lv in due_levels(DUE_AT, late, POLICY, late)}


def test_the_accountability_level_can_be_switched_off() -> None:
    without = Policy(ladder=Ladder(levels=POLICY.ladder.levels[:3]))
    assert set(levels(after_talk_from((TALK,), SHANGHAI), without)) == {1, 2, 3}
    planned = plan_item(item((TALK,)), [unit()], local(12, 31), without, SHANGHAI)
    assert {p.occasion.level for p in planned if p.occasion.kind is OccasionKind.ESCALATION} == {
        1,
        2,
        3,
    }
