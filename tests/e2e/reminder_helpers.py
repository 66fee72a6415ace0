"""Helpers of the reminder and delivery end-to-end tests: wait for the outbox, read the chats."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from sqlalchemy import func, select

from domain.vocabulary import NotificationStatus
from storage.models import Notification
from testbench import FakeUser
from tests.conftest import Bench


async def settle(bench: Bench, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Wait (real time) until nothing due now is left in the outbox."""
    bench.rt.wake_outbox()
    deadline = time.monotonic() + timeout
    while True:
        async with bench.rt.db.session() as session:
            due = await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(
                    Notification.status == NotificationStatus.PENDING,
                    Notification.not_before <= bench.clock.now(),
                )
            )
        if not due:
            await asyncio.sleep(0.05)  # the last send's answer reaches the fake's chat
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{due} notifications still due after {timeout}s")
        await asyncio.sleep(0.05)


class Inbox:
    """What each person received since the last look: (first line, sent at) per message."""

    def __init__(self, users: dict[str, FakeUser]) -> None:
        self.users = users
        self.seen = {key: len(user.messages) for key, user in users.items()}

    def new(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, user in self.users.items():
            # An official document follows its message as a file: part of that message.
            messages = [m for m in user.messages[self.seen[key] :] if not m.is_document]
            self.seen[key] = len(user.messages)
            if messages:
                out[key] = [m.plain_text for m in messages]
        return out

    def times(self, key: str, last: int) -> list[datetime]:
        return [m.sent_at for m in self.users[key].messages[-last:]]
