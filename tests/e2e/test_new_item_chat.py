"""/new in chat through the fake Bot API: the conversation, approval, load control, authority."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.clock import FakeClock
from domain.vocabulary import ItemStatus
from services.people import issue_invites
from services.views import load_item, timeline
from storage.db import Database
from storage.models import Item
from testbench import FakeTelegram, FakeUser
from testbench.models import BotMessage
from tests.conftest import Bench, bench_settings, import_example_county, running

# What happened to the item itself (people who never joined show up as unreachable too).
ITEM_EVENTS = {"registered", "submitted_for_approval", "approved", "returned_draft", "dispatched"}


async def join(bench: Bench, keys: list[str]) -> dict[str, FakeUser]:
    invites = await issue_invites(bench.rt, bot_username="duban_test_bot", keys=keys)
    users = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(30_000 + number, invite.name)
        await user.send_text(f"/start {invite.token}")
        await user.wait_message()
        users[invite.person] = user
    return users


async def press(user: FakeUser, message: BotMessage, button: str) -> BotMessage:
    await user.press(message, button)
    return await user.wait_edit(message)


async def item_count(bench: Bench) -> int:
    async with bench.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Item)) or 0)


async def fill_new_item(
    user: FakeUser, title: str = "推进校园安全隐患排查整治", *, due: str | None = None
) -> BotMessage:
    """Walk /new up to the preview: edu leads, health helps, the default leader."""
    # (each answer picked by its words: a notice paced into the same chat may come between)
    await user.send_text("/new")
    await user.wait_message(lambda m: "第 1 步" in m.plain_text)
    await user.send_text(title)
    await user.wait_message(lambda m: "第 2 步" in m.plain_text)
    await user.send_text("全面排查全县中小学校舍安全隐患，建立台账，限期整改。")
    sources = await user.wait_message(lambda m: "会议议定事项" in m.button_texts)
    assert "会议议定事项" in sources.button_texts
    classes = await press(user, sources, "会议议定事项")
    assert "第 4 步" in classes.plain_text
    units = await press(user, classes, "一般事项")
    assert "第 5 步" in units.plain_text and "县教育局" in units.button_texts
    await user.send_text("教育")  # search by part of a name
    found = await user.wait_message()
    assert "县教育局" in found.button_texts and "县卫生健康局" not in found.button_texts
    co_units = await press(user, found, "县教育局")
    assert "第 6 步" in co_units.plain_text and "县教育局" not in co_units.button_texts
    assert "无配合单位" in co_units.button_texts
    page_two = await press(user, co_units, "下一页 ▶️")
    assert page_two.button_texts[0] == "县生态环境分局"
    page_one = await press(user, page_two, "◀️ 上一页")
    chosen = await press(user, page_one, "县卫生健康局")
    assert "☑️ 县卫生健康局" in chosen.button_texts and "已选：县卫生健康局" in chosen.plain_text
    leaders = await press(user, chosen, "完成")
    assert leaders.button_texts[0] == "王立新（牵头单位分管领导）"
    due_step = await press(user, leaders, "王立新（牵头单位分管领导）")
    assert "2026年12月3日" in due_step.plain_text  # general: 10 days from 23 November
    if due is None:
        return await press(user, due_step, "采用此时限")
    await user.send_text("下周五吧")
    assert "这不是日期" in (await user.wait_message()).plain_text
    await user.send_text(due)
    return await user.wait_message()


async def test_supervisor_registers_and_units_receive_it(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "lina", "caomin", "zhangjun"])
    wuting = users["wuting"]
    preview = await fill_new_item(wuting, due="12月31日")
    text = preview.plain_text
    assert "请核对事项后提交" in text and "推进校园安全隐患排查整治" in text
    assert "牵头单位：县教育局" in text and "配合单位：县卫生健康局" in text
    assert "分管领导：王立新" in text and "2026年12月31日" in text
    done = await press(wuting, preview, "✅ 提交")
    assert (
        done.plain_text == "督〔2026〕1号 推进校园安全隐患排查整治 已交办：县教育局、县卫生健康局。"
    )
    notice = await users["lina"].wait_message(timeout=10)
    assert notice.plain_text.startswith("🟢 督〔2026〕1号 推进校园安全隐患排查整治")
    assert notice.button_texts == ["✅ 签收", "详情"]
    co = await users["caomin"].wait_message(timeout=10)
    assert "配合单位" in co.plain_text
    assert (await users["zhangjun"].wait_message(timeout=10)).button_texts == ["详情"]
    async with bench.rt.db.session() as session:
        view = await load_item(session, "2026-1", bench.clock.now(), bench.rt.policy)
        kinds = [e.kind for e in await timeline(session, view.id) if e.kind in ITEM_EVENTS]
    assert view.due is not None and view.due.isoformat() == "2026-12-31"
    assert view.leader is not None and view.leader.key == "wang"
    assert kinds == ["registered", "dispatched"]


async def test_cancel_stale_buttons_and_refusals(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "lina"])
    wuting, lina = users["wuting"], users["lina"]
    await lina.send_text("/new")
    assert "只有督查室可以立项" in (await lina.wait_message()).plain_text

    await wuting.send_text("/new")
    await wuting.wait_message()
    await wuting.send_text("第一稿")
    await wuting.wait_message()
    await wuting.send_text("内容")
    old_sources = await wuting.wait_message()
    await wuting.send_text("/cancel")
    assert "已取消立项" in (await wuting.wait_message()).plain_text
    await wuting.press(old_sources, "会议议定事项")  # no conversation any more
    answer = await wuting.wait_callback_answer()
    assert answer.show_alert and answer.text is not None

    await wuting.send_text("/new")
    await wuting.wait_message()
    await wuting.send_text("第二稿")
    await wuting.wait_message()
    await wuting.send_text("内容")
    sources = await wuting.wait_message()
    await wuting.press(old_sources, "上级交办")  # an older conversation's message
    stale = await wuting.wait_callback_answer()
    assert stale.text == "此按钮属于之前的消息，请使用最新的消息。"
    await wuting.press_data(sources, "new:ldr:zhao")  # forged: not this step's button
    assert (await wuting.wait_callback_answer()).show_alert
    await wuting.press_data(sources, "new:src:nonsense")  # forged value: nothing happens
    classes = await press(wuting, sources, "上级交办")
    assert "第 4 步" in classes.plain_text
    cancelled = await press(wuting, classes, "✖️ 取消")
    assert "已取消立项" in cancelled.plain_text
    assert await item_count(bench) == 0


async def test_custom_class_needs_a_typed_date(bench: Bench) -> None:
    await import_example_county(bench.rt)
    wuting = (await join(bench, ["wuting"]))["wuting"]
    await wuting.send_text("/new")
    await wuting.wait_message()
    await wuting.send_text("自定时限事项")
    await wuting.wait_message()
    await wuting.send_text("内容")
    sources = await wuting.wait_message()
    classes = await press(wuting, sources, "其他")
    units = await press(wuting, classes, "自定时限")
    co = await press(wuting, units, "县农业农村局")
    leaders = await press(wuting, co, "无配合单位")
    due = await press(wuting, leaders, "刘海燕（牵头单位分管领导）")
    assert "没有固定时限" in due.plain_text and "采用此时限" not in due.button_texts
    await wuting.send_text("2026-01-05")
    assert "不能早于今天" in (await wuting.wait_message()).plain_text
    await wuting.send_text("2027-03-01")
    preview = await wuting.wait_message()
    done = await press(wuting, preview, "✅ 提交")
    assert "已交办：县农业农村局" in done.plain_text
    async with bench.rt.db.session() as session:
        view = await load_item(session, "2026-1", bench.clock.now(), bench.rt.policy)
    assert view.due is not None and view.due.isoformat() == "2027-03-01"


# --- approval with a policy that needs it -----------------------------------------------------

ONLY_OFFICE = "只有督查室可以进行此操作。"
APPROVAL_POLICY = """
approval:
  steps: [[zhoujian], [zhao]]
load:
  open_items_per_unit: 1
"""


@pytest.fixture
async def approval_bench(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(APPROVAL_POLICY, encoding="utf-8")
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    async with running(settings, clock, fake) as bench:
        yield bench


async def test_approval_return_resubmit_and_load_warning(approval_bench: Bench) -> None:
    bench = approval_bench
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "zhoujian", "zhao", "qian", "lina", "wang"])
    wuting, zhoujian, zhao = users["wuting"], users["zhoujian"], users["zhao"]
    preview = await fill_new_item(wuting)
    sent = await press(wuting, preview, "✅ 提交")
    assert "已立项并提交审核" in sent.plain_text

    ask = await zhoujian.wait_message(timeout=10)
    assert "待您审核（第 1 步，共 2 步）" in ask.plain_text and "立项人：吴婷" in ask.plain_text
    assert ask.button_texts == ["✅ 审核通过", "↩️ 退回"]
    # Someone else pressing the approver's buttons (forged into their own chat) is refused.
    await users["wang"].send_text("/help")
    help_message = await users["wang"].wait_message()
    await users["wang"].press_data(help_message, ask.callback_data[0])
    refused = await users["wang"].wait_callback_answer()
    assert refused.text == "您不是这一步的审核人。"

    # Return with a reason.
    await zhoujian.press(ask, "↩️ 退回")
    assert (await zhoujian.wait_callback_answer()).text is None
    assert "请发送退回" in (await zhoujian.wait_message()).plain_text
    await zhoujian.send_text("请补充整改时限")
    assert "已连同您的理由退回立项人" in (await zhoujian.wait_message()).plain_text
    returned = await wuting.wait_message(lambda m: "退回" in m.plain_text, timeout=10)
    assert "理由：请补充整改时限" in returned.plain_text
    await zhoujian.press(ask, "✅ 审核通过")  # the old button: already decided
    assert (await zhoujian.wait_callback_answer()).text == "此事已处理，未作任何更改。"

    again = await press(wuting, returned, "重新提交")
    assert "已重新提交审核" in again.plain_text
    ask2 = await zhoujian.wait_message(lambda m: "待您审核" in m.plain_text, timeout=10)
    approved = await press(zhoujian, ask2, "✅ 审核通过")
    assert "您已审核通过" in approved.plain_text
    final = await zhao.wait_message(lambda m: "第 2 步" in m.plain_text, timeout=10)
    await press(zhao, final, "✅ 审核通过")
    told = await wuting.wait_message(lambda m: "已审核通过并交办" in m.plain_text, timeout=10)
    assert "督〔2026〕1号" in told.plain_text
    assert "督〔2026〕1号" in (await users["lina"].wait_message(timeout=10)).plain_text

    # A second item to the same unit: load control (policy: 1 open item per unit) holds it.
    preview = await fill_new_item(wuting, "校园周边交通安全整治")
    await press(wuting, preview, "✅ 提交")
    ask3 = await zhoujian.wait_message(lambda m: "校园周边" in m.plain_text, timeout=10)
    await press(zhoujian, ask3, "✅ 审核通过")
    ask4 = await zhao.wait_message(lambda m: "校园周边" in m.plain_text, timeout=10)
    await press(zhao, ask4, "✅ 审核通过")
    warning = await wuting.wait_message(lambda m: "基层减负" in m.plain_text, timeout=10)
    assert "县教育局 已有 1 件在办事项" in warning.plain_text
    await users["lina"].send_text("/help")
    lina_help = await users["lina"].wait_message(lambda m: "您可以" in m.plain_text)
    await users["lina"].press_data(lina_help, warning.callback_data[0])
    assert (await users["lina"].wait_callback_answer()).text == ONLY_OFFICE
    out = await press(wuting, warning, "仍然交办")
    assert "已交办" in out.plain_text
    dispatched = await users["lina"].wait_message(lambda m: "校园周边" in m.plain_text, timeout=10)
    assert dispatched.document is None  # the notice; its dispatch sheet follows as a file
    async with bench.rt.db.session() as session:
        view = await load_item(session, "2026-2", bench.clock.now(), bench.rt.policy)
        kinds = [e.kind for e in await timeline(session, view.id) if e.kind in ITEM_EVENTS]
    assert view.status is ItemStatus.DISPATCHED
    assert kinds == [
        "registered",
        "submitted_for_approval",
        "approved",
        "approved",
        "dispatched",
    ]
