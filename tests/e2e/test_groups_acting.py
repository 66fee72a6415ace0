"""Acting from work groups: the dispatch lands in the unit's group (and the contact keeps a
private copy), a colleague acknowledges for the unit and the group's message says who did it;
a stranger, or someone of another unit, gets an alert and nothing changes; a complaint triaged
in the office's group has its message say who handled it and how."""

from __future__ import annotations

import re

from sqlalchemy import select

from domain.vocabulary import ComplaintCategory
from services import complaints
from services.items import Origin, register_item
from storage.models import Assignment, Item, Report
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import csrf_of, page, signed_in
from tests.e2e.group_helpers import DRAFT, bound_group, join
from tests.e2e.test_whole_loop import photo


async def dispatch(bench: Bench) -> None:
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)


async def acknowledged(bench: Bench) -> bool:
    async with bench.rt.db.session() as session:
        return await session.scalar(select(Assignment.acknowledged_at)) is not None


async def test_dispatch_in_the_unit_group_acknowledged_by_a_colleague(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["zhangjun", "lina", "caomin"])
    zhangjun, lina, caomin = users["zhangjun"], users["lina"], users["caomin"]
    stranger = bench.fake.user(39_000, "路人甲")
    group = await bound_group(
        bench, -600, "县教育局工作群", [zhangjun, lina, caomin, stranger], zhangjun, "edu"
    )
    await dispatch(bench)
    notice = await group.wait_message(lambda m: "督〔2026〕1号" in m.plain_text, timeout=10)
    assert notice.button_texts == ["✅ 签收", "详情"]
    # the contact keeps a private copy (policy: dispatch private: true)
    private = await lina.wait_message(lambda m: "督〔2026〕1号" in m.plain_text, timeout=10)
    assert "✅ 签收" in private.button_texts

    await group.press(stranger, notice, "✅ 签收")  # not on the roster
    alert = await stranger.wait_callback_answer()
    assert alert.show_alert and "花名册" in (alert.text or "")
    await group.press(caomin, notice, "✅ 签收")  # another unit's contact
    refused = await caomin.wait_callback_answer()
    assert refused.show_alert
    assert not await acknowledged(bench)
    assert not notice.edits

    await group.press(lina, notice, "✅ 签收")
    assert not (await lina.wait_callback_answer()).show_alert
    edited = await group.wait_edit(notice)
    assert "已由李娜签收" in edited.plain_text
    assert "✅ 签收" not in edited.button_texts
    assert await acknowledged(bench)


async def test_a_complaint_triaged_in_the_office_group(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhoujian", "lina"])
    qian, zhoujian, lina = users["qian"], users["zhoujian"], users["lina"]
    group = await bound_group(bench, -700, "督查室工作群", [qian, zhoujian, lina], qian, "office")
    text = "小区门口的路灯坏了三个月，晚上出行很不安全，希望尽快修好。"
    filed = await complaints.file_complaint(
        bench.rt, complaints.ComplaintDraft(ComplaintCategory.LIVELIHOOD, "城关镇", text, ())
    )
    notice = await group.wait_message(lambda m: "路灯" in m.plain_text, timeout=10)
    assert "受理" in " ".join(notice.button_texts)
    accept = notice.buttons[0][0].value  # what a colleague's phone still shows
    # the group has it: no supervisor gets it privately as well (policy: private: false)
    assert not [m for m in qian.messages + zhoujian.messages if "路灯" in m.plain_text]

    await group.press(lina, notice, notice.buttons[0][0].text)  # a unit contact: no right
    assert (await lina.wait_callback_answer()).show_alert
    await group.press(qian, notice, notice.buttons[0][0].text)  # 受理
    choose = await group.wait_message(lambda m: "牵头单位" in m.plain_text)
    await group.press(qian, choose, "县教育局")
    done = await group.wait_message(lambda m: "督〔2026〕1号" in m.plain_text)
    assert "县教育局" in done.plain_text
    # the complaint's own message says who handled it and how, and loses its buttons
    edited = await group.wait_edit(notice)
    assert re.search(r"☑️ 已由钱丽华受理 \d\d:\d\d$", edited.plain_text), edited.plain_text
    assert "路灯" in edited.plain_text and not edited.button_texts
    # a colleague whose screen still shows the old buttons is told it is done; nothing changes
    await group.press_data(zhoujian, notice, accept)
    late = await zhoujian.wait_callback_answer()
    assert late.show_alert
    async with bench.rt.db.session() as session:
        count = len(list(await session.scalars(select(Item.id))))
    assert count == 1 and filed.code


async def test_a_report_made_by_replying_in_the_group_with_an_album(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["zhangjun", "lina", "caomin"])
    zhangjun, lina, caomin = users["zhangjun"], users["lina"], users["caomin"]
    group = await bound_group(
        bench, -650, "县教育局工作群", [zhangjun, lina, caomin], zhangjun, "edu"
    )
    await dispatch(bench)
    notice = await group.wait_message(lambda m: "督〔2026〕1号" in m.plain_text, timeout=10)
    # privacy mode: a plain message in the group never reaches the bot
    await group.send_text(lina, "大家好，这件事我来办")
    await group.send_album(
        lina, [photo(1), photo(2)], caption="已完成全县学校排查。", reply_to=notice
    )
    kinds = await group.wait_message(lambda m: "已完成全县学校排查" in m.plain_text, timeout=10)
    if "照片 2 张" not in kinds.plain_text:  # the album's second photo joins the same preview
        kinds = await group.wait_edit(kinds)
    assert "照片 2 张" in kinds.plain_text
    progress = next(label for label in kinds.button_texts if "进展" in label)
    await group.press(caomin, kinds, progress)  # someone else's draft: refused
    assert (await caomin.wait_callback_answer()).show_alert
    await group.press(lina, kinds, progress)
    ready = await group.wait_edit(kinds)
    assert "✅ 确认提交" in ready.button_texts
    await group.press(lina, ready, "✅ 确认提交")
    submitted = await group.wait_edit(ready)
    assert "提交" in submitted.plain_text
    async with bench.rt.db.session() as session:
        reports = list(await session.scalars(select(Report)))
    assert len(reports) == 1 and reports[0].text == "已完成全县学校排查。"


async def test_a_complaint_rejected_in_the_group_by_replying_with_the_reason(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhoujian"])
    qian, zhoujian = users["qian"], users["zhoujian"]
    group = await bound_group(bench, -710, "督查室工作群", [qian, zhoujian], qian, "office")
    text = "希望县里多组织一些广场舞比赛活动，丰富群众的业余文化生活。"
    await complaints.file_complaint(
        bench.rt, complaints.ComplaintDraft(ComplaintCategory.OTHER, "城关镇", text, ())
    )
    notice = await group.wait_message(lambda m: "广场舞" in m.plain_text, timeout=10)
    reject = next(b.value for row in notice.buttons for b in row if b.text == "不予受理")
    await group.press(zhoujian, notice, "不予受理")
    ask = await group.wait_message(lambda m: "理由" in m.plain_text)
    await group.send_text(qian, "我来说两句")  # not a reply: the bot never sees it
    await group.send_text(zhoujian, "属于建议，不属于投诉举报范围，已转文旅局参考。", reply_to=ask)
    done = await group.wait_message(lambda m: "已由周建处理" in m.plain_text)
    assert "不予受理" in done.plain_text or "未受理" in done.plain_text
    edited = await group.wait_edit(notice)
    assert "☑️ 已由周建不予受理" in edited.plain_text and not edited.button_texts
    await group.press_data(qian, notice, reject)  # a colleague, too late: already done
    late = await qian.wait_callback_answer()
    assert late.show_alert and late.text


async def test_a_complaint_answered_on_the_console_is_stamped_in_the_group(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "wuting"])
    qian, wuting = users["qian"], users["wuting"]
    group = await bound_group(bench, -720, "督查室工作群", [qian, wuting], qian, "office")
    text = "菜市场门口早高峰占道经营，车辆无法通行，希望管一管。"
    filed = await complaints.file_complaint(
        bench.rt, complaints.ComplaintDraft(ComplaintCategory.OTHER, "城关镇", text, ())
    )
    notice = await group.wait_message(lambda m: "占道经营" in m.plain_text, timeout=10)
    assert notice.button_texts
    http = await signed_in(bench, wuting)
    async with http:
        _, listing = await page(http, f"{bench.base_url}/console/complaints")
        url = f"{bench.base_url}/console/complaints/{filed.public_id}/answer"
        form = {"csrf": csrf_of(listing), "answer": "已转城管局，本周起早高峰派员值守。"}
        async with http.post(url, data=form, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
    # the group's message says who handled it on the console, and loses its buttons
    edited = await group.wait_edit(notice)
    assert re.search(r"☑️ 已由吴婷答复 \d\d:\d\d$", edited.plain_text), edited.plain_text
    assert not edited.button_texts
