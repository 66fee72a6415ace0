"""Conversations survive another instance or a restart: /new, the return reason, the triage
reason live in the database; complaint conversations too, sealed under a keyed hash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.clock import FakeClock
from domain.vocabulary import ComplaintStatus
from services.runtime import Runtime
from services.views import load_item, timeline
from storage.db import Database
from storage.models import ChatConversation, Complaint, Item, SealedDraft
from testbench import FakeTelegram
from tests.conftest import import_example_county
from tests.e2e.instances import Instances, running_instances
from tests.e2e.test_complaints_chat import file, has_text
from tests.e2e.test_new_item_chat import APPROVAL_POLICY, fill_new_item, join, press


@pytest.fixture
async def two(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Instances]:
    async with running_instances(
        2, database_url=database_url, clock=clock, fake=fake, tmp_path=tmp_path
    ) as instances:
        await import_example_county(instances[0].rt)
        yield instances


async def count(rt: Runtime, model: type[Item | ChatConversation | SealedDraft]) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_new_item_steps_alternate_between_two_instances(two: Instances) -> None:
    users = await join(two.bench(0), ["wuting", "lina"])
    wuting = users["wuting"]
    start = len(two.balancer.handled)
    preview = await fill_new_item(wuting, due="12月31日")  # every update on the other instance
    assert "请核对事项后提交" in preview.plain_text and "牵头单位：县教育局" in preview.plain_text
    assert "配合单位：县卫生健康局" in preview.plain_text
    steps = two.balancer.handled[start:]
    assert len(steps) > 10 and all(a != b for a, b in pairwise(steps))
    assert await count(two[0].rt, ChatConversation) == 1
    submit_data = preview.callback_data[0]
    done = await press(wuting, preview, "✅ 提交")
    assert done.plain_text.startswith("督〔2026〕1号 推进校园安全隐患排查整治 已交办")
    await two.idle()
    assert await count(two[0].rt, Item) == 1
    assert await count(two[0].rt, ChatConversation) == 0  # submitted: nothing kept
    # The old preview's button, now on the other instance: stale, nothing registered twice.
    seen = len(wuting.callback_answers)
    await wuting.press_data(done, submit_data)
    while len(wuting.callback_answers) == seen:
        await wuting.wait_callback_answer()
    assert wuting.callback_answers[-1].show_alert
    assert "督〔2026〕1号" in (await users["lina"].wait_message(timeout=10)).plain_text
    await two.idle()
    assert await count(two[0].rt, Item) == 1


async def test_new_item_survives_a_restart(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> None:
    def instance() -> AbstractAsyncContextManager[Instances]:
        return running_instances(
            1, database_url=database_url, clock=clock, fake=fake, tmp_path=tmp_path
        )

    async with instance() as first:
        await import_example_county(first[0].rt)
        wuting = (await join(first.bench(0), ["wuting"]))["wuting"]
        preview = await fill_new_item(wuting)
        await first.idle()
    async with instance() as second:  # a new process: nothing of the first one's memory
        done = await press(wuting, preview, "✅ 提交")
        assert "已交办" in done.plain_text
        await second.idle()
        assert await count(second[0].rt, Item) == 1
        assert await count(second[0].rt, ChatConversation) == 0


async def test_a_day_old_draft_does_not_hold_the_next_message(two: Instances) -> None:
    wuting = (await join(two.bench(0), ["wuting"]))["wuting"]
    await wuting.send_text("/new")
    await wuting.wait_message(has_text("第 1 步"))
    await wuting.send_text("整治农村人居环境")
    body_step = await wuting.wait_message(has_text("第 2 步"))
    await two.idle()  # the step is written after the answer is sent
    two.clock.advance(timedelta(hours=25))
    await wuting.send_text("这段话不是事项内容")  # a day later: an ordinary message
    answer = await wuting.wait_message()
    assert "第 3 步" not in answer.plain_text and "/new" in answer.plain_text
    await two.idle()
    assert await count(two[0].rt, ChatConversation) == 0
    await wuting.send_text("/new")  # a fresh start works
    assert "第 1 步" in (await wuting.wait_message()).plain_text
    assert body_step.message_id != 0


async def test_return_reason_typed_on_another_instance(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(APPROVAL_POLICY, encoding="utf-8")
    async with running_instances(
        2, database_url=database_url, clock=clock, fake=fake, tmp_path=tmp_path, policy_file=policy
    ) as two:
        await import_example_county(two[0].rt)
        users = await join(two.bench(0), ["wuting", "zhoujian"])
        wuting, zhoujian = users["wuting"], users["zhoujian"]
        preview = await fill_new_item(wuting)
        assert "已立项并提交审核" in (await press(wuting, preview, "✅ 提交")).plain_text
        ask = await zhoujian.wait_message(has_text("待您审核"), timeout=10)
        two.pin(0)
        await zhoujian.press(ask, "↩️ 退回")
        await zhoujian.wait_callback_answer()
        await zhoujian.wait_message(has_text("请发送退回"))
        two.pin(1)
        await zhoujian.send_text("请补充整改时限")
        assert "已连同您的理由退回立项人" in (await zhoujian.wait_message()).plain_text
        returned = await wuting.wait_message(has_text("理由：请补充整改时限"), timeout=10)
        assert "退回" in returned.plain_text
        await zhoujian.send_text("再说一句")  # the conversation is over on every instance
        assert "退回" not in (await zhoujian.wait_message()).plain_text
        await two.idle()
        async with two[0].rt.db.session() as session:
            view = await load_item(session, "2026-1", two.clock.now(), two[0].rt.policy)
            kinds = [e.kind for e in await timeline(session, view.id)]
        assert kinds.count("returned_draft") == 1
        assert await count(two[0].rt, ChatConversation) == 0


async def test_triage_reason_typed_on_another_instance(two: Instances) -> None:
    qian = (await join(two.bench(0), ["qian"]))["qian"]
    await file(two.bench(0))
    notice = await qian.wait_message(has_text("T2026-1"), timeout=10)
    two.pin(1)
    await qian.press(notice, "不予受理")
    await qian.wait_callback_answer()
    await qian.wait_message(has_text("不予受理的理由"))
    two.pin(0)
    await qian.send_text("该问题已由县纪委立案调查。")
    await qian.wait_message(has_text("理由已作为对投诉人的答复"))
    await two.idle()
    async with two[0].rt.db.session() as session:
        complaint = await session.scalar(select(Complaint))
    assert complaint is not None and complaint.status == ComplaintStatus.REJECTED
    assert await count(two[0].rt, ChatConversation) == 0


async def test_a_complaint_continues_on_another_instance(two: Instances) -> None:
    citizen = two.fake.user(555_000_777, "市民")
    two.pin(0)
    await citizen.send_text("/complain")
    intro = await citizen.wait_message(has_text("匿名投诉"))
    await citizen.press(intro, "民生问题")
    await citizen.wait_message(has_text("第 2 步"))
    await two.idle()
    two.pin(1)  # the draft is sealed in the database, not in instance 0's memory
    await citizen.send_text("青石村")  # typed instead of pressed
    await citizen.wait_message(has_text("第 3 步"))
    await two.idle()
    assert await count(two[0].rt, ChatConversation) == 0  # nothing of theirs in plain form
    assert await count(two[0].rt, SealedDraft) == 1
