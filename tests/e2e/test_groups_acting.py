"""Acting from work groups: the dispatch lands in the unit's group (and the contact keeps a
private copy), a colleague acknowledges for the unit and the group's message says who did it;
a stranger, or someone of another unit, gets an alert and nothing changes."""

from __future__ import annotations

from sqlalchemy import select

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from storage.models import Assignment
from tests.conftest import Bench, import_example_county
from tests.e2e.group_helpers import bound_group, join


async def dispatch(bench: Bench) -> None:
    draft = ItemDraft(
        title="推进校园安全隐患排查整治",
        body="全面排查全县中小学校舍安全隐患。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
    )
    await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)


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
