"""Issue 3's whole 督办 loop in chat, from /new to the second closing, through the fake Bot API.

Create in chat (/new) → two-step approval in chat → dispatch to a lead and a co-unit → both
acknowledge → plan → progress with a 3-photo album (one report) → extension request approved →
completion → head confirms → office returns → resubmit → close → follow-up reopens → close; every
step on ``GET /api/items/{ref}``'s timeline, in order, once; the deputy leader's instruction
(批示) on the reopened item too. Its helpers (joining, the API, reporting in chat) serve the
other end-to-end tests of the loop.
"""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select

from domain.clock import FakeClock
from domain.deadlines import add_months
from services.people import issue_invites
from storage.db import Database
from storage.models import Attachment, Item, Report
from testbench import FakeTelegram, FakeUser
from testbench.models import BotMessage
from tests.conftest import SHANGHAI, Bench, bench_settings, import_example_county, running
from tests.e2e.test_new_item_chat import fill_new_item, press

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


# The office deputy director, then the principal, approve before anything goes out.
POLICY = """
approval:
  steps: [[zhoujian], [zhao]]
"""

PEOPLE = ["wuting", "zhoujian", "zhao", "qian", "lina", "zhangjun", "caomin", "huangwei", "wang"]

# The item's own life; delivery records and the like are on the timeline too but not listed here.
LOOP = [
    ("registered", "wuting"),
    ("submitted_for_approval", "wuting"),
    ("approved", "zhoujian"),
    ("approved", "zhao"),
    ("dispatched", "zhao"),  # the last approval sends it out
    ("acknowledged", "lina"),
    ("acknowledged", "caomin"),
    ("reported", "lina"),  # plan deployed
    ("reported", "lina"),  # progress, the 3-photo album
    ("reported", "caomin"),  # the co-unit's feedback
    ("extension_requested", "lina"),
    ("extension_approved", "qian"),
    ("completion_submitted", "lina"),
    ("confirmed", "zhangjun"),
    ("returned", "qian"),
    ("completion_submitted", "lina"),
    ("confirmed", "zhangjun"),
    ("closed", "qian"),
    ("follow_up_set", "qian"),
    ("reopened", "qian"),
    ("instructed", "wang"),  # the deputy leader's 批示 on the reopened item
    ("completion_submitted", "lina"),
    ("confirmed", "zhangjun"),
    ("closed", "qian"),
]
LOOP_KINDS = {kind for kind, _ in LOOP} | {"returned_draft", "declined", "extension_refused"}


@pytest.fixture
async def approval_bench(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    async with running(settings, clock, fake) as bench:
        yield bench


def loop_events(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["kind"], e["actor"]) for e in body["timeline"] if e["kind"] in LOOP_KINDS]


async def test_the_whole_loop_from_new_in_chat(approval_bench: Bench) -> None:
    bench = approval_bench
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 50_000)
    wuting, zhoujian, zhao, qian = (users[k] for k in ("wuting", "zhoujian", "zhao", "qian"))
    lina, zhangjun, caomin, wang = (users[k] for k in ("lina", "zhangjun", "caomin", "wang"))

    # A supervisor registers it in chat: edu leads, health helps, leader 王立新, due 3 December.
    preview = await fill_new_item(wuting)
    sent = await press(wuting, preview, "✅ 提交")
    assert "已立项并提交审核" in sent.plain_text, sent.plain_text
    async with bench.rt.db.session() as session:
        ref = (await session.scalars(select(Item.ref))).one()
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert status == 200 and body["status"] == "pending_approval", body
    assert body["lead_unit"] == "edu" and body["co_units"] == ["health"], body
    assert loop_events(body) == LOOP[:2]
    assert [len(lina.messages), len(caomin.messages)] == [1, 1]  # the welcome: nothing sent out

    # Approval in chat: step 1 the office deputy director, step 2 the principal.
    ask = await zhoujian.wait_message(has("待您审核（第 1 步，共 2 步）"), timeout=10)
    assert "推进校园安全隐患排查整治" in ask.plain_text
    assert "您已审核通过" in (await press(zhoujian, ask, "✅ 审核通过")).plain_text
    final = await zhao.wait_message(has("待您审核（第 2 步，共 2 步）"), timeout=10)
    await press(zhao, final, "✅ 审核通过")
    told = await wuting.wait_message(has("已审核通过并交办"), timeout=10)
    assert "督〔2026〕1号" in told.plain_text

    # Dispatched to both units; both acknowledge and the notice is edited in place.
    notices = {}
    for user, role in ((lina, "牵头单位"), (caomin, "配合单位")):
        notice = await user.wait_message(has("督〔2026〕1号", "交办"), timeout=10)
        assert role in notice.plain_text, notice.plain_text
        await user.press(notice, "✅ 签收")
        edited = await user.wait_edit(notice, timeout=10)
        assert "已于" in edited.plain_text and edited.button_texts == ["📝 反馈", "详情"]
        assert (await user.wait_callback_answer()).text == "已签收。"
        assert sum("已于" in m.plain_text for m in user.messages) == 1  # edited, not sent anew
        notices[user] = edited
    await zhangjun.wait_message(has("督〔2026〕1号"), timeout=10)  # the head's copy
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert loop_events(body) == LOOP[:7]
    assert all(a["acknowledged_at"] for a in body["assignments"])

    # Plan deployed (研究部署).
    await report(lina, ref, "研究部署", "已召开专题会议，成立工作专班，制定排查方案。")
    await qian.wait_message(has("报送研究部署", "工作专班"), timeout=10)

    # Progress: a 3-photo album replying to the dispatch notice is ONE report with 3 files.
    await lina.send_album(
        [photo(11), photo(12), photo(13)], caption="已完成 12 所学校排查", reply_to=notices[lina]
    )
    album = await lina.wait_message(has("照片 3 张"), timeout=10)
    await lina.press(album, "进展")
    await lina.wait_edit(album, timeout=10)
    await lina.press(album, "✅ 确认提交")
    await lina.wait_edit(album, timeout=10)
    assert "进展已提交" in album.plain_text, lina.history()
    await qian.wait_message(has("报送进展", "照片 3 张"), timeout=10)
    async with bench.rt.db.session() as session:
        progress = list(await session.scalars(select(Report).where(Report.kind == "progress")))
        assert len(progress) == 1
        files = await session.scalar(
            select(func.count(Attachment.id)).where(Attachment.report_id == progress[0].id)
        )
        assert files == 3

    # The co-unit's own feedback stays on the record.
    await report(caomin, ref, "进展", "已安排校医配合排查。")
    await qian.wait_message(has("报送进展", "校医"), timeout=10)

    # Extension request, approved by the office: the deadline moves.
    await report(
        lina, ref, "延期申请", "申请延期至 2026-12-20。计划：12月10日前完成整改，12月20日前验收。"
    )
    ask = await qian.wait_message(has("申请将办结时限延至"), timeout=10)
    await qian.press(ask, "✅ 同意延期")
    await qian.wait_message(has("已同意延期"), timeout=10)
    await lina.wait_message(has("延期申请已同意"), timeout=10)
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert body["due"] == "2026-12-20"

    # Completion → the head confirms (核签) → the office returns it with a reason (退回).
    await report(lina, ref, "办结报告", "全部隐患已整改完毕。")
    await confirm_by_head(zhangjun)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "↩️ 退回重办")
    prompt = await qian.wait_message(has("退回理由"), timeout=10)
    await qian.send_text("缺少整改前后对比照片，请补充。", reply_to=prompt)
    await qian.wait_message(has("已退回重办"), timeout=10)
    await lina.wait_message(has("退回办结报告", "对比照片"), timeout=10)
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert body["status"] == "in_progress", body["status"]

    # Resubmitted with a photo → confirmed → closed (销号), follow-up in a month.
    bench.clock.advance(timedelta(days=2))
    await report(lina, ref, "办结报告", "已补充整改前后对比照片。", photo_data=photo(14))
    await confirm_by_head(zhangjun)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=10)
    await qian.press(question, "1个月后")
    await lina.wait_message(has("已对该事项销号"), timeout=10)
    # The office's own confirmation comes after the follow-up date is stored.
    await qian.wait_message(has("已安排", "回头看"), timeout=10)
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert body["status"] == "closed"
    follow = add_months(bench.clock.now().astimezone(SHANGHAI).date(), 1)
    assert body["follow_up_on"] == follow.isoformat()

    # On the follow-up date (回头看) the office is asked and reopens it for rectification (整改).
    assert not any("今天是回头看日期" in m.plain_text for m in qian.messages)  # not before
    bench.clock.set(datetime.combine(follow, datetime.min.time(), SHANGHAI) + timedelta(hours=9))
    bench.rt.wake_outbox()
    check = await qian.wait_message(has("今天是回头看日期"), timeout=10)
    await qian.press(check, "🔁 重新整改")
    prompt = await qian.wait_message(has("整改期限"), timeout=10)
    new_due = follow + timedelta(days=30)
    await qian.send_text(f"{new_due.isoformat()} 前完成：部分隐患出现反弹。", reply_to=prompt)
    await qian.wait_message(has("已重新整改"), timeout=10)
    await lina.wait_message(has("重新整改", "部分隐患出现反弹"), timeout=10)
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert body["status"] == "in_progress" and body["due"] == new_due.isoformat()

    # The deputy leader finds it in /items and writes an instruction (批示) on its card.
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

    # Closed again after the rectification, no further follow-up.
    await report(lina, ref, "办结报告", "整改完成，已建立长效机制。")
    await confirm_by_head(zhangjun)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=10)
    await qian.press(question, "不回头看")
    await qian.wait_message(has("不安排回头看"), timeout=10)

    # Every step, in order, exactly once, on the API's timeline.
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert status == 200 and body["status"] == "closed" and body["follow_up_on"] is None
    assert body["due"] == new_due.isoformat()
    assert all(a["status"] == "completed" for a in body["assignments"]), body["assignments"]
    assert loop_events(body) == LOOP
    reported = [e["detail"] for e in body["timeline"] if e["kind"] == "reported"]
    assert "工作专班" in reported[0] and "12 所学校" in reported[1] and "校医" in reported[2]
    # The report's kind and its files are on the API's timeline too.
    shown = [
        (e["data"]["kind"], e["data"]["files"]) for e in body["timeline"] if e["kind"] == "reported"
    ]
    assert shown[:2] == [("plan", 0), ("progress", 3)]
    assert [e["unit"] for e in body["timeline"] if e["kind"] == "acknowledged"] == [
        "县教育局",
        "县卫生健康局",
    ]
    times = [e["at"] for e in body["timeline"]]
    assert times == sorted(times, key=datetime.fromisoformat)


async def test_an_item_registered_through_the_api_reaches_the_units_in_chat(bench: Bench) -> None:
    """``POST /api/items`` with ``"dispatch": true``: both units are told in chat and sign for it
    on the notice itself."""
    await import_example_county(bench.rt)
    users = await join_people(bench, ["qian", "lina", "caomin"], 40_000)
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
    for user in (users["lina"], users["caomin"]):
        notice = await user.wait_message(has("交办"), timeout=10)
        await user.press(notice, "✅ 签收")
        edited = await user.wait_edit(notice, timeout=10)
        assert "签收" in edited.plain_text and "已于" in edited.plain_text, edited.plain_text
        assert edited.button_texts == ["📝 反馈", "详情"]
        assert (await user.wait_callback_answer()).text == "已签收。"
        assert sum("已于" in m.plain_text for m in user.messages) == 1
    status, body = await api(bench, "GET", f"/api/items/{item['ref']}")
    kinds = [e["kind"] for e in body["timeline"]]
    position = 0
    for kind in ("registered", "dispatched", "acknowledged", "acknowledged"):
        assert kind in kinds[position:], (kind, kinds)
        position = kinds.index(kind, position) + 1
