"""Accountability (问责) end to end (issue 16): the principal leader orders a talk from the
ladder's third message, the office records it through the API, and once the commitment date has
passed with the item still undone the ladder's fourth level tells the principal leader and the
office, who proposes a referral from it; refused for a unit's head; the referral is on the
timeline, in /api/stats and in the Excel export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from domain.assessment import Period
from services.export import export_file
from tests.conftest import Bench
from tests.e2e.measures_helpers import local, overdue_item, step
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_whole_loop import api, has

PEOPLE = ["lina", "zhangjun", "wang", "zhao", "qian", "zhoujian", "wuting"]
OFFICE = ["qian", "zhoujian", "wuting"]


async def test_the_fourth_level_after_a_talk_and_a_referral_counted(
    bench: Bench, tmp_path: Path
) -> None:
    users, view = await overdue_item(bench, PEOPLE, 50_000)
    zhao, zhangjun = users["zhao"], users["zhangjun"]
    for day in (4, 7, 11):
        await step(bench, local(12, day, 8))
    level3 = zhao.messages[-1]
    assert "已报县政府主要领导并列入督查事项" in level3.plain_text
    # Without a talk, nothing comes after the third level.
    inbox = Inbox(users)
    await step(bench, local(12, 20, 8))
    assert all("约谈后仍未办结" not in t for texts in inbox.new().values() for t in texts)
    bench.clock.set(local(12, 11, 9))
    await zhao.press(level3, "🗣 约谈")
    await zhao.wait_callback_answer()
    await settle(bench)
    status, body = await api(bench, "GET", f"/api/items/{view.ref}/talks")
    (talk,) = body["talks"]
    assert talk["by"] == "principal" and talk["ordered_by"] == "赵志刚"
    bench.clock.set(local(12, 12, 10))
    record = {
        "held_on": "2026-12-12",
        "held_time": "09:30",
        "place": "县政府常务会议室",
        "attendees": "赵志刚、张军",
        "commitment": "12月22日前全部整改到位",
        "commit_by": "2026-12-22",
    }
    status, _ = await api(bench, "POST", f"/api/items/{view.ref}/talks/{talk['id']}", record)
    assert status == 200
    await settle(bench)
    inbox.new()
    # Due + 15 days has passed (19 Dec), but not the day committed to: no fourth level yet.
    await step(bench, local(12, 22, 20))
    assert all("约谈后仍未办结" not in t for texts in inbox.new().values() for t in texts)
    await step(bench, local(12, 23, 8))
    level4 = inbox.new()
    told = {key for key, texts in level4.items() if any("约谈后仍未办结" in t for t in texts)}
    assert told == {"zhao", *OFFICE}
    message = zhao.messages[-1]
    assert "按规定可提出问责建议" in message.plain_text
    assert message.button_texts == ["⚖️ 提出问责建议", "详情"]
    # A unit head may not propose it.
    await zhangjun.press_data(zhangjun.messages[-1], f"acc:{view.ref}")
    assert (await zhangjun.wait_callback_answer())[0] == "只有主要领导和督查室可以提出问责建议。"
    await zhao.press(message, "⚖️ 提出问责建议")
    prompt = await zhao.wait_message(has("分三行填写"), timeout=10)
    await zhao.send_text("移送：县纪委监委\n事由：约谈后仍未按承诺整改到位", reply_to=prompt)
    await zhao.wait_message(has("请分三行回复"), timeout=10)
    await zhao.send_text(
        "移送：县纪委监委\n事由：约谈后仍未按承诺整改到位\n日期：12月23日", reply_to=prompt
    )
    await zhao.wait_message(has("问责建议已登记", "县纪委监委"), timeout=10)
    await settle(bench)
    referred = inbox.new()
    for key in OFFICE:
        assert any("赵志刚提出问责建议：移送县纪委监委" in t for t in referred[key]), key
    status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    assert [r["to"] for r in body["referrals"]] == ["县纪委监委"]
    assert body["escalation_level"] == 4
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert {"talk_ordered", "talk_held", "referred"} <= set(kinds)
    # Counted: one talk held and one referral for the education bureau, in the API and Excel.
    status, stats = await api(bench, "GET", "/api/stats?from=2026-12-01&to=2026-12-31")
    (edu,) = [row for row in stats["units"] if row["key"] == "edu"]
    assert (edu["talks"], edu["referrals"], edu["criticisms"]) == (1, 1, 0)
    assert edu["escalations"]["4"] == 1
    assert (stats["total"]["talks"], stats["total"]["referrals"]) == (1, 1)
    path = tmp_path / "ledger.xlsx"
    await export_file(bench.rt, path, period=Period(date(2026, 12, 1), date(2026, 12, 31)))
    sheet = load_workbook(path)["统计"]
    header = [cell.value for cell in sheet[3]]
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == "县教育局")
    assert row[header.index("约谈")] == 1 and row[header.index("问责建议")] == 1
    assert row[header.index("通报批评")] == 0
