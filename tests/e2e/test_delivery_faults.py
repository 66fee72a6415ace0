"""Delivery against the fake Bot API (issues 4 and 10): one chat's flood wait never holds up the
others, a flood of the whole bot pauses once, faults are retried until everything arrives, a
blocked contact's message reaches the unit head and the office is told, a message that keeps
failing is marked failed and the office is told."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from domain.vocabulary import NotificationStatus, Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.outbox.queue import enqueue
from services.sweep import run_sweep
from storage.models import Notification, Person, TimelineEvent
from testbench import FakeUser
from tests.conftest import Bench, import_example_county
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_whole_loop import join_people

FIRST_CHAT = 50_000


async def people_with_chats(bench: Bench, count: int) -> list[tuple[int, FakeUser]]:
    """``count`` people who have opened a chat with the bot: (person id, their fake user)."""
    now = bench.clock.now()
    out = []
    async with bench.rt.db.session() as session:
        persons = []
        for number in range(count):
            chat = FIRST_CHAT + number
            person = Person(
                key=f"p{number}",
                name=f"测试{number}",
                telegram_user_id=chat,
                telegram_chat_id=chat,
                bound_at=now,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            persons.append(person)
        await session.commit()
    for number, person in enumerate(persons):
        user = bench.fake.user(FIRST_CHAT + number, person.name)
        await user.send_text("/help")
        out.append((person.id, user))
    for _, user in out:
        await user.wait_message(timeout=10)
    return out


async def queue_one_each(bench: Bench, people: list[tuple[int, FakeUser]], tag: str) -> None:
    now = bench.clock.now()
    async with bench.rt.db.session() as session:
        for person_id, _ in people:
            await enqueue(
                session,
                key=f"test|{tag}|{person_id}",
                person_id=person_id,
                kind="test",
                text=f"{tag} 消息 {person_id}",
                not_before=now,
                created_at=now,
            )
        await session.commit()
    bench.rt.wake_outbox()


def received(user: FakeUser, tag: str) -> int:
    return sum(1 for m in user.messages if m.plain_text.startswith(tag))


async def wait_until(predicate: object, timeout: float) -> float:  # noqa: ASYNC109
    """Seconds (real) until ``predicate()`` holds."""
    assert callable(predicate)
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not reached within {timeout}s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_flooded_chat_does_not_hold_up_fifty_others(bench: Bench) -> None:
    people = await people_with_chats(bench, 51)
    bench.fake.enforce_limits(per_chat_per_second=1, overall_per_second=30, group_per_minute=20)
    _, flooded = people[0]
    bench.fake.fail("sendMessage", status=429, retry_after=30, chat_id=flooded.chat_id)
    await queue_one_each(bench, people, "甲")
    others = people[1:]
    took = await wait_until(lambda: all(received(u, "甲") == 1 for _, u in others), 10)
    assert took < 5, took  # 50 messages at 30/s, nothing waited for the flooded chat
    assert received(flooded, "甲") == 0
    # The flooded chat's message waits its 30 seconds (on the clock), then arrives once.
    bench.clock.advance(timedelta(seconds=29))
    bench.rt.wake_outbox()
    await asyncio.sleep(0.5)
    assert received(flooded, "甲") == 0
    bench.clock.advance(timedelta(seconds=2))
    bench.rt.wake_outbox()
    await wait_until(lambda: received(flooded, "甲") == 1, 5)
    await settle(bench)
    assert all(received(u, "甲") == 1 for _, u in people)
    assert bench.fake.stats.throttled_by_limits == 0  # our own pacing kept every limit
    assert bench.metrics.pauses.labels("chat")._value.get() == 1
    assert bench.metrics.pauses.labels("bot")._value.get() == 0
    sends = [
        c
        for c in bench.fake.calls_to("sendMessage")
        if c.params.get("chat_id") == str(flooded.chat_id)
    ]
    assert len(sends) >= 2


async def test_a_flood_of_the_whole_bot_pauses_all_sending_once(bench: Bench) -> None:
    people = await people_with_chats(bench, 12)
    bench.fake.fail("sendMessage", status=429, retry_after=5, times=5)  # any chat: a bot flood
    await queue_one_each(bench, people, "乙")
    await wait_until(lambda: bench.metrics.pauses.labels("bot")._value.get() == 1, 5)
    await asyncio.sleep(0.1)  # what was on the wire when the verdict came has its answer
    calls = len(bench.fake.calls_to("sendMessage"))
    await asyncio.sleep(0.5)
    # paused: nothing new starts until the wait has passed (several chats may have been in
    # flight when the streak showed a bot-wide flood; they are not recalled)
    assert len(bench.fake.calls_to("sendMessage")) == calls
    assert sum(received(u, "乙") for _, u in people) < 12
    bench.clock.advance(timedelta(seconds=6))
    bench.rt.wake_outbox()
    await settle(bench)
    assert [received(u, "乙") for _, u in people] == [1] * 12
    assert bench.metrics.pauses.labels("bot")._value.get() == 1
    # The refusals before the streak showed a bot-wide flood were taken as those chats' own.
    assert bench.metrics.pauses.labels("chat")._value.get() == 4


async def test_429_bursts_5xx_and_gateway_timeouts_everything_arrives_once(bench: Bench) -> None:
    people = await people_with_chats(bench, 20)
    fake = bench.fake
    fake.fail("sendMessage", status=500, times=3)
    fake.fail("sendMessage", status=502, times=2, chat_id=people[3][1].chat_id)
    fake.delay("sendMessage", 0.3, times=2, process=False)  # no answer, then 502
    fake.fail("sendMessage", status=429, retry_after=2, times=3, chat_id=people[7][1].chat_id)
    fake.fail("sendMessage", status=503, times=1)
    await queue_one_each(bench, people, "丙")
    for _ in range(12):
        await settle(bench)
        if all(received(u, "丙") == 1 for _, u in people):
            break
        bench.clock.advance(timedelta(seconds=20))  # retries wait their backoff on the clock
    assert [received(u, "丙") for _, u in people] == [1] * 20
    assert fake.stats.server_errors >= 6


async def test_a_blocked_contact_reaches_the_unit_head_and_the_office_is_told(
    bench: Bench,
) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina", "zhangjun", "qian", "zhoujian", "wuting"], 40_000)
    draft = ItemDraft(
        title="校园周边交通安全整治",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
    )
    await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    users["lina"].block()
    bench.clock.advance(timedelta(hours=24))  # receipt still missing: chase the contact
    await run_sweep(bench.rt)
    await settle(bench)
    forwarded = await users["zhangjun"].wait_message(lambda m: "转发给您" in m.plain_text)
    assert "李娜" in forwarded.plain_text and "尚未签收" in forwarded.plain_text
    for key in ("qian", "zhoujian", "wuting"):
        told = await users[key].wait_message(lambda m: "屏蔽" in m.plain_text)
        assert "李娜" in told.plain_text  # once a day per person, whatever the message was
    async with bench.rt.db.session() as session:
        lina = await session.scalar(select(Person).where(Person.key == "lina"))
        assert lina is not None and lina.unreachable_at is not None
        kinds = list(await session.scalars(select(TimelineEvent.kind)))
    assert "unreachable" in kinds


async def test_a_message_that_keeps_failing_is_failed_shown_and_told(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina", "qian"], 45_000)
    lina = users["lina"]
    draft = ItemDraft(
        title="农村饮水安全排查",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
    )
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    bench.fake.fail("sendMessage", status=500, times=1000, chat_id=lina.chat_id)
    for _ in range(10):  # each retry waits its backoff (2 s, 4 s, ...) on the clock
        bench.clock.advance(timedelta(hours=2))
        await settle(bench)
    bench.clock.advance(timedelta(hours=4))  # the office's alert waited for the morning
    await settle(bench)
    async with bench.rt.db.session() as session:
        states = list(
            await session.scalars(
                select(Notification.status)
                .where(Notification.person_id.is_not(None))
                .where(Notification.kind == "dispatch")
            )
        )
    assert str(NotificationStatus.FAILED) in states
    told = await users["qian"].wait_message(lambda m: "未送达" in m.plain_text)
    assert view.code in told.plain_text
    headers = {"Authorization": "Bearer test-api-token"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{bench.base_url}/api/items/{view.ref}") as response:
            body = await response.json()
        async with http.get(f"{bench.base_url}/metrics") as response:
            metrics = await response.text()
    assert "delivery_failed" in [entry["kind"] for entry in body["timeline"]]
    assert 'duban_notifications_total{state="failed"} 1.0' in metrics
