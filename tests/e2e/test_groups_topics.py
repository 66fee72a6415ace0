"""One thread per item: in an office group that is a forum, each item gets its own topic,
named by its code and title, and everything about it goes there (dispatch, reports,
reminders, decisions); a confidential item never does."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.vocabulary import ReportKind
from services import reports
from services.items import Origin, register_item
from services.sweep import run_sweep
from tests.conftest import SHANGHAI, Bench, import_example_county
from tests.e2e.group_helpers import DRAFT, join
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_authority_execution import actor


async def test_an_item_s_topic_collects_its_story(quick_groups: Bench) -> None:
    bench = quick_groups
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhoujian", "lina"])
    qian = users["qian"]
    forum = bench.fake.group(
        -1_600, "督查室工作群", [qian, users["zhoujian"]], supergroup=True, forum=True
    )
    forum.add_bot(qian)
    await forum.wait_message(lambda m: "/bind" in m.plain_text)
    await forum.send_text(qian, "/bind office")
    await forum.wait_message(lambda m: "本群已绑定为" in m.plain_text)

    first = await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    second = replace(DRAFT, title="整治县城背街小巷环境卫生")
    await register_item(bench.rt, Origin(None, via_api=True), second, dispatch=True)
    secret = replace(DRAFT, title="内部核查事项", confidential=True)
    await register_item(bench.rt, Origin(None, via_api=True), secret, dispatch=True)
    lina = await actor(bench.rt, "lina")
    await reports.submit_report(
        bench.rt, lina, first.ref, ReportKind.PROGRESS, "已完成一半学校排查。"
    )
    bench.clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    await run_sweep(bench.rt)  # reminders, and the receipt chase of the second item
    await settle(bench)

    names = sorted(forum.topics.values())
    assert names == [
        "督〔2026〕1号 推进校园安全隐患排查整治",
        "督〔2026〕2号 整治县城背街小巷环境卫生",
    ]
    story = [m.plain_text for m in forum.in_topic("督〔2026〕1号")]
    assert any("交办你单位" in text for text in story)  # the dispatch
    assert any("已完成一半学校排查" in text for text in story)  # the report
    assert any("报送研究部署" in text for text in story)  # the reminder
    assert any("尚未签收" in m.plain_text for m in forum.in_topic("督〔2026〕2号"))  # a chase
    assert not [text for text in story if "督〔2026〕2号" in text]  # nothing of the other item
    assert not [m for m in forum.messages if "内部核查事项" in m.plain_text]
