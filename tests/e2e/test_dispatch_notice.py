"""Registering and dispatching through the service reaches the units' chats via the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from domain.clock import FakeClock
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.people import issue_invites
from storage.db import Database
from testbench import FakeTelegram
from tests.conftest import Bench, bench_settings, import_example_county, running


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


async def dispatch_one(bench: Bench, time_class: TimeClass, title: str) -> str:
    """The notice the lead unit's contact (lina) gets for an item of ``time_class``."""
    await import_example_county(bench.rt)
    users = await join(bench, ["lina"])
    draft = ItemDraft(
        title=title, body="", source=Source.OTHER, time_class=time_class, lead_unit="edu"
    )
    await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    notice = await users["lina"].wait_message(timeout=10)  # type: ignore[attr-defined]
    text: str = notice.plain_text
    return text


async def test_a_routine_item_s_notice_names_the_receipt_and_the_monthly_report(
    bench: Bench,
) -> None:
    text = await dispatch_one(bench, TimeClass.ROUTINE, "每月报送安全生产检查情况")
    # Open-ended: no due date, but a report every month by the policy's day (25).
    assert "请于11月24日前签收，每月25日前报送办理情况。" in text
    assert "办结" not in text.split("请于")[1]


async def test_an_annual_item_s_notice_names_the_quarterly_report_dates(bench: Bench) -> None:
    text = await dispatch_one(bench, TimeClass.ANNUAL, "全年完成农村公路建设任务")
    assert (
        "请于11月24日前签收，12月31日前办结，"
        "每年1月15日、4月15日、7月15日、10月15日前报告上一季度工作进展情况。"
    ) in text


async def test_a_proposal_s_notice_names_the_answer_and_the_report_after_it(
    bench: Bench,
) -> None:
    text = await dispatch_one(bench, TimeClass.PROPOSAL, "关于加强农村饮水安全的建议")
    # Answered within 3 months (resolve), reported on within 20 days after (reports.days).
    assert (
        "请于11月24日前签收，2月23日前答复建议提案人，答复后20日内向交办单位报告办理情况。"
    ) in text


@pytest.fixture
async def monthly_on_10th(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    """The bench with a policy whose routine items report by the 10th and whose proposals
    count working days."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        yaml.safe_dump(
            {
                "classes": {
                    "routine": {"reports": {"every": "month", "day": 10}},
                    "proposal": {"working_days": True},
                }
            }
        ),
        encoding="utf-8",
    )
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    async with running(settings, clock, fake) as started:
        yield started


async def test_the_notice_follows_the_policy_s_report_rules(monthly_on_10th: Bench) -> None:
    text = await dispatch_one(monthly_on_10th, TimeClass.ROUTINE, "每月报送安全生产检查情况")
    assert "请于11月24日前签收，每月10日前报送办理情况。" in text


async def test_a_proposal_counting_working_days_says_so(monthly_on_10th: Bench) -> None:
    text = await dispatch_one(monthly_on_10th, TimeClass.PROPOSAL, "关于加强农村饮水安全的建议")
    assert "答复后20个工作日内向交办单位报告办理情况。" in text
