"""Very long, odd Unicode text (emoji, ZWJ families, RTL override, zero-width, combining marks)
through the real PTB stack and the fake Bot API, which refuses a message over 4096 UTF-16 units
with 400 "message is too long" as Telegram does. Each input is either refused at once with a
Chinese message naming the limit, or delivered whole or shortened: never a 400, never the error
handler's apology."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from domain.complaints import ANSWER_MAX, TEXT_MAX
from domain.reports import TEXT_MAX as REPORT_MAX
from domain.text import utf16_len
from domain.vocabulary import NotificationStatus
from services.items import BODY_MAX, TITLE_MAX
from services.outbox.queue import enqueue
from storage.models import Notification, Person
from testbench import FakeUser
from tests.conftest import Bench, import_example_county
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_whole_loop import api, has, join_people

FAMILY = "👨\u200d👩\u200d👧"
PIECES = ["群众", "😀", FAMILY, "\u202e", "反", "\u200b", "e\u0301\u0323", "<b>&amp;</b>", "𠀀"]
APOLOGY = "出现了问题"


def odd(units: int, start: str = "") -> str:
    """A text of exactly ``units`` UTF-16 units, mostly emoji and marks."""
    text = start
    n = 0
    while True:
        piece = PIECES[n % len(PIECES)]
        if utf16_len(text + piece) > units:
            break
        text += piece
        n += 1
    return text + "长" * (units - utf16_len(text))


def no_refusals(bench: Bench, *users: FakeUser) -> None:
    assert bench.fake.stats.error_statuses[400] == 0, [
        c.params for c in bench.fake.calls if c.status == 400
    ]
    for user in users:
        assert not any(APOLOGY in m.plain_text for m in user.messages), user.history()


async def test_complaint_and_answer_at_their_limits(bench: Bench) -> None:
    await import_example_county(bench.rt)
    qian = (await join_people(bench, ["qian"], 61_000))["qian"]
    citizen = bench.fake.user(61_500, "市民")
    await citizen.send_text("/complain")
    await citizen.press(await citizen.wait_message(has("匿名投诉")), "民生问题")
    await citizen.press(await citizen.wait_message(has("第 2 步")), "县住房和城乡建设局")
    await citizen.wait_message(has("第 3 步"))
    await citizen.send_text(odd(TEXT_MAX + 1))
    refused = await citizen.wait_message(has("上限"))
    assert f"超过了 {TEXT_MAX} 个字的上限" in refused.plain_text
    assert "表情符号" in refused.plain_text
    text = odd(TEXT_MAX, "反映：")
    await citizen.send_text(text)
    await citizen.press(await citizen.wait_message(has("第 4 步")), "完成")
    preview = await citizen.wait_message(has("请核对"))
    assert text in preview.plain_text
    await citizen.press(preview, "✅ 提交")
    await citizen.wait_message(has("查询码"))
    code = next(m for m in citizen.messages if "查询码" in m.plain_text).plain_text

    notice = await qian.wait_message(has("T2026-1"), timeout=10)
    assert text in notice.plain_text  # the office gets the whole complaint
    await qian.press(notice, "直接答复")
    await qian.wait_message(has("请写答复"))
    await qian.send_text(odd(ANSWER_MAX + 2))
    too_long = await qian.wait_message(has("上限"))
    assert f"{ANSWER_MAX + 2} 个字，超过了 {ANSWER_MAX} 个字" in too_long.plain_text
    answer = odd(ANSWER_MAX, "答复：")
    await qian.send_text(answer)
    await qian.wait_message(has("已答复"))

    receipt = re.search(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}", code)
    assert receipt is not None
    await citizen.send_text(f"/track {receipt.group(0)}")
    status = await citizen.wait_message(has("答复"))
    assert answer in status.plain_text
    no_refusals(bench, qian, citizen)


async def test_item_report_reasons_and_instruction_at_their_limits(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, ["qian", "lina", "zhangjun", "wang"], 62_000)
    qian, lina, zhangjun, wang = users["qian"], users["lina"], users["zhangjun"], users["wang"]

    draft = {
        "source": "meeting",
        "class": "general",
        "lead_unit": "edu",
        "leader": "wang",
        "dispatch": True,
    }
    status, error = await api(
        bench, "POST", "/api/items", {**draft, "title": odd(TITLE_MAX + 1), "body": "x"}
    )
    assert status == 422 and "characters" in str(error), error
    title = odd(TITLE_MAX, "标题")
    body = odd(BODY_MAX, "内容")
    status, item = await api(bench, "POST", "/api/items", {**draft, "title": title, "body": body})
    assert status == 201, item
    ref = item["ref"]
    # The body (5000 units) cannot ride in a 4096-unit message whole: shortened, with a pointer.
    notice = await lina.wait_message(has("交办"), timeout=10)
    assert title in notice.plain_text and "全文见网页控制台" in notice.plain_text
    assert body[:1000] in notice.plain_text and utf16_len(notice.plain_text) <= 4096
    await lina.press(notice, "✅ 签收")
    await lina.wait_edit(notice, timeout=10)

    # A completion report at the limit, then one unit more refused with the limit named.
    await lina.send_text(f"/report {ref}")
    await lina.press(await lina.wait_message(has("请选择反馈类型"), timeout=10), "办结报告")
    prompt = await lina.wait_message(has("请回复本消息"), timeout=10)
    report = odd(REPORT_MAX, "办结：")
    await lina.send_text(report, reply_to=prompt)
    preview = await lina.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=10)
    await lina.send_text("再补充一句", reply_to=preview)
    refused = await lina.wait_message(has("上限"), timeout=10)
    assert f"超过了 {REPORT_MAX} 个字的上限" in refused.plain_text
    await lina.press(preview, "✅ 确认提交")
    await lina.wait_edit(preview, timeout=10)

    # The head sends it back with a reason at the limit: the contact gets it shortened.
    request = await zhangjun.wait_message(has("请核签"), timeout=10)
    assert report[:200] in request.plain_text
    await zhangjun.press(request, "↩️ 退回修改")
    ask = await zhangjun.wait_message(has("需要修改的内容"), timeout=10)
    reason = odd(REPORT_MAX, "理由：")
    await zhangjun.send_text(reason, reply_to=ask)
    await zhangjun.wait_message(has("已退回专人修改"), timeout=10)
    back = await lina.wait_message(has("退回了办结报告"), timeout=10)
    assert reason[:2000] in back.plain_text and "全文见网页控制台" in back.plain_text

    # The leader's instruction (批示) at the limit reaches the unit, shortened.
    await wang.send_text(f"/item {ref}")
    card = await wang.wait_message(has("状态"), timeout=10)
    await wang.press(card, "✍️ 批示")
    ask = await wang.wait_message(has("批示内容"), timeout=10)
    instruction = odd(REPORT_MAX, "批示：")
    await wang.send_text(instruction, reply_to=ask)
    await wang.wait_message(has("批示已送达"), timeout=10)
    told = await lina.wait_message(has("批示："), timeout=10)
    assert instruction[:2000] in told.plain_text and "全文见网页控制台" in told.plain_text
    no_refusals(bench, qian, lina, zhangjun, wang)


async def test_new_item_title_in_chat_counts_emoji_as_two(bench: Bench) -> None:
    await import_example_county(bench.rt)
    qian = (await join_people(bench, ["qian"], 63_000))["qian"]
    await qian.send_text("/new")
    await qian.wait_message(has("第 1 步"), timeout=10)
    await qian.send_text("😀" * (TITLE_MAX // 2 + 1))  # 101 emoji: 202 units
    refused = await qian.wait_message(has("表情符号"), timeout=10)
    assert f"最多 {TITLE_MAX} 个字" in refused.plain_text
    await qian.send_text(odd(TITLE_MAX, "标题"))
    await qian.wait_message(has("第 2 步"), timeout=10)
    await qian.send_text(odd(4000, "内容"))
    await qian.wait_message(has("第 3 步"), timeout=10)
    await qian.send_text("/cancel")
    await qian.wait_message(timeout=10)
    no_refusals(bench, qian)


async def test_an_old_oversized_notification_is_cut_and_a_refused_one_fails_once(
    bench: Bench,
) -> None:
    """A row queued before the limits (6000 units) goes out cut between tags; a message
    Telegram still refuses (400 "message is too long") is failed at once, not retried, and the
    office is told."""
    await import_example_county(bench.rt)
    users = await join_people(bench, ["qian", "lina"], 64_000)
    now = bench.clock.now()
    async with bench.rt.db.session() as session:
        lina_id = await session.scalar(select(Person.id).where(Person.key == "lina"))
        assert lina_id is not None
        for key, text in (
            ("old", "<b>旧通知</b>\n" + "😀&amp;" * 2000 + "\n<i>尾</i>"),
            ("refused", "<b>被拒</b> 内容"),
        ):
            await enqueue(
                session,
                key=f"test|{key}",
                person_id=lina_id,
                kind="test",
                text=text,
                not_before=now if key == "old" else now + timedelta(minutes=1),
                created_at=now,
            )
        await session.commit()
    bench.rt.wake_outbox()
    old = await users["lina"].wait_message(has("旧通知"), timeout=10)
    assert old.plain_text.endswith("…") and utf16_len(old.plain_text) <= 4096
    assert "😀&" * 100 in old.plain_text

    bench.fake.fail(
        "sendMessage",
        status=400,
        times=1000,
        chat_id=users["lina"].chat_id,
        description="Bad Request: message is too long",
    )
    bench.clock.advance(timedelta(minutes=2))
    await settle(bench)
    bench.clock.advance(timedelta(hours=2))
    await settle(bench)
    async with bench.rt.db.session() as session:
        refused = await session.scalar(
            select(Notification).where(Notification.key == "test|refused")
        )
    assert refused is not None and refused.status == str(NotificationStatus.FAILED)
    assert refused.attempts == 1 and "too long" in (refused.last_error or "")
    calls = [c for c in bench.fake.calls_to("sendMessage") if c.status == 400]
    assert len(calls) == 1  # not retried
    await users["qian"].wait_message(has("未送达"), timeout=10)
