"""A complaint in chat continues on whichever instance each step lands (issue 18).

Two apps on one database, in one process, behind a round-robin balancer the fake Bot API's
webhook points at: each update of the conversation lands on the other app than the last, and
the complaint is filed with its photo. A draft that expired, was damaged or was sealed under
another secret is gone: the complainant is told to start again, and nothing crashes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.app import Options, create_app, serve
from bot.keys import RUNTIME
from bot.webhook import PATH
from domain.clock import FakeClock
from services.runtime import Runtime
from services.sealing import Sealer
from services.sweep import run_sweep
from storage.db import Database
from storage.models import Attachment, Complaint, SealedDraft
from testbench import FakeTelegram, FakeUser
from testbench.balancer import RoundRobinBalancer
from tests.conftest import bench_settings, import_example_county
from tests.e2e.test_anonymity import has_text
from tests.e2e.test_webhook import free_port
from tests.services.test_complaints_service import gps_jpeg

LOST = "请发送 /complain 重新开始"


class TwoInstances:
    def __init__(self, rt: Runtime, balancer: RoundRobinBalancer, urls: list[str]) -> None:
        self.rt, self.balancer, self.urls = rt, balancer, urls
        self.last: str | None = None
        self.seen: dict[str, int] = {}

    def landed(self) -> str:
        """The app that took the last update (the one whose count went up)."""
        served = dict(self.balancer.served)
        moved = [url for url in self.urls if served.get(url, 0) != self.seen.get(url, 0)]
        self.seen = served
        assert len(moved) == 1, (moved, served)
        return moved[0]


@pytest.fixture
async def two(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[TwoInstances]:
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    async with AsyncExitStack() as stack:
        balancer = await stack.enter_async_context(RoundRobinBalancer(urls))
        apps = []
        for number, port in enumerate(ports):
            settings = bench_settings(fake, database_url, tmp_path / f"app{number}")
            app = create_app(
                settings, clock=clock, options=Options(webhook_url=balancer.url + PATH)
            )
            await stack.enter_async_context(serve(app, "127.0.0.1", port))
            apps.append(app)
        rt = apps[0][RUNTIME]
        assert rt.secret == apps[1][RUNTIME].secret  # both derive it from the one token
        await import_example_county(rt)
        yield TwoInstances(rt, balancer, urls)


async def draft_row(rt: Runtime) -> bytes | None:
    async with rt.db.session() as session:
        return await session.scalar(select(SealedDraft.sealed))


async def wait_for(condition: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 10
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def step(two: TwoInstances, act: Callable[[], Awaitable[object]]) -> str:
    """One update of the conversation; waits (as a reader would) until it is stored, and
    returns the app that took it, which must not be the one that took the last."""
    before = await draft_row(two.rt)
    await act()

    async def stored() -> bool:
        return await draft_row(two.rt) != before

    await wait_for(stored)
    landed = two.landed()
    assert landed != two.last
    two.last = landed
    return landed


async def test_each_step_on_another_instance_and_the_complaint_is_filed(
    two: TwoInstances, fake: FakeTelegram
) -> None:
    citizen = fake.user(987654321987, "Zyxwvut", username="unique_whistle_7")
    two.seen = dict(two.balancer.served)
    await step(two, lambda: citizen.send_text("/complain"))
    intro = await citizen.wait_message(has_text("匿名投诉"))
    await step(two, lambda: citizen.press(intro, "民生问题"))
    place = await citizen.wait_message(has_text("第 2 步"))
    await step(two, lambda: citizen.press(place, "县住房和城乡建设局"))
    await citizen.wait_message(has_text("第 3 步"))
    await step(two, lambda: citizen.send_text("青石村路灯坏了三个月没人修，晚上出行很不安全。"))
    await citizen.wait_message(has_text("第 4 步"))
    await step(two, lambda: citizen.send_photo(gps_jpeg()))
    received = await citizen.wait_message(has_text("第 1 张"))
    await step(two, lambda: citizen.press(received, "完成"))
    preview = await citizen.wait_message(has_text("请核对"))
    assert "县住房和城乡建设局" in preview.plain_text and "照片：1 张" in preview.plain_text
    await step(two, lambda: citizen.press(preview, "✅ 提交"))  # the row goes: stored
    filed = await citizen.wait_message(has_text("查询码"))
    assert "T2026-1" in filed.plain_text, citizen.history()
    assert len(set(two.balancer.served)) == 2
    async with two.rt.db.session() as session:
        complaint = await session.scalar(select(Complaint))
        assert complaint is not None and "青石村路灯" in complaint.text
        photos = await session.scalar(select(func.count()).select_from(Attachment))
        assert photos == 1
        assert await session.scalar(select(func.count()).select_from(SealedDraft)) == 0


async def _started(two: TwoInstances, citizen: FakeUser) -> None:
    """A complaint begun: the category chosen, the place asked."""
    await citizen.send_text("/complain")
    intro = await citizen.wait_message(has_text("匿名投诉"))

    async def kept() -> bool:
        return await draft_row(two.rt) is not None

    await wait_for(kept)  # as a reader would, before the next step
    before = await draft_row(two.rt)
    await citizen.press(intro, "民生问题")
    await citizen.wait_message(has_text("第 2 步"))

    async def moved() -> bool:
        return await draft_row(two.rt) != before

    await wait_for(moved)


async def _told_to_start_again(two: TwoInstances, citizen: FakeUser) -> None:
    await citizen.send_text("青石村")
    lost = await citizen.wait_message(has_text(LOST))
    assert "第 3 步" not in lost.plain_text

    async def removed() -> bool:
        return await draft_row(two.rt) is None

    await wait_for(removed)
    # and a new one starts as usual
    await citizen.send_text("/complain")
    await citizen.wait_message(has_text("匿名投诉"))


async def test_a_damaged_draft_is_gone_and_the_complainant_starts_again(
    two: TwoInstances, fake: FakeTelegram
) -> None:
    citizen = fake.user(111222333, "Tester")
    await _started(two, citizen)
    async with two.rt.db.session() as session:
        await session.execute(update(SealedDraft).values(sealed=b"\x01damaged beyond reading"))
        await session.commit()
    await _told_to_start_again(two, citizen)


async def test_a_draft_sealed_under_another_secret_is_gone(
    two: TwoInstances, fake: FakeTelegram
) -> None:
    citizen = fake.user(111222334, "Tester")
    await _started(two, citizen)
    key = two.rt.sealer.draft_key("complaint", citizen.chat_id)
    other = Sealer(b"the secret before it was changed").seal(
        citizen.chat_id, key, {"state": 2, "data": {}}
    )
    async with two.rt.db.session() as session:
        await session.execute(update(SealedDraft).values(sealed=other))
        await session.commit()
    await _told_to_start_again(two, citizen)


async def test_a_draft_left_an_hour_is_gone_and_swept(
    two: TwoInstances, fake: FakeTelegram, clock: FakeClock
) -> None:
    citizen = fake.user(111222335, "Tester")
    await _started(two, citizen)
    clock.advance(timedelta(minutes=61))
    await _told_to_start_again(two, citizen)
    await citizen.send_text("/cancel")
    await citizen.wait_message(has_text("已取消"))
    await _started(two, citizen)
    clock.advance(timedelta(minutes=61))
    await run_sweep(two.rt)
    assert await draft_row(two.rt) is None


async def test_cancel_midway_on_the_other_instance_leaves_no_draft(
    two: TwoInstances, fake: FakeTelegram
) -> None:
    """/cancel after three steps, landing on the other instance than the last step: the
    complainant is told it is cancelled, the sealed draft row is gone, nothing is filed, and
    the next /complain starts afresh."""
    citizen = fake.user(111222336, "Tester")
    two.seen = dict(two.balancer.served)
    await step(two, lambda: citizen.send_text("/complain"))
    intro = await citizen.wait_message(has_text("匿名投诉"))
    await step(two, lambda: citizen.press(intro, "民生问题"))
    place = await citizen.wait_message(has_text("第 2 步"))
    await step(two, lambda: citizen.press(place, "县住房和城乡建设局"))
    await citizen.wait_message(has_text("第 3 步"))
    await step(two, lambda: citizen.send_text("青石村路灯坏了三个月没人修。"))
    await citizen.wait_message(has_text("第 4 步"))
    await citizen.send_text("/cancel")
    await citizen.wait_message(has_text("已取消"))
    assert two.landed() != two.last

    async def no_draft() -> bool:
        async with two.rt.db.session() as session:
            rows = await session.scalar(select(func.count()).select_from(SealedDraft))
        return rows == 0

    await wait_for(no_draft)
    async with two.rt.db.session() as session:  # and nothing was filed
        assert await session.scalar(select(func.count()).select_from(Complaint)) == 0
    await citizen.send_text("/complain")  # afresh: the first step, no draft carried over
    again = await citizen.wait_message(has_text("匿名投诉"))
    assert "第 4 步" not in again.plain_text and "青石村" not in again.plain_text
