"""The whole 督办 loop through the fake Bot API (issue 3, "What it must show").

Dispatch to a lead and a co-unit → both acknowledge → plan → progress with a 3-photo album (one
report) → extension request approved → completion → head confirms → office returns → resubmit
→ close → follow-up reopens → close; every step on ``GET /api/items/{ref}``'s timeline.

The item is registered through ``POST /api/items`` with ``"dispatch": true``; registering it in
chat (/new) and approval are covered by the registration tests.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
from PIL import Image
from sqlalchemy import func, select

from domain.deadlines import add_months
from services.people import issue_invites
from storage.models import Attachment, Report
from testbench import FakeUser
from testbench.models import BotMessage
from tests.conftest import SHANGHAI, Bench, import_example_county

HEADERS = {"Authorization": "Bearer test-api-token"}
PEOPLE = ["qian", "lina", "zhangjun", "caomin", "huangwei", "wang", "chen"]


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (48, 48))
    image.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(2304)]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


async def join_people(bench: Bench, keys: list[str], first_id: int) -> dict[str, FakeUser]:
    invites = await issue_invites(bench.rt, bot_username="duban_test_bot", keys=keys)
    users = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(first_id + number, invite.name)
        await user.send_text(f"/start {invite.token}")
        await user.wait_message(timeout=10)
        users[invite.person] = user
    return users


async def api(bench: Bench, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(headers=HEADERS) as http,
        http.request(method, bench.base_url + path, json=body) as response,
    ):
        return response.status, await response.json()


def has(*words: str) -> Callable[[BotMessage], bool]:
    return lambda message: all(word in message.plain_text for word in words)


async def report(
    user: FakeUser, ref: str, kind: str, content: str, photo_data: bytes | None = None
) -> None:
    """/report REF → kind → reply with the content → submit."""
    await user.send_text(f"/report {ref}")
    menu = await user.wait_message(has("请选择反馈类型"), timeout=10)
    await user.press(menu, kind)
    prompt = await user.wait_message(has("请回复本消息"), timeout=10)
    if photo_data is None:
        await user.send_text(content, reply_to=prompt)
    else:
        await user.send_photo(photo_data, caption=content, reply_to=prompt)
    preview = await user.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=10)
    await user.press(preview, "✅ 确认提交")
    await user.wait_edit(preview, timeout=10)
    assert "已提交" in preview.plain_text, user.history()


async def confirm_by_head(head: FakeUser) -> None:
    request = await head.wait_message(has("请核签"), timeout=10)
    await head.press(request, "✅ 核签")
    await head.wait_message(has("已核签"), timeout=10)


async def test_the_whole_loop(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 40_000)
    qian, lina, zhangjun = users["qian"], users["lina"], users["zhangjun"]
    caomin, wang = users["caomin"], users["wang"]

    # Registered and dispatched through the API, to a lead unit and a co-unit.
    status, item = await api(
        bench,
        "POST",
        "/api/items",
        {
            "title": "推进校园安全隐患排查整治",
            "body": "全面排查全县中小学校舍安全隐患，建立台账，限期整改。",
            "source": "meeting",
            "class": "general",
            "lead_unit": "edu",
            "co_units": ["health"],
            "leader": "wang",
            "dispatch": True,
        },
    )
    assert status == 201, item
    ref = item["ref"]

    # Both units acknowledge; the notice is edited in place.
    for user in (lina, caomin):
        notice = await user.wait_message(has("交办"), timeout=10)
        await user.press(notice, "✅ 签收")
        edited = await user.wait_edit(notice, timeout=10)
        assert "签收" in edited.plain_text and "已于" in edited.plain_text, edited.plain_text
        assert edited.button_texts == ["📝 反馈", "详情"]
        assert (await user.wait_callback_answer()).text == "已签收。"
    dispatch_notice = lina.messages[-1] if "签收" in lina.messages[-1].plain_text else None
    notice = next(m for m in lina.messages if "已于" in m.plain_text)
    assert dispatch_notice is None or dispatch_notice is notice

    # Plan deployed (研究部署).
    await report(lina, ref, "研究部署", "已召开专题会议，成立工作专班，制定排查方案。")
    await qian.wait_message(has("报送研究部署", "工作专班"), timeout=10)

    # Progress with a 3-photo album, replying to the dispatch notice: ONE report.
    await lina.send_album(
        [photo(1), photo(2), photo(3)], caption="已完成 12 所学校排查", reply_to=notice
    )
    preview = await lina.wait_message(has("照片 3 张"), timeout=10)
    await lina.press(preview, "进展")
    await lina.wait_edit(preview, timeout=10)
    await lina.press(preview, "✅ 确认提交")
    await lina.wait_edit(preview, timeout=10)
    assert "进展已提交" in preview.plain_text, lina.history()
    await qian.wait_message(has("报送进展", "照片 3 张"), timeout=10)
    async with bench.rt.db.session() as session:
        progress = list(await session.scalars(select(Report).where(Report.kind == "progress")))
        assert len(progress) == 1
        files = await session.scalar(
            select(func.count(Attachment.id)).where(Attachment.report_id == progress[0].id)
        )
        assert files == 3

    # A co-unit's feedback stays on the record.
    await report(caomin, ref, "进展", "已安排校医配合排查。")

    # Extension request, approved by the office.
    await report(
        lina, ref, "延期申请", "申请延期至 2026-12-20。计划：12月10日前完成整改，12月20日前验收。"
    )
    ask = await qian.wait_message(has("申请将办结时限延至"), timeout=10)
    await qian.press(ask, "✅ 同意延期")
    await qian.wait_message(has("已同意延期"), timeout=10)
    await lina.wait_message(has("延期申请已同意"), timeout=10)
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert body["due"] == "2026-12-20"

    # Completion → head confirms → office returns with a reason.
    await report(lina, ref, "办结报告", "全部隐患已整改完毕。")
    await confirm_by_head(zhangjun)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "↩️ 退回重办")
    prompt = await qian.wait_message(has("退回理由"), timeout=10)
    await qian.send_text("缺少整改前后对比照片，请补充。", reply_to=prompt)
    await qian.wait_message(has("已退回重办"), timeout=10)
    await lina.wait_message(has("退回办结报告", "对比照片"), timeout=10)

    # Resubmitted with a photo → confirmed → closed, follow-up in 1 month.
    bench.clock.advance(timedelta(days=2))
    await report(lina, ref, "办结报告", "已补充整改前后对比照片。", photo_data=photo(4))
    await confirm_by_head(zhangjun)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=10)
    await qian.press(question, "1个月后")
    await qian.wait_message(has("回头看"), timeout=10)
    await lina.wait_message(has("已对该事项销号"), timeout=10)
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert body["status"] == "closed"
    today = bench.clock.now().astimezone(SHANGHAI).date()
    follow = add_months(today, 1)
    assert body["follow_up_on"] == follow.isoformat()

    # On the follow-up date at 09:00 the office is asked; it reopens for rectification.
    assert not any("今天是回头看日期" in m.plain_text for m in qian.messages)
    bench.clock.set(datetime.combine(follow, datetime.min.time(), SHANGHAI) + timedelta(hours=9))
    bench.rt.wake_outbox()
    check = await qian.wait_message(has("今天是回头看日期"), timeout=10)
    await qian.press(check, "🔁 重新整改")
    prompt = await qian.wait_message(has("整改期限"), timeout=10)
    new_due = follow + timedelta(days=30)
    await qian.send_text(f"{new_due.isoformat()} 前完成：部分隐患出现反弹。", reply_to=prompt)
    await qian.wait_message(has("已重新整改"), timeout=10)
    await lina.wait_message(has("重新整改", "部分隐患出现反弹"), timeout=10)

    # The deputy leader sees it in /items and writes an instruction.
    await wang.send_text("/items")
    listing = await wang.wait_message(has("在办事项"), timeout=10)
    assert "推进校园安全隐患排查整治" in listing.plain_text
    await wang.send_text(f"/item {ref}")
    card = await wang.wait_message(has("状态"), timeout=10)
    await wang.press(card, "✍️ 批示")
    prompt = await wang.wait_message(has("批示内容"), timeout=10)
    await wang.send_text("务必整改到位，举一反三。", reply_to=prompt)
    await wang.wait_message(has("批示已送达"), timeout=10)
    await lina.wait_message(has("王立新 批示", "举一反三"), timeout=10)

    # Closed again after the rectification.
    await report(lina, ref, "办结报告", "整改完成，已建立长效机制。")
    await confirm_by_head(zhangjun)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=10)
    await qian.press(question, "不回头看")
    await qian.wait_message(has("不安排回头看"), timeout=10)

    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert status == 200 and body["status"] == "closed"
    assert all(a["status"] == "completed" for a in body["assignments"])
    kinds = [entry["kind"] for entry in body["timeline"]]
    expected = [
        "dispatched",
        "acknowledged",
        "acknowledged",
        "reported",  # plan
        "reported",  # progress with the album
        "reported",  # co-unit
        "extension_requested",
        "extension_approved",
        "completion_submitted",
        "confirmed",
        "returned",
        "completion_submitted",
        "confirmed",
        "closed",
        "follow_up_set",
        "reopened",
        "instructed",
        "completion_submitted",
        "confirmed",
        "closed",
    ]
    position = 0
    for kind in expected:
        assert kind in kinds[position:], (kind, kinds)
        position = kinds.index(kind, position) + 1
    assert date.fromisoformat(body["due"]) == new_due
