"""Registering and dispatching through the service reaches the units' chats via the outbox."""

from __future__ import annotations

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.people import issue_invites
from tests.conftest import Bench, import_example_county


async def join(bench: Bench, keys: list[str]) -> dict[str, object]:
    invites = await issue_invites(bench.rt, bot_username="duban_test_bot", keys=keys)
    users = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(20_000 + number, invite.name)
        await user.send_text(f"/start {invite.token}")
        await user.wait_message()
        users[invite.person] = user
    return users


async def test_dispatch_reaches_contacts_and_head(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["lina", "zhangjun", "caomin"])
    draft = ItemDraft(
        title="推进校园安全隐患排查整治",
        body="全面排查全县中小学校舍安全隐患，建立台账，限期整改。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        co_units=("health",),
    )
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    assert view.code == "督〔2026〕1号" and view.ref == "2026-1"
    lina = users["lina"]
    notice = await lina.wait_message(timeout=10)  # type: ignore[attr-defined]
    assert notice.plain_text.startswith("🟢 督〔2026〕1号 推进校园安全隐患排查整治")
    assert "牵头单位" in notice.plain_text
    assert notice.button_texts == ["✅ 签收", "详情"]
    # Dispatched on 23 November: each step of a general item by its date from the policy
    # (receipt and plan in 1 day, first feedback in 7, resolved in 10), not "within 1 day".
    assert (
        "请于11月24日前签收、研究部署，11月30日前反馈办理情况，12月3日前办结。" in notice.plain_text
    )
    assert "请用 /report 2026-1 反馈。" in notice.plain_text
    head = await users["zhangjun"].wait_message(timeout=10)  # type: ignore[attr-defined]
    assert head.button_texts == ["详情"]
    co = await users["caomin"].wait_message(timeout=10)  # type: ignore[attr-defined]
    assert "配合单位" in co.plain_text


async def test_a_routine_item_s_notice_names_only_the_receipt(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["lina"])
    draft = ItemDraft(
        title="每月报送安全生产检查情况",
        body="",
        source=Source.OTHER,
        time_class=TimeClass.ROUTINE,
        lead_unit="edu",
    )
    await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    notice = await users["lina"].wait_message(timeout=10)  # type: ignore[attr-defined]
    assert "请于11月24日前签收。" in notice.plain_text
    assert "办结" not in notice.plain_text.split("请于")[1]
