"""The ladder's level-1 message carries an instruct button (批示); pressing it runs the
leaders' instruction flow: the text reaches the unit's contact and head and the timeline."""

from __future__ import annotations

from datetime import timedelta

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep
from services.views import load_item, timeline
from tests.conftest import Bench, import_example_county
from tests.e2e.test_whole_loop import has, join_people
from tests.security.test_web_security import jpeg


async def test_level_one_instruct_button(bench: Bench) -> None:
    rt = bench.rt
    await import_example_county(rt)
    users = await join_people(bench, ["wang", "lina", "zhangjun", "qian"], 70_000)
    wang, lina, zhangjun = users["wang"], users["lina"], users["zhangjun"]
    draft = ItemDraft(
        title="清理学校周边占道经营",
        body="",
        source=Source.OTHER,
        time_class=TimeClass.CUSTOM,
        lead_unit="edu",
        due=(rt.clock.now() + timedelta(days=1)).date(),
    )
    view = await register_item(rt, Origin(None, via_api=True), draft, dispatch=True)
    bench.clock.advance(timedelta(days=2, hours=1))  # overdue, in working hours
    await run_sweep(rt)
    rt.wake_outbox()
    urge = await wang.wait_message(lambda m: "✍️ 批示" in m.button_texts, timeout=10)
    await wang.press(urge, "✍️ 批示")
    prompt = await wang.wait_message(has("批示内容"), timeout=10)
    # A photo is no instruction: the leader is asked for words, and nothing is recorded.
    await wang.send_photo(jpeg(), reply_to=prompt)
    await wang.wait_message(has("请用文字回复这条提问"), timeout=10)
    await wang.send_text("立即组织清理，三日内报结果。", reply_to=prompt)
    await wang.wait_message(has("批示已送达"), timeout=10)
    for user in (lina, zhangjun):
        await user.wait_message(has("王立新 批示", "三日内报结果"), timeout=10)
    async with rt.db.session() as session:
        item = await load_item(session, view.ref, rt.clock.now(), rt.policy)
        entries = await timeline(session, item.id)
    instructions = [e.detail for e in entries if e.kind == "instructed"]
    assert instructions == ["立即组织清理，三日内报结果。"]
