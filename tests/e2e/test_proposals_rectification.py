"""Proposals (建议提案) and rectification (整改) chased end to end (issue 15, points 3 and 5),
through the real bot and the fake Telegram, the clock moved by hand: a proposal answered B in
chat owes its report 20 days later and a follow-up every quarter until the unit reports it
solved; a reopened item owes its rectification plan, and the unit's numbered lines answer the
problems the office listed, which the office then sees answered, by which report and when."""

from __future__ import annotations

from datetime import datetime

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from tests.conftest import SHANGHAI, Bench, import_example_county
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_chases_life import last_text
from tests.e2e.test_periodic_reports import second_lines
from tests.e2e.test_reminders_life import OFFICE, PEOPLE, local, step
from tests.e2e.test_whole_loop import api, confirm_by_head, join_people, report


async def test_a_proposal_answered_b_is_chased_for_its_report_and_follow_ups(
    bench: Bench,
) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 43_000)
    inbox = Inbox(users)
    draft = ItemDraft(
        title="关于增设城区公交线路的建议",
        body="",
        source=Source.PROPOSAL,
        time_class=TimeClass.PROPOSAL,
        lead_unit="edu",
        leader="wang",
    )
    # Dispatched Mon 23 Nov 2026 09:00: answer the proposer within 3 months.
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    lina = users["lina"]
    await lina.press(last_text(lina), "✅ 签收")
    await lina.wait_callback_answer()
    await settle(bench)
    inbox.new()

    # Answered B on Tue 1 Dec: the report is owed by 21 Dec, follow-ups every 3 months.
    bench.clock.set(local(12, 1, 10))
    await report(lina, view.ref, "答复B：列入计划逐步解决", "已答复代表：列入明年计划，分步实施。")
    await settle(bench)
    told = second_lines(inbox.new())
    assert told["qian"] == ["📝 县教育局（李娜）报送答复B：列入计划逐步解决："]
    what = "建议提案答复后的办理情况报告"
    assert second_lines(await step(bench, inbox, local(12, 18, 9))) == {
        "lina": [f"⏰ 请县教育局于12月21日前报送{what}。"]
    }
    assert second_lines(await step(bench, inbox, local(12, 21, 9))) == {}
    chase = [f"⚠️ 催报：县教育局应于12月21日前报送{what}，至今未报。"]
    assert second_lines(await step(bench, inbox, local(12, 22, 9))) == {
        "lina": chase,
        "zhangjun": chase,
    }
    assert second_lines(await step(bench, inbox, local(12, 23, 9))) == {}
    notice = [f"🔺 县教育局应于12月21日前报送{what}，12月22日已催报，至今仍未报送。"]
    assert second_lines(await step(bench, inbox, local(12, 24, 9))) == {
        key: notice for key in ["wang", *OFFICE]
    }

    # The report comes on 28 Dec: accepted, marked late, and nothing more is chased for it.
    bench.clock.set(local(12, 28, 10))
    await report(lina, view.ref, "进展", "线路规划已完成，正在招标。")
    await settle(bench)
    inbox.new()
    assert second_lines(await step(bench, inbox, local(12, 29, 9))) == {}

    # The first quarterly follow-up (1 Mar 2027) is reminded, chased, told upward.
    follow_up = "建议提案（B类）跟踪办理情况报告"
    assert second_lines(await step(bench, inbox, at2027(2, 24, 9))) == {
        "lina": [f"⏰ 请县教育局于3月1日前报送{follow_up}。"]
    }
    chase = [f"⚠️ 催报：县教育局应于3月1日前报送{follow_up}，至今未报。"]
    assert second_lines(await step(bench, inbox, at2027(3, 2, 9))) == {
        "lina": chase,
        "zhangjun": chase,
    }
    notice = [f"🔺 县教育局应于3月1日前报送{follow_up}，3月2日已催报，至今仍未报送。"]
    assert second_lines(await step(bench, inbox, at2027(3, 4, 9))) == {
        key: notice for key in ["wang", *OFFICE]
    }
    _status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    reported = [e["data"] for e in body["timeline"] if e["kind"] == "reported"]
    assert reported[0]["answer"] == "B" and reported[0]["due_was"] == "2027-02-23"
    assert reported[1]["late"] == [{"duty": "proposal_report", "by": "2026-12-21"}]

    # Solved on 5 Mar (a completion report, signed off): no follow-up is owed any more.
    bench.clock.set(at2027(3, 5, 10))
    await report(lina, view.ref, "办结报告", "新线路已开通运营，建议已落实。")
    await confirm_by_head(users["zhangjun"])
    await settle(bench)
    inbox.new()
    for moment in [at2027(5, 27, 9), at2027(6, 2, 9), at2027(6, 4, 9), at2027(9, 2, 9)]:
        assert second_lines(await step(bench, inbox, moment)) == {}, moment


def at2027(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=SHANGHAI)
