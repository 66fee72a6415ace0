"""Proposals (建议提案) and rectification (整改) chased end to end (issue 15, points 3 and 5),
through the real bot and the fake Telegram, the clock moved by hand: a proposal answered B in
chat owes its report 20 days later and a follow-up every quarter until the unit reports it
solved; a reopened item owes its rectification plan, and the unit's numbered lines answer the
problems the office listed, which the office then sees answered, by which report and when."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FakeClock
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from storage.db import Database
from testbench import FakeTelegram
from tests.conftest import SHANGHAI, Bench, bench_settings, import_example_county, running
from tests.e2e.console_helpers import page, signed_in
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_chases_life import last_text
from tests.e2e.test_periodic_reports import second_lines
from tests.e2e.test_reminders_life import OFFICE, PEOPLE, kinds, local, step
from tests.e2e.test_whole_loop import api, confirm_by_head, join_people, report
from tests.security.test_web_security import jpeg


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
    submitted = next(m for m in reversed(lina.messages) if "已提交" in m.plain_text)
    assert submitted.plain_text.splitlines()[2:] == [
        "下一步：请于2026年12月21日前报送建议提案答复后的办理情况报告。",
        "下一步：请于2027年3月1日前报送建议提案（B类）跟踪办理情况报告。",
    ]
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


async def test_a_reopened_item_owes_its_plan_and_answers_each_problem(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 44_000)
    inbox = Inbox(users)
    draft = ItemDraft(
        title="整治县城背街小巷环境卫生",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        leader="wang",
    )
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    lina, qian = users["lina"], users["qian"]
    bench.clock.set(local(11, 30, 10))
    await report(lina, view.ref, "办结报告", "背街小巷已全部清理。")
    await confirm_by_head(users["zhangjun"])
    status, _ = await api(
        bench, "POST", f"/api/items/{view.ref}/close", {"follow_up_on": "2026-12-10"}
    )
    assert status == 200
    await settle(bench)
    inbox.new()

    # The follow-up check (回头看) on Thu 10 Dec finds problems: the office reopens in chat.
    await step(bench, inbox, local(12, 10, 9))
    await qian.press(last_text(qian), "🔁 重新整改")
    prompt = await qian.wait_message(lambda m: "每行写一个发现的问题" in m.plain_text, timeout=10)
    await qian.send_text(
        "2027-01-15\n台账资料不全\n整改照片缺失\n未建立长效保洁机制", reply_to=prompt
    )
    await qian.wait_message(lambda m: "已重新整改" in m.plain_text, timeout=10)
    await settle(bench)
    reopened = inbox.new()["lina"][-1]
    assert "1. 台账资料不全\n2. 整改照片缺失\n3. 未建立长效保洁机制" in reopened
    assert "请于2026年12月15日前报送整改方案" in reopened

    # The plan is owed by 15 Dec (5 days): reminded, chased with the head, told upward.
    assert second_lines(await step(bench, inbox, local(12, 14, 9))) == {
        "lina": ["⏰ 请县教育局于12月15日前报送整改方案。"]
    }
    assert second_lines(await step(bench, inbox, local(12, 15, 9))) == {}
    chase = ["⚠️ 催报：县教育局应于12月15日前报送整改方案，至今未报。"]
    assert second_lines(await step(bench, inbox, local(12, 16, 9))) == {
        "lina": chase,
        "zhangjun": chase,
    }
    notice = ["🔺 县教育局应于12月15日前报送整改方案，12月16日已催报，至今仍未报送。"]
    assert second_lines(await step(bench, inbox, local(12, 18, 9))) == {
        key: notice for key in ["wang", *OFFICE]
    }

    # The plan on 19 Dec (late) stops the chase; the rectification report on 28 Dec answers
    # problems 1 and 2 by numbered lines, the completion on 5 Jan problem 3.
    bench.clock.set(local(12, 19, 10))
    await report(lina, view.ref, "研究部署", "整改方案：12月底前补齐台账和照片，1月上旬建立制度。")
    await settle(bench)
    inbox.new()
    assert second_lines(await step(bench, inbox, local(12, 21, 9))) == {}
    bench.clock.set(local(12, 28, 10))
    await report(lina, view.ref, "进展", "1. 已补齐2026年台账资料\n2、已补拍整改前后对比照片")
    submitted = next(m for m in reversed(lina.messages) if "已提交" in m.plain_text)
    assert "问题已答复 2/3 项" in submitted.plain_text
    assert "3. 未建立长效保洁机制" in submitted.plain_text  # what is still to answer
    await settle(bench)

    _status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    answers = [(p["number"], p["answer"], p["unit"]) for p in body["problems"]]
    assert answers == [
        (1, "已补齐2026年台账资料", "县教育局"),
        (2, "已补拍整改前后对比照片", "县教育局"),
        (3, None, None),
    ]
    progress = next(e for e in reversed(body["timeline"]) if e["kind"] == "reported")
    assert progress["data"]["problems"] == [1, 2]
    assert {p["report"] for p in body["problems"][:2]} == {progress["data"]["report"]}
    assert body["problems"][0]["answered_at"] == "2026-12-28T02:00:00+00:00"
    plan = [e for e in body["timeline"] if e["kind"] == "reported"][-2]
    assert plan["data"]["late"] == [{"duty": "rectification_plan", "by": "2026-12-15"}]

    http = await signed_in(bench, qian)
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/items/{view.ref}")
    assert status == 200
    table = html[html.index('id="problems"') :]
    table = table[: table.index("</section>")]
    assert "已答复 2/3 项" in table
    assert table.count('class="problem-answered"') == 2 and table.count('class="problem-open"') == 1
    assert "已补齐2026年台账资料" in table and "尚未答复" in table
    assert f'href="#report-{progress["data"]["report"]}"' in table
    assert f'id="report-{progress["data"]["report"]}"' in html

    bench.clock.set(local(1, 5, 10).replace(year=2027))
    await report(lina, view.ref, "办结报告", "3. 已印发长效保洁制度，整改全部完成。")
    submitted = next(m for m in reversed(lina.messages) if "已提交" in m.plain_text)
    assert "问题已答复 3/3 项" in submitted.plain_text
    _status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    assert [p["answer"] for p in body["problems"]][2] == "已印发长效保洁制度，整改全部完成。"


async def test_the_office_records_an_answer_through_the_api(bench: Bench) -> None:
    await import_example_county(bench.rt)
    draft = ItemDraft(
        title="关于加强乡镇卫生院人员配备的建议",
        body="",
        source=Source.PROPOSAL,
        time_class=TimeClass.PROPOSAL,
        lead_unit="health",
        co_units=("edu",),
        leader="wang",
    )
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    path = f"/api/items/{view.ref}/answer"
    refused = [
        ({"class": "D", "text": "已答复。"}, "class"),
        ({"class": "A", "text": ""}, "text"),
        ({"class": "B", "text": "已答复。", "extra": 1}, "extra"),
    ]
    for body, field in refused:
        status, answer = await api(bench, "POST", path, body)
        assert (status, answer["detail"][0]["field"]) == (422, field)
    status, answer = await api(
        bench, "POST", path, {"class": "A", "text": "x", "unit": "transport"}
    )
    assert (status, answer["error"]) == (422, "transport is not a unit of this item.")
    status, answer = await api(bench, "POST", path, {"class": "B", "text": "x", "person": "lina"})
    assert (status, answer["detail"]["field"]) == (422, "person")
    status, answer = await api(bench, "GET", f"/api/items/{view.ref}")
    assert acts(answer)[-1]["kind"] == "dispatched" and answer["problems"] == []

    # The lead unit's answer C, written by the contact named: it meets the due date.
    body = {"class": "C", "text": "因编制所限，留作参考。", "person": "pengqiang"}
    status, answer = await api(bench, "POST", path, body)
    assert status == 200 and answer["due"] is None
    entry = acts(answer)[-1]
    assert (entry["kind"], entry["actor"], entry["unit"]) == (
        "reported",
        "pengqiang",
        "县卫生健康局",
    )
    expected = {
        "kind": "answer_c",
        "via": "api",
        "answer": "C",
        "due_was": "2027-02-23",
        "answered_late": False,
    }
    assert {key: entry["data"].get(key) for key in expected} == expected
    # A co-unit's answer, by its first contact by default.
    status, answer = await api(
        bench, "POST", path, {"class": "A", "text": "已增配。", "unit": "edu"}
    )
    entry = acts(answer)[-1]
    assert (status, entry["actor"], entry["unit"], entry["data"]["answer"]) == (
        200,
        "lina",
        "县教育局",
        "A",
    )
    # Only a proposal takes an answer.
    draft = ItemDraft("整治背街小巷", "", Source.MEETING, TimeClass.GENERAL, "edu", (), "wang")
    other = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    status, answer = await api(
        bench, "POST", f"/api/items/{other.ref}/answer", body | {"person": None}
    )
    assert status == 422
    status, _ = await api(bench, "POST", "/api/items/2026-99/answer", {"class": "A", "text": "x"})
    assert status == 404


async def test_an_answer_c_without_its_reason_is_refused_and_loses_nothing(bench: Bench) -> None:
    """答复C（留作参考） needs the reason: in chat a photo without a caption is refused with the
    reason's message and the unit answers again; the API refuses blank text the same way."""
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina"], 45_000)
    draft = ItemDraft("关于增设城区公交线路的建议", "", Source.PROPOSAL, TimeClass.PROPOSAL, "edu")
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    lina = users["lina"]
    await lina.send_text(f"/report {view.ref}")
    menu = await lina.wait_message(lambda m: "请选择反馈类型" in m.plain_text, timeout=10)
    await lina.press(menu, "答复C：留作参考")
    prompt = await lina.wait_message(lambda m: "请回复本消息" in m.plain_text, timeout=10)
    await lina.send_photo(jpeg(), reply_to=prompt)
    preview = await lina.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=10)
    await lina.press(preview, "✅ 确认提交")
    # The press is answered at once (files are fetched first); the reason replies to the
    # preview, which keeps the photo.
    refusal = "C类答复（留作参考）须用文字写明理由。"
    await lina.wait_message(lambda m: m.plain_text == refusal, timeout=10)
    _status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    assert [e["kind"] for e in acts(body)][-1] == "dispatched"  # nothing recorded

    status, answer = await api(
        bench, "POST", f"/api/items/{view.ref}/answer", {"class": "C", "text": "  "}
    )
    assert (status, answer["error"]) == (
        422,
        "An answer C (kept for reference) needs the reason in text.",
    )
    # The draft is kept: the reason added to it, the photo still there, it goes through.
    await lina.send_text("因财力所限，留作参考，列入远期规划研究。", reply_to=preview)
    again = await lina.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=10)
    assert "照片 1 张" in again.plain_text
    await lina.press(again, "✅ 确认提交")
    await lina.wait_edit(again, timeout=10)
    assert "已提交" in again.plain_text
    _status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    entry = acts(body)[-1]
    assert (entry["kind"], entry["data"]["answer"]) == ("reported", "C")


@pytest.fixture
async def working_day_rectification(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    """The bench with ``rectification.working_days: true``."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("rectification:\n  working_days: true\n", encoding="utf-8")
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    async with running(settings, clock, fake) as started:
        yield started


async def test_a_reopened_item_counts_working_days_and_is_reminded_of_its_new_due_date(
    working_day_rectification: Bench,
) -> None:
    """With ``rectification.working_days`` the plan is due 5 working days after the reopening
    (Thu 10 Dec → Thu 17 Dec, not Tue 15 Dec); the new due date is reminded 3, 1 and 0 days
    ahead like any due date."""
    bench = working_day_rectification
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 46_000)
    inbox = Inbox(users)
    draft = ItemDraft("整治县城背街小巷环境卫生", "", Source.MEETING, TimeClass.GENERAL, "edu")
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    lina = users["lina"]
    bench.clock.set(local(11, 30, 10))
    await report(lina, view.ref, "办结报告", "背街小巷已全部清理。")
    await confirm_by_head(users["zhangjun"])
    status, _ = await api(bench, "POST", f"/api/items/{view.ref}/close", {})
    assert status == 200
    await settle(bench)

    bench.clock.set(local(12, 10, 10))
    body = {"due": "2026-12-31", "problems": ["台账资料不全", "整改照片缺失"]}
    status, item = await api(bench, "POST", f"/api/items/{view.ref}/reopen", body)
    assert (status, item["due"]) == (200, "2026-12-31")
    await settle(bench)
    assert "请于2026年12月17日前报送整改方案" in inbox.new()["lina"][-1]
    calendar_day_eve = await step(bench, inbox, local(12, 14, 9))  # not reminded on the 14th
    assert not any("整改方案" in text for got in calendar_day_eve.values() for text in got)
    assert "⏰ 请县教育局于12月17日前报送整改方案。" in second_lines(
        await step(bench, inbox, local(12, 16, 9))
    ).get("lina", [])
    bench.clock.set(local(12, 16, 10))
    await report(lina, view.ref, "研究部署", "整改方案：月底前补齐台账和照片。")
    await settle(bench)
    inbox.new()

    for moment, marker in [
        (local(12, 28, 9), "due-3"),
        (local(12, 30, 9), "due-1"),
        (local(12, 31, 9), "due-0"),
    ]:
        assert marker in kinds(await step(bench, inbox, moment)).get("lina", []), moment


def acts(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's timeline without the delivery worker's entries (a person found unreachable,
    a message delivered), which land whenever the sender gets to them."""
    return [e for e in item["timeline"] if e["kind"] not in ("unreachable", "delivered")]
