"""A ``duban sweep`` process delivering a batch is killed with SIGKILL mid-way and started
again, twice: every notification arrives, none is lost, and a kill repeats at most the messages
that were on the wire when the process died — at most one per chat, ``IN_FLIGHT`` in all."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bot.outbox.sending import IN_FLIGHT
from domain.clock import FakeClock
from services.outbox.queue import enqueue
from services.runtime import Runtime
from storage.models import Person
from testbench import FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parents[1]
COUNT = 40
FIRST_CHAT = 60_000


async def start_sweep(
    fake: FakeTelegram, database_url: str, now: str, cwd: Path
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        PYTHONPATH=str(ROOT),
        DUBAN_DATABASE_URL=database_url,
        DUBAN_BOT_TOKEN=fake.token,
        DUBAN_TELEGRAM_API_URL=fake.url,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sweep",
        "--now",
        now,
        "--lease",
        "2",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_killed_mid_batch_nothing_lost_at_most_one_repeat_per_chat_per_kill(
    rt: Runtime, clock: FakeClock, fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    now = clock.now()
    users: list[FakeUser] = []
    async with rt.db.session() as session:
        for number in range(COUNT):
            chat = FIRST_CHAT + number
            person = Person(
                key=f"c{number}",
                name=f"收件人{number}",
                telegram_user_id=chat,
                telegram_chat_id=chat,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            await session.flush()
            await enqueue(
                session,
                key=f"crash|{number}",
                person_id=person.id,
                kind="test",
                text=f"通知{number}",
                not_before=now,
                created_at=now,
            )
            user = fake.user(chat, person.name)
            await user.send_text("/start")  # the chat exists
            users.append(user)
        await session.commit()
    fake.delay("sendMessage", 0.12, times=10_000, process=True)  # slow: sent, answered late
    kills = 0
    for kill_after in (10, 22):
        process = await start_sweep(fake, database_url, now.isoformat(), tmp_path)
        started = time.monotonic()
        while fake.stats.messages_delivered < kill_after:
            assert process.returncode is None, await process.communicate()
            assert time.monotonic() - started < 60
            await asyncio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        kills += 1
    process = await start_sweep(fake, database_url, now.isoformat(), tmp_path)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    received = [
        sum(1 for m in u.messages if m.plain_text == f"通知{i}") for i, u in enumerate(users)
    ]
    duplicates = sum(n - 1 for n in received if n > 1)
    print(
        f"\ncrash test: {COUNT} notifications, {kills} kills, {duplicates} repeated; "
        f"{out.decode().strip()}"
    )
    assert all(n >= 1 for n in received), received  # none lost
    assert max(received) <= 1 + kills, received  # a chat has one message in flight at a time
    assert duplicates <= kills * IN_FLIGHT, received
