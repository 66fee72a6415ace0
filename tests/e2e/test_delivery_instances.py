"""Three instances deliver from one outbox through the fake Bot API enforcing Telegram's flood
limits: one chat's burst and 200 chats' messages go out with no 429 caused by pacing, because a
chat's next moment and the bot's rate are kept in the database and taken by whichever instance
sends (``services.outbox.pace``); and two instances an hour apart share the outbox by claims
the database's clock judges (``services.outbox.claims``)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta

from sqlalchemy import text
from telegram import Bot

from bot.metrics import Metrics
from bot.outbox.sending import Deliverer
from domain.clock import FakeClock
from services.outbox import claims, pace
from services.outbox.queue import enqueue
from services.runtime import Runtime
from storage.db import Database
from storage.models import Person
from testbench import FakeTelegram

FIRST_CHAT = 70_000
CHATS = 200
BURST = 6  # messages to one chat at once
AN_HOUR = timedelta(hours=1)
SKEWED_CHATS = 40
DEAD_CLAIMS = 8
DEAD_LEASE = timedelta(seconds=1)  # the database's clock cannot be moved: a short lease


async def people(rt: Runtime, fake: FakeTelegram, count: int, now: datetime) -> list[Person]:
    async with rt.db.session() as session:
        persons = [
            Person(
                key=f"m{n}",
                name=f"收件人{n}",
                telegram_user_id=FIRST_CHAT + n,
                telegram_chat_id=FIRST_CHAT + n,
                active=True,
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        ]
        session.add_all(persons)
        await session.commit()
    for person in persons:
        assert person.telegram_chat_id is not None
        fake._chat(fake.user(person.telegram_chat_id, person.name).id).started = True
    return persons


async def test_three_instances_keep_one_pace(
    rt: Runtime, clock: FakeClock, fake: FakeTelegram, database_url: str
) -> None:
    now = clock.now()
    persons = await people(rt, fake, CHATS, now)
    async with rt.db.session() as session:
        for number in range(BURST):  # one chat's burst, not mergeable: one message each
            await enqueue(
                session,
                key=f"burst|{number}",
                person_id=persons[0].id,
                kind="test",
                text=f"连发{number}",
                not_before=now,
                created_at=now,
            )
        for person in persons[1:]:
            await enqueue(
                session,
                key=f"wave|{person.id}",
                person_id=person.id,
                kind="test",
                text=f"通知{person.id}",
                not_before=now,
                created_at=now,
            )
        await session.commit()
    fake.enforce_limits(per_chat_per_second=1, overall_per_second=30, group_per_minute=20)
    engines = [Database(database_url) for _ in range(3)]
    bots = [Bot(fake.token, base_url=fake.base_url) for _ in engines]
    try:
        for bot in bots:
            await bot.initialize()
        instances = [
            Deliverer(dataclasses.replace(rt, db=db), bot, Metrics())
            for db, bot in zip(engines, bots, strict=True)
        ]
        handled = await asyncio.gather(*(d.deliver_until_idle(max_wait=60) for d in instances))
    finally:
        for bot in bots:
            await bot.shutdown()
        for db in engines:
            await db.dispose()
    assert sum(handled) == BURST + CHATS - 1
    assert all(handled), handled  # all three took part
    refused = [
        (c.params.get("chat_id"), c.at) for c in fake.calls_to("sendMessage") if c.status == 429
    ]
    assert fake.stats.throttled_by_limits == 0, refused  # no 429 caused by pacing
    burst = [c for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == str(FIRST_CHAT)]
    assert len(burst) == BURST
    texts = [m.plain_text for m in fake.user(FIRST_CHAT, "收件人0").messages]
    assert sorted(texts) == [f"连发{n}" for n in range(BURST)]
    for person in persons[1:]:
        assert person.telegram_chat_id is not None
        got = [m.plain_text for m in fake.user(person.telegram_chat_id, person.name).messages]
        assert got == [f"通知{person.id}"]


async def test_a_chat_not_free_takes_nothing_and_holds_up_no_other(rt: Runtime) -> None:
    every = pace.Intervals(chat=1.0, overall=0.05)
    first = await pace.take_slot(rt, 1, every)
    assert first.taken and first.wait == 0
    again = await pace.take_slot(rt, 1, every)  # the same chat: not free for about a second
    assert not again.taken and 0.8 < again.wait <= 1.0
    other = await pace.take_slot(rt, 2, every)  # another chat: only the bot's interval later
    assert other.taken and 0.0 < other.wait <= 0.05
    assert await pace.prune(rt) == 0  # nothing is an hour old


async def test_an_answer_marks_a_persons_chat_and_never_a_strangers(rt: Runtime) -> None:
    """A handler's answer tells other instances' outboxes to leave the chat alone for a while;
    a chat the database does not know (a complainant's) is not written down at all."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        session.add(
            Person(key="lina", name="李娜", telegram_chat_id=41, created_at=now, updated_at=now)
        )
        await session.commit()
    await pace.mark_sent(rt, 41, 1.0)
    await pace.mark_sent(rt, 987654321987, 1.0)
    async with rt.db.session() as session:
        keys = set(await session.scalars(text("SELECT key FROM send_pace")))
    assert keys == {pace.chat_key(41)}
    busy = await pace.take_slot(rt, 41, pace.Intervals(chat=1.0, overall=0.05))
    assert not busy.taken  # the person's chat waits out the answer


async def test_instances_an_hour_apart_send_each_notification_once(
    rt: Runtime, clock: FakeClock, fake: FakeTelegram, database_url: str
) -> None:
    """Two instances, one's clock an hour fast and one's an hour slow, deliver from one outbox
    while a third, dead, still holds claims on some of it: nothing is sent twice, nothing is lost,
    and the dead sender's notifications go only once its lease has run out by the database's
    clock (the fast clock says at once, the slow one says in an hour)."""
    now = clock.now()
    persons = await people(rt, fake, SKEWED_CHATS, now)
    async with rt.db.session() as session:
        for person in persons:  # queued two hours ago: due by either clock
            await enqueue(
                session,
                key=f"skew|{person.id}",
                person_id=person.id,
                kind="test",
                text=f"通知{person.id}",
                not_before=now - 2 * AN_HOUR,
                created_at=now - 2 * AN_HOUR,
            )
        await session.commit()
    claimed_at = time.monotonic()
    dead = await claims.claim(rt, limit=DEAD_CLAIMS, lease=DEAD_LEASE)  # never sent or recorded
    dead_chats = {o.chat_id for o in dead}
    assert len(dead_chats) == DEAD_CLAIMS
    first_send: dict[int, float] = {}

    def on_event(entry: object) -> None:
        chat = getattr(entry, "chat_id", None)
        if getattr(entry, "sender", None) == "bot" and isinstance(chat, int):
            first_send.setdefault(chat, time.monotonic() - claimed_at)

    fake.on_event = on_event
    fake.enforce_limits(per_chat_per_second=1, overall_per_second=30, group_per_minute=20)
    fake.delay("sendMessage", 0.1, times=10_000, process=True)  # on the wire a while
    engines = [Database(database_url) for _ in range(2)]
    bots = [Bot(fake.token, base_url=fake.base_url) for _ in engines]
    try:
        for bot in bots:
            await bot.initialize()
        instances = [
            Deliverer(
                dataclasses.replace(rt, db=db, clock=FakeClock(now + by)), bot, Metrics(), batch=5
            )
            for db, bot, by in zip(engines, bots, (-AN_HOUR, AN_HOUR), strict=True)
        ]
        handled = await asyncio.gather(*(d.deliver_until_idle(max_wait=30) for d in instances))
    finally:
        for bot in bots:
            await bot.shutdown()
        for db in engines:
            await db.dispose()
    assert all(handled), handled  # both took part
    for person in persons:
        assert person.telegram_chat_id is not None
        got = [m.plain_text for m in fake.user(person.telegram_chat_id, person.name).messages]
        assert got == [f"通知{person.id}"]  # once: none lost, none twice
    assert len(fake.calls_to("sendMessage")) == SKEWED_CHATS
    late = DEAD_LEASE.total_seconds()
    assert all(first_send[chat] >= late for chat in dead_chats if chat is not None), first_send
