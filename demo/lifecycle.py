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
from datetime import datetime, timedelta

from PIL import Image

from demo.stage import TIMEOUT, Stage, has
from domain.deadlines import add_months
from domain.views import ItemView
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from testbench import FakeUser
from testbench.models import BotMessage


def _photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48))
    image.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(3072)]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


async def _report(user: FakeUser, ref: str, kind: str, text: str) -> None:
    await user.send_text(f"/report {ref}")
    menu = await user.wait_message(has("请选择反馈类型"), timeout=TIMEOUT)
    await user.press(menu, kind)
    prompt = await user.wait_message(has("请回复本消息"), timeout=TIMEOUT)
    await user.send_text(text, reply_to=prompt)
    preview = await user.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=TIMEOUT)
    await user.press(preview, "✅ 确认提交")
    await user.wait_edit(preview, timeout=TIMEOUT)


async def _completion(stage: Stage, ref: str, text: str) -> BotMessage:
    """The contact submits the completion, the head confirms; the office's message returns."""
    lina, zhangjun, qian = stage.users["lina"], stage.users["zhangjun"], stage.users["qian"]
    await _report(lina, ref, "办结报告", text)
    request = await zhangjun.wait_message(has("请核签"), timeout=TIMEOUT)
    await zhangjun.press(request, "✅ 核签")
    await zhangjun.wait_message(has("已核签"), timeout=TIMEOUT)
    return await qian.wait_message(has("办结报告", "已核签"), timeout=TIMEOUT)


async def _answer(user: FakeUser, message: BotMessage, button: str, asks: str, text: str) -> None:
    """Press ``button`` on ``message`` and reply ``text`` to the prompt that asks ``asks``."""
    await user.press(message, button)
    prompt = await user.wait_message(has(asks), timeout=TIMEOUT)
    await user.send_text(text, reply_to=prompt)


async def _close(stage: Stage, ref: str, text: str, *, follow_up: str, answered: str) -> None:
    """A completion confirmed by the head, closed (销号) by the office with ``follow_up``."""
    qian = stage.users["qian"]
    completion = await _completion(stage, ref, text)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=TIMEOUT)
    await qian.press(question, follow_up)
    await qian.wait_message(has(answered), timeout=TIMEOUT)


async def _submit_as_progress(user: FakeUser, preview: BotMessage) -> None:
    """Pick 进展 on a report's preview and submit it."""
    await user.press(preview, "进展")
    await user.wait_edit(preview, timeout=TIMEOUT)
    await user.press(preview, "✅ 确认提交")
    await user.wait_edit(preview, timeout=TIMEOUT)


async def _dispatch(stage: Stage) -> tuple[ItemView, dict[int, BotMessage]]:
    """The item is dispatched; both units acknowledge. Returns it and each contact's notice."""
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

    stage.narrate("Both units acknowledge; the notice changes in place")
    notices = {}
    for user in (stage.users["lina"], stage.users["caomin"]):
        notice = await user.wait_message(has(item.code, "交办"), timeout=TIMEOUT)
        await user.press(notice, "✅ 签收")
        await user.wait_edit(notice, timeout=TIMEOUT)
        notices[user.id] = notice
    return item, notices


async def _progress(stage: Stage, ref: str, notices: dict[int, BotMessage]) -> None:
    """A plan, then progress from both units as replies to their notices."""
    lina, caomin = stage.users["lina"], stage.users["caomin"]
    stage.narrate("The education bureau reports its plan (研究部署)")
    stage.clock.advance(timedelta(hours=5))
    await _report(lina, ref, "研究部署", "已召开专题会议，成立工作专班，印发排查方案。")

    stage.narrate("Progress with an album of three photos, as a reply to the notice: one report")
    stage.clock.advance(timedelta(days=3))
    await lina.send_album(
        [_photo(1), _photo(2), _photo(3)], caption="已完成 12 所学校排查", reply_to=notices[lina.id]
    )
    await _submit_as_progress(lina, await lina.wait_message(has("照片 3 张"), timeout=TIMEOUT))
    await caomin.send_text("已安排校医配合开展卫生安全检查。", reply_to=notices[caomin.id])
    preview = await caomin.wait_message(has("请选择反馈类型"), timeout=TIMEOUT)
    await _submit_as_progress(caomin, preview)


async def _extension(stage: Stage, item: ItemView) -> None:
    """The lead unit asks for 17 more days; the office agrees."""
    lina, qian = stage.users["lina"], stage.users["qian"]
    stage.narrate("An extension request (延期申请), approved by the office")
    stage.clock.advance(timedelta(days=3))
    assert item.due is not None
    wanted = item.due + timedelta(days=17)
    plan = f"申请延期至 {wanted.isoformat()}。计划：一周内完成整改，再验收。"
    await _report(lina, item.ref, "延期申请", plan)
    ask = await qian.wait_message(has("申请将办结时限延至"), timeout=TIMEOUT)
    await qian.press(ask, "✅ 同意延期")
    await qian.wait_message(has("已同意延期"), timeout=TIMEOUT)


async def _returned_then_closed(stage: Stage, ref: str) -> None:
    """The first completion is returned with a reason; the second is closed with a follow-up."""
    lina, qian = stage.users["lina"], stage.users["qian"]
    stage.narrate("Completion, confirmed by the head, returned by the office with a reason")
    stage.clock.advance(timedelta(days=10))
    completion = await _completion(stage, ref, "全部隐患已整改完毕。")
    await _answer(qian, completion, "↩️ 退回重办", "退回理由", "缺少整改前后对比照片，请补充。")
    await lina.wait_message(has("退回办结报告"), timeout=TIMEOUT)

    stage.narrate("Resubmitted, confirmed, closed (销号) with a follow-up check in a month")
    stage.clock.advance(timedelta(days=2))
    text = "已补充整改前后对比照片，隐患全部消除。"
    await _close(stage, ref, text, follow_up="1个月后", answered="回头看")


async def _follow_up(stage: Stage) -> None:
    """A month later at 09:00 the follow-up check comes due and the office reopens the item."""
    lina, qian = stage.users["lina"], stage.users["qian"]
    stage.narrate("A month later at 09:00 the office checks back (回头看) and reopens it")
    follow = add_months(stage.clock.now().astimezone(stage.rt.tz).date(), 1)
    stage.clock.set(datetime.combine(follow, datetime.min.time(), stage.rt.tz) + timedelta(hours=9))
    stage.rt.wake_outbox()
    check = await qian.wait_message(has("今天是回头看日期"), timeout=TIMEOUT)
    due = follow + timedelta(days=30)
    reason = f"{due.isoformat()} 前完成：部分学校隐患出现反弹。"
    await _answer(qian, check, "🔁 重新整改", "整改期限", reason)
    await lina.wait_message(has("重新整改"), timeout=TIMEOUT)


async def _instruction(stage: Stage, ref: str) -> None:
    """The deputy leader opens the item's card and writes an instruction (批示)."""
    lina, wang = stage.users["lina"], stage.users["wang"]
    stage.narrate("The deputy leader looks at the item and writes an instruction (批示)")
    await wang.send_text(f"/item {ref}")
    card = await wang.wait_message(has("状态"), timeout=TIMEOUT)
    await _answer(wang, card, "✍️ 批示", "批示内容", "务必整改到位，举一反三，建立长效机制。")
    await lina.wait_message(has("批示"), timeout=TIMEOUT)


async def lifecycle(stage: Stage) -> None:
    """One item from dispatch to close, with a return, an extension and a follow-up."""
    if not {"qian", "lina", "zhangjun", "caomin", "wang"} <= stage.users.keys():
        stage.narrate("Lifecycle act skipped: the example county's people have not joined")
        return
    item, notices = await _dispatch(stage)
    await _progress(stage, item.ref, notices)
    await _extension(stage, item)
    await _returned_then_closed(stage, item.ref)
    await _follow_up(stage)
    await _instruction(stage, item.ref)

    stage.narrate("Rectified and closed for good")
    stage.clock.advance(timedelta(days=12))
    text = "整改完成，已建立长效机制。"
    await _close(stage, item.ref, text, follow_up="不回头看", answered="不安排回头看")
    qian = stage.users["qian"]
    await qian.send_text(f"/item {item.ref}")
    await qian.wait_message(has("状态"), timeout=TIMEOUT)
