"""The demo's lifecycle act: one item through the whole 督办 loop in chat.

Dispatched to the education bureau (lead) and the health bureau (co-unit), acknowledged by
both, a plan, progress with an album of photos, an extension request approved by the office,
a completion confirmed by the head, returned once by the office, resubmitted and closed, a
follow-up check a month later that reopens it, an instruction from the deputy leader, and the
final close. Time passes on the FakeClock.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PIL import Image

from domain.deadlines import add_months
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from testbench import FakeUser
from testbench.models import BotMessage

if TYPE_CHECKING:
    from bot.demo import Stage

TIMEOUT = 15


def _photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48))
    image.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(3072)]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


def _has(*words: str) -> Callable[[BotMessage], bool]:
    return lambda message: all(word in message.plain_text for word in words)


async def _report(user: FakeUser, ref: str, kind: str, text: str) -> None:
    await user.send_text(f"/report {ref}")
    menu = await user.wait_message(_has("请选择反馈类型"), timeout=TIMEOUT)
    await user.press(menu, kind)
    prompt = await user.wait_message(_has("请回复本消息"), timeout=TIMEOUT)
    await user.send_text(text, reply_to=prompt)
    preview = await user.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=TIMEOUT)
    await user.press(preview, "✅ 确认提交")
    await user.wait_edit(preview, timeout=TIMEOUT)


async def _completion(stage: Stage, ref: str, text: str) -> BotMessage:
    """The contact submits the completion, the head confirms; the office's message returns."""
    lina, zhangjun, qian = stage.users["lina"], stage.users["zhangjun"], stage.users["qian"]
    await _report(lina, ref, "办结报告", text)
    request = await zhangjun.wait_message(_has("请核签"), timeout=TIMEOUT)
    await zhangjun.press(request, "✅ 核签")
    await zhangjun.wait_message(_has("已核签"), timeout=TIMEOUT)
    return await qian.wait_message(_has("办结报告", "已核签"), timeout=TIMEOUT)


async def lifecycle(stage: Stage) -> None:
    """One item from dispatch to close, with a return, an extension and a follow-up."""
    users = stage.users
    if not {"qian", "lina", "zhangjun", "caomin", "wang"} <= users.keys():
        stage.narrate("Lifecycle act skipped: the example county's people have not joined")
        return
    qian, lina, caomin, wang = users["qian"], users["lina"], users["caomin"], users["wang"]

    stage.narrate("The office dispatches an item to the education bureau and the health bureau")
    draft = ItemDraft(
        title="全县中小学校舍安全隐患排查整治",
        body="全面排查全县中小学校舍安全隐患，建立台账，限期整改到位。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        co_units=("health",),
        leader="wang",
    )
    item = await register_item(stage.rt, Origin(None, via_api=True), draft, dispatch=True)
    ref = item.ref

    stage.narrate("Both units acknowledge; the notice changes in place")
    notices = {}
    for user in (lina, caomin):
        notice = await user.wait_message(_has(item.code, "交办"), timeout=TIMEOUT)
        await user.press(notice, "✅ 签收")
        await user.wait_edit(notice, timeout=TIMEOUT)
        notices[user.id] = notice

    stage.narrate("The education bureau reports its plan (研究部署)")
    stage.clock.advance(timedelta(hours=5))
    await _report(lina, ref, "研究部署", "已召开专题会议，成立工作专班，印发排查方案。")

    stage.narrate("Progress with an album of three photos, as a reply to the notice: one report")
    stage.clock.advance(timedelta(days=3))
    await lina.send_album(
        [_photo(1), _photo(2), _photo(3)], caption="已完成 12 所学校排查", reply_to=notices[lina.id]
    )
    preview = await lina.wait_message(_has("照片 3 张"), timeout=TIMEOUT)
    await lina.press(preview, "进展")
    await lina.wait_edit(preview, timeout=TIMEOUT)
    await lina.press(preview, "✅ 确认提交")
    await lina.wait_edit(preview, timeout=TIMEOUT)
    await caomin.send_text("已安排校医配合开展卫生安全检查。", reply_to=notices[caomin.id])
    preview = await caomin.wait_message(_has("请选择反馈类型"), timeout=TIMEOUT)
    await caomin.press(preview, "进展")
    await caomin.wait_edit(preview, timeout=TIMEOUT)
    await caomin.press(preview, "✅ 确认提交")
    await caomin.wait_edit(preview, timeout=TIMEOUT)

    stage.narrate("An extension request (延期申请), approved by the office")
    stage.clock.advance(timedelta(days=3))
    assert item.due is not None
    wanted = item.due + timedelta(days=17)
    await _report(
        lina, ref, "延期申请", f"申请延期至 {wanted.isoformat()}。计划：一周内完成整改，再验收。"
    )
    ask = await qian.wait_message(_has("申请将办结时限延至"), timeout=TIMEOUT)
    await qian.press(ask, "✅ 同意延期")
    await qian.wait_message(_has("已同意延期"), timeout=TIMEOUT)

    stage.narrate("Completion, confirmed by the head, returned by the office with a reason")
    stage.clock.advance(timedelta(days=10))
    completion = await _completion(stage, ref, "全部隐患已整改完毕。")
    await qian.press(completion, "↩️ 退回重办")
    prompt = await qian.wait_message(_has("退回理由"), timeout=TIMEOUT)
    await qian.send_text("缺少整改前后对比照片，请补充。", reply_to=prompt)
    await lina.wait_message(_has("退回办结报告"), timeout=TIMEOUT)

    stage.narrate("Resubmitted, confirmed, closed (销号) with a follow-up check in a month")
    stage.clock.advance(timedelta(days=2))
    completion = await _completion(stage, ref, "已补充整改前后对比照片，隐患全部消除。")
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(_has("是否安排回头看"), timeout=TIMEOUT)
    await qian.press(question, "1个月后")
    await qian.wait_message(_has("回头看"), timeout=TIMEOUT)

    stage.narrate("A month later at 09:00 the office checks back (回头看) and reopens it")
    follow = add_months(stage.clock.now().astimezone(stage.rt.tz).date(), 1)
    stage.clock.set(datetime.combine(follow, datetime.min.time(), stage.rt.tz) + timedelta(hours=9))
    stage.rt.wake_outbox()
    check = await qian.wait_message(_has("今天是回头看日期"), timeout=TIMEOUT)
    await qian.press(check, "🔁 重新整改")
    prompt = await qian.wait_message(_has("整改期限"), timeout=TIMEOUT)
    due = follow + timedelta(days=30)
    await qian.send_text(f"{due.isoformat()} 前完成：部分学校隐患出现反弹。", reply_to=prompt)
    await lina.wait_message(_has("重新整改"), timeout=TIMEOUT)

    stage.narrate("The deputy leader looks at the item and writes an instruction (批示)")
    await wang.send_text(f"/item {ref}")
    card = await wang.wait_message(_has("状态"), timeout=TIMEOUT)
    await wang.press(card, "✍️ 批示")
    prompt = await wang.wait_message(_has("批示内容"), timeout=TIMEOUT)
    await wang.send_text("务必整改到位，举一反三，建立长效机制。", reply_to=prompt)
    await lina.wait_message(_has("批示"), timeout=TIMEOUT)

    stage.narrate("Rectified and closed for good")
    stage.clock.advance(timedelta(days=12))
    completion = await _completion(stage, ref, "整改完成，已建立长效机制。")
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(_has("是否安排回头看"), timeout=TIMEOUT)
    await qian.press(question, "不回头看")
    await qian.wait_message(_has("不安排回头看"), timeout=TIMEOUT)
    await qian.send_text(f"/item {ref}")
    await qian.wait_message(_has("状态"), timeout=TIMEOUT)
