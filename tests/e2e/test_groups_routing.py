"""What goes to which work group (policy defaults): the weekly bulletin to the leaders' group
and not also to each leader; a delivery failure to the office's group and not also to each
supervisor; a confidential item never to a group; the bot removed from a group: its traffic
falls back to private messages and the office is told."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from domain.vocabulary import ReportKind
from services import reports, work_groups
from services.bulletin import send_weekly_bulletin
from services.items import Origin, register_item
from services.sweep import run_sweep
from storage.models import TimelineEvent
from tests.conftest import SHANGHAI, Bench, import_example_county
from tests.e2e.group_helpers import DRAFT, bound_group, join
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_authority_execution import actor


async def test_the_bulletin_goes_to_the_leaders_group_only(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhao", "wang"])
    group = await bound_group(
        bench,
        -800,
        "领导群",
        [users["zhao"], users["wang"], users["qian"]],
        users["qian"],
        "leaders",
    )
    run = await send_weekly_bulletin(bench.rt, force=True)
    assert run.queued == 0  # nobody privately
    bench.rt.wake_outbox()
    text = await group.wait_message(lambda m: not m.is_photo and "通报" in m.plain_text, timeout=10)
    chart = await group.wait_message(lambda m: m.is_photo, timeout=10)
    assert text.plain_text and chart.is_photo
    for key in ("zhao", "wang"):
        assert not [m for m in users[key].messages if m.is_photo or "通报" in m.plain_text]


async def test_a_delivery_failure_goes_to_the_office_group(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhoujian", "lina"])
    office = await bound_group(
        bench, -900, "督查室群", [users["qian"], users["zhoujian"]], users["qian"], "office"
    )
    bench.fake.fail(
        "sendMessage",
        status=400,
        description="Bad Request: message is too long",
        chat_id=users["lina"].chat_id,
    )
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    # The group's 20 a minute is shared by the bot's answers there (the binding) and the
    # outbox's alerts: the fifth message of the group comes about 12 s after the first.
    alert = await office.wait_message(lambda m: "李娜" in m.plain_text, timeout=40)
    assert "督〔2026〕1号" in alert.plain_text
    for key in ("qian", "zhoujian"):
        assert not [m for m in users[key].messages if "李娜" in m.plain_text]


async def test_a_confidential_item_never_goes_to_a_group(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["zhangjun", "lina"])
    group = await bound_group(
        bench, -1000, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    secret = replace(DRAFT, title="内部事项", confidential=True)
    await register_item(bench.rt, Origin(None, via_api=True), secret, dispatch=True)
    await users["lina"].wait_message(lambda m: "内部事项" in m.plain_text, timeout=10)
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    await group.wait_message(lambda m: "督〔2026〕2号" in m.plain_text, timeout=10)
    assert not [m for m in group.messages if "内部事项" in m.plain_text]


async def test_the_bot_removed_falls_back_to_private_and_tells_the_office(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhangjun", "lina"])
    group = await bound_group(
        bench, -1100, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    group.remove_bot(users["zhangjun"])
    told = await users["qian"].wait_message(lambda m: "移出" in m.plain_text, timeout=10)
    assert "教育局群" in told.plain_text and "县教育局工作群" in told.plain_text
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    await users["lina"].wait_message(lambda m: "督〔2026〕1号" in m.plain_text, timeout=10)
    assert not [m for m in group.messages if "督〔2026〕1号" in m.plain_text]


async def test_an_extension_request_is_decided_in_the_office_group(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhoujian", "lina"])
    qian, zhoujian = users["qian"], users["zhoujian"]
    office = await bound_group(bench, -1200, "督查室群", [qian, zhoujian], qian, "office")
    view = await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    lina = await actor(bench.rt, "lina")
    await reports.submit_report(
        bench.rt, lina, view.ref, ReportKind.EXTENSION, "申请延期至 2027-01-20，计划如下"
    )
    request = await office.wait_message(
        lambda m: "同意延期" in " ".join(m.button_texts), timeout=10
    )
    assert not [m for m in qian.messages + zhoujian.messages if "延期" in m.plain_text]
    await office.press(qian, request, "✅ 同意延期")
    assert "已同意延期" in ((await qian.wait_callback_answer(timeout=10)).text or "")
    done = await office.wait_edit(request)
    assert "已由钱丽华处理" in done.plain_text and not done.button_texts


async def test_chases_reminders_and_urging_land_in_the_unit_group(quick_groups: Bench) -> None:
    bench = quick_groups
    await import_example_county(bench.rt)
    users = await join(bench, ["zhangjun", "lina", "wang"])
    group = await bound_group(
        bench, -1300, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    notice = await group.wait_message(lambda m: "督〔2026〕1号" in m.plain_text, timeout=10)
    seen = {m.message_id for m in group.messages}

    async def sweep_to(moment: datetime) -> list[str]:
        bench.clock.set(moment)
        await run_sweep(bench.rt)
        await settle(bench)
        new = [m for m in group.messages if m.message_id not in seen]
        seen.update(m.message_id for m in new)
        return [m.plain_text for m in new]

    chased = await sweep_to(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    assert any("尚未签收" in text for text in chased), chased
    assert any("尚未签收" in m.plain_text for m in users["lina"].messages)  # private copy too
    await group.press(users["lina"], notice, "✅ 签收")
    await users["lina"].wait_callback_answer()
    reminded = await sweep_to(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    assert reminded, "the group is reminded before the dates"
    urged = await sweep_to(datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI))
    assert any("催〔2026〕" in text for text in urged), urged  # the written urging notice
    async with bench.rt.db.session() as session:
        events = list(await session.scalars(select(TimelineEvent.data)))
    assert any((data or {}).get("groups") for data in events)  # the timeline names the group


async def test_a_group_upgraded_mid_way_loses_nothing(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["zhangjun", "lina"])
    group = await bound_group(
        bench, -1400, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    group.migrate(-1_001_400, announce=False)  # the bot only learns it when sending
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    notice = await group.wait_message(lambda m: "督〔2026〕1号" in m.plain_text, timeout=10)
    assert notice.chat_id == -1_001_400
    moved = await work_groups.group_of_chat(bench.rt, -1_001_400)
    assert moved is not None and not moved.broken


async def test_a_send_refused_in_a_group_falls_back_to_private(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhangjun", "lina"])
    group = await bound_group(
        bench, -1500, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    bench.fake.fail(
        "sendMessage",
        status=403,
        description="Forbidden: bot was kicked from the group chat",
        chat_id=group.chat_id,
    )
    await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    # the unit's people get the group's message privately (buttons and all), besides their own
    fallback = await users["zhangjun"].wait_message(
        lambda m: "1号" in m.plain_text and "✅ 签收" in m.button_texts, timeout=10
    )
    assert "交办你单位" in fallback.plain_text
    await users["qian"].wait_message(lambda m: "移出" in m.plain_text, timeout=10)
    broken = await work_groups.group_of_chat(bench.rt, group.chat_id)
    assert broken is not None and broken.broken
