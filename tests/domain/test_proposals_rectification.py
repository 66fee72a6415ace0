"""Issue 15, points 3 and 5: what a proposal's answer (答复 A/B/C) owes — the report after the
answer, and for B a follow-up every quarter until solved — and the rectification plan (整改方案)
owed after a reopening, with the problems (问题清单) answered line by line."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import WorkCalendar
from domain.chases import Owed, owed_occasions
from domain.occasions import ItemFacts, owed_by, plan_item
from domain.policy import Policy, Recipient
from domain.recipients import UnitContacts
from domain.rectification import NoProblems, numbered_answers, plan_due, problem_list
from domain.vocabulary import Duty, ReportKind, TimeClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()
CALENDAR = WorkCalendar()
DISPATCHED = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
ANSWERED = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
Reports = tuple[tuple[ReportKind, datetime], ...]


def at(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def proposal() -> ItemFacts:
    # Answered: the due date (answer the proposer within 3 months) is met and cleared.
    return ItemFacts(True, TimeClass.PROPOSAL, DISPATCHED, None, None)


def unit(reports: Reports) -> UnitContacts:
    return UnitContacts(7, 70, "县住建局", True, True, None, (), reports=reports)


def owed(item: ItemFacts, reports: Reports, now: datetime) -> list[tuple[Duty, date]]:
    return [(o.duty, o.by) for o in owed_by(item, unit(reports), now, POLICY, SHANGHAI, CALENDAR)]


def test_nothing_is_owed_before_the_proposer_is_answered() -> None:
    assert owed(proposal(), (), at(2026, 12, 2)) == []


def test_an_answer_b_owes_the_report_in_20_days_and_a_quarterly_follow_up() -> None:
    reports = ((ReportKind.ANSWER_B, ANSWERED),)
    assert owed(proposal(), reports, at(2026, 12, 2)) == [
        (Duty.PROPOSAL_REPORT, date(2026, 12, 21)),
        (Duty.PROPOSAL_FOLLOW_UP, date(2027, 3, 1)),
    ]


def test_the_report_after_the_answer_is_reminded_chased_and_told_upward() -> None:
    one = Owed(Duty.PROPOSAL_REPORT, date(2026, 12, 21), 7)
    occasions = owed_occasions(one, DISPATCHED, None, POLICY, CALENDAR, SHANGHAI)
    assert [(o.key, o.at.astimezone(SHANGHAI), o.recipients) for o in occasions] == [
        ("proposal_report:remind:2026-12-21:3d", at(2026, 12, 18), (Recipient.UNIT_CONTACT,)),
        (
            "proposal_report:chase:2026-12-21",
            at(2026, 12, 22),
            (Recipient.UNIT_CONTACT, Recipient.UNIT_HEAD),
        ),
        (
            "proposal_report:notice:2026-12-21",
            at(2026, 12, 24),
            (Recipient.DEPUTY_LEADER, Recipient.OFFICE),
        ),
    ]


def test_the_first_report_after_the_answer_answers_it_later_ones_the_follow_ups() -> None:
    reports: Reports = (
        (ReportKind.PROGRESS, at(2026, 11, 25)),  # before the answer: counts for nothing
        (ReportKind.ANSWER_B, ANSWERED),
        (ReportKind.PROGRESS, at(2026, 12, 10)),
    )
    assert owed(proposal(), reports, at(2027, 3, 2)) == [
        (Duty.PROPOSAL_FOLLOW_UP, date(2027, 3, 1)),  # missed: chased
        (Duty.PROPOSAL_FOLLOW_UP, date(2027, 6, 1)),  # the next one: reminded
    ]
    reports += ((ReportKind.PROGRESS, at(2027, 3, 3)),)  # late, answers the missed quarter
    assert owed(proposal(), reports, at(2027, 3, 4)) == [
        (Duty.PROPOSAL_FOLLOW_UP, date(2027, 6, 1))
    ]


@pytest.mark.parametrize(
    "solved", [(ReportKind.COMPLETION, at(2026, 12, 10)), (ReportKind.ANSWER_A, at(2026, 12, 10))]
)
def test_follow_ups_stop_once_solved(solved: tuple[ReportKind, datetime]) -> None:
    reports = ((ReportKind.ANSWER_B, ANSWERED), solved)
    duties = [d for d, _ in owed(proposal(), reports, at(2027, 6, 2))]
    assert Duty.PROPOSAL_FOLLOW_UP not in duties


def test_an_answer_c_owes_only_the_report() -> None:
    reports = ((ReportKind.ANSWER_C, ANSWERED),)
    assert owed(proposal(), reports, at(2027, 6, 2)) == [(Duty.PROPOSAL_REPORT, date(2026, 12, 21))]


def test_an_answered_proposal_has_no_ladder_and_its_chase_is_planned() -> None:
    reports = ((ReportKind.ANSWER_B, ANSWERED),)
    planned = plan_item(proposal(), [unit(reports)], at(2026, 12, 22, 10), POLICY, SHANGHAI)
    keys = {p.occasion.key for p in planned}
    assert "proposal_report:chase:2026-12-21" in keys
    assert not any(k.startswith("level") for k in keys)


def rectifying(reopened: datetime, plan_by: date) -> ItemFacts:
    end = datetime.combine(plan_by, datetime.max.time(), SHANGHAI)
    return ItemFacts(
        True,
        TimeClass.GENERAL,
        DISPATCHED,
        date(2027, 2, 1),
        None,
        reopened_at=reopened,
        rectify_plan_by=end,
    )


def test_the_rectification_plan_is_due_five_days_after_reopening_not_after_the_due_date() -> None:
    assert plan_due(date(2027, 1, 4), date(2027, 2, 1), POLICY, CALENDAR) == date(2027, 1, 9)
    assert plan_due(date(2027, 1, 4), date(2027, 1, 6), POLICY, CALENDAR) == date(2027, 1, 6)


def test_the_rectification_plan_is_owed_until_a_plan_comes_after_the_reopening() -> None:
    item = rectifying(at(2027, 1, 4), date(2027, 1, 9))
    before = ((ReportKind.PLAN, at(2026, 11, 24)), (ReportKind.COMPLETION, at(2026, 12, 1)))
    assert owed(item, before, at(2027, 1, 11)) == [(Duty.RECTIFICATION_PLAN, date(2027, 1, 9))]
    after = (*before, (ReportKind.PLAN, at(2027, 1, 12)))
    assert owed(item, after, at(2027, 1, 12, 10)) == []


def test_problems_are_one_per_line_and_at_least_one() -> None:
    assert problem_list("1. 台账不全\n\n2、 整改照片缺失\n- 未建长效机制") == [
        "台账不全",
        "整改照片缺失",
        "未建长效机制",
    ]
    with pytest.raises(NoProblems):
        problem_list(["", "  "])


def test_numbered_lines_answer_their_problems() -> None:
    text = "1. 已补齐台账\n（2）已补拍照片\n附：现场照片三张\n问题5：不存在\n第3条 已建立制度"
    assert numbered_answers(text, {1, 2, 3}) == {
        1: "已补齐台账",
        2: "已补拍照片\n附：现场照片三张",
        3: "已建立制度",
    }
    assert numbered_answers("整改完毕", {1}) == {}


def test_with_working_days_the_rectification_plan_counts_working_days() -> None:
    policy = Policy.model_validate({"rectification": {"working_days": True}})
    # Reopened Thu 10 Dec 2026: five working days skip the weekend (Thu 17 Dec, not Tue 15).
    assert plan_due(date(2026, 12, 10), date(2027, 2, 1), policy, CALENDAR) == date(2026, 12, 17)
    assert plan_due(date(2026, 12, 10), date(2027, 2, 1), POLICY, CALENDAR) == date(2026, 12, 15)
    # Across the Spring Festival holiday (and its make-up workdays) as the work calendar says.
    reopened = date(2026, 2, 12)
    expected = CALENDAR.add_working_days(reopened, 5)
    assert expected > reopened + timedelta(days=7)
    assert plan_due(reopened, date(2026, 6, 1), policy, CALENDAR) == expected
    # Still never after the new due date.
    assert plan_due(date(2026, 12, 10), date(2026, 12, 14), policy, CALENDAR) == date(2026, 12, 14)
