"""/items, /overdue and /item in chat: scope by role, paging with buttons, lights, the card."""

from __future__ import annotations

from datetime import timedelta

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from tests.conftest import Bench, import_example_county
from tests.e2e.test_whole_loop import has, join_people

API = Origin(None, via_api=True)


async def test_lists_pages_and_card(bench: Bench) -> None:
    rt = bench.rt
    await import_example_county(rt)
    users = await join_people(bench, ["qian", "lina", "chen", "xupeng"], 60_000)
    qian, lina, chen, xupeng = users["qian"], users["lina"], users["chen"], users["xupeng"]
    refs = []
    for number in range(10):
        draft = ItemDraft(
            title=f"教育事项{number + 1}",
            body="",
            source=Source.OTHER,
            time_class=TimeClass.CUSTOM,
            lead_unit="edu",
            due=(rt.clock.now() + timedelta(days=5 + number)).date(),
        )
        refs.append((await register_item(rt, API, draft, dispatch=True)).ref)
    transport = ItemDraft(
        title="交通事项",
        body="",
        source=Source.OTHER,
        time_class=TimeClass.CUSTOM,
        lead_unit="transport",
        due=(rt.clock.now() + timedelta(days=2)).date(),
    )
    transport_ref = (await register_item(rt, API, transport, dispatch=True)).ref

    # The contact sees their unit's 10 items, 8 a page, soonest due first.
    await lina.send_text("/items")
    listing = await lina.wait_message(has("在办事项（10 件）"), timeout=10)
    assert "教育事项1\n" in listing.plain_text and "交通事项" not in listing.plain_text
    assert "教育事项9" not in listing.plain_text and "第 1/2 页" in listing.plain_text
    assert listing.button_texts == ["下一页 ▶"]
    await lina.press(listing, "下一页 ▶")
    await lina.wait_edit(listing, timeout=10)
    assert "教育事项9" in listing.plain_text and "第 2/2 页" in listing.plain_text
    assert listing.button_texts == ["◀ 上一页"]

    # The transport contact and the deputy leader for transport see only the transport item.
    for user in (xupeng, chen):
        await user.send_text("/items")
        listing = await user.wait_message(has("在办事项（1 件）"), timeout=10)
        assert "交通事项" in listing.plain_text and "🟡" in listing.plain_text
    # The office sees all.
    await qian.send_text("/items")
    await qian.wait_message(has("在办事项（11 件）"), timeout=10)

    # Overdue: nothing yet; after 6 days the transport item and the first education item.
    await qian.send_text("/overdue")
    await qian.wait_message(has("没有逾期事项"), timeout=10)
    bench.clock.advance(timedelta(days=6))
    await qian.send_text("/overdue")
    overdue = await qian.wait_message(has("逾期事项（2 件）"), timeout=10)
    assert "🔴" in overdue.plain_text and "交通事项" in overdue.plain_text
    await lina.send_text("/overdue")
    overdue = await lina.wait_message(has("逾期事项（1 件）"), timeout=10)
    assert "教育事项1\n" in overdue.plain_text

    # The card: by command, by the clickable /item_YYYY_N form, and by the details button.
    await lina.send_text(f"/item {refs[0]}")
    card = await lina.wait_message(has("状态"), timeout=10)
    assert "教育事项1" in card.plain_text and "最近记录" in card.plain_text
    assert "交办" in card.plain_text and card.button_texts == ["📝 反馈"]
    await lina.send_text("/item_" + refs[1].replace("-", "_"))
    card = await lina.wait_message(has("教育事项2", "状态"), timeout=10)
    notice = await lina.wait_message(has("教育事项3", "交办"), timeout=10)
    await lina.press(notice, "详情")
    await lina.wait_message(has("教育事项3", "状态"), timeout=10)
    await lina.send_text(f"/item {transport_ref}")
    await lina.wait_message(has("不在您的职责范围内"), timeout=10)


async def test_photo_sent_without_reply_joins_the_open_report(bench: Bench) -> None:
    from tests.e2e.test_whole_loop import photo

    rt = bench.rt
    await import_example_county(rt)
    users = await join_people(bench, ["lina"], 61_000)
    lina = users["lina"]
    draft = ItemDraft(
        title="校园食堂检查",
        body="",
        source=Source.OTHER,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
    )
    ref = (await register_item(rt, API, draft, dispatch=True)).ref
    await lina.send_photo(photo(9))  # no report open: the usual help
    await lina.wait_message(has("/help"), timeout=10)
    await lina.send_text(f"/report {ref}")
    menu = await lina.wait_message(has("请选择反馈类型"), timeout=10)
    await lina.press(menu, "进展")
    await lina.wait_message(has("请回复本消息"), timeout=10)
    await lina.send_photo(photo(10), caption="食堂已整改")  # the reply was not kept
    preview = await lina.wait_message(has("照片 1 张", "食堂已整改"), timeout=10)
    await lina.press(preview, "✅ 确认提交")
    await lina.wait_edit(preview, timeout=10)
    assert "进展已提交" in preview.plain_text
