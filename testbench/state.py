"""Internal state containers of the fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import BotMessage, CallbackAnswer

__all__ = ["ChatState", "PendingQuery", "Signal", "WebhookTarget"]


class Signal:
    """Broadcast "something changed" to coroutines waiting for a condition.

    ``notify()`` is synchronous, so state changes made from plain methods (e.g.
    ``FakeUser.block()``) wake up long polls and ``wait_*`` helpers alike.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(self, predicate: Callable[[], bool], within: float | None) -> bool:
        """Wait until ``predicate()`` holds; return False if ``within`` seconds elapsed first."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while not predicate():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                async with asyncio.timeout(remaining):
                    await waiter
            except TimeoutError:
                return predicate()
            finally:
                self._waiters.discard(waiter)
        return True


@dataclass
class ChatState:
    """A private chat between the bot and one user (chat id == user id), or a group (a
    negative id, ``title`` set) with its members and whether the bot is in it."""

    chat_id: int
    started: bool = False
    title: str | None = None
    supergroup: bool = False
    forum: bool = False
    members: set[int] = field(default_factory=set)
    bot_present: bool = False
    migrated_to: int | None = None
    topics: dict[int, str] = field(default_factory=dict)  # a forum's topics: thread id → name
    next_message_id: int = 1
    bot_messages: list[BotMessage] = field(default_factory=list)
    by_id: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    keyboard: list[list[str]] | None = None

    @property
    def is_group(self) -> bool:
        return self.title is not None

    def chat_dict(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of a group."""
        data: dict[str, Any] = {
            "id": self.chat_id,
            "type": "supergroup" if self.supergroup else "group",
            "title": self.title,
        }
        if self.forum:
            data["is_forum"] = True
        return data

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_bot_message(self, message_id: int) -> BotMessage | None:
        message = self.by_id.get(message_id)
        if message is None or message.deleted:
            return None
        return message


@dataclass
class WebhookTarget:
    """Where setWebhook told the fake to deliver updates."""

    url: str
    secret_token: str | None
    max_connections: int


@dataclass
class PendingQuery:
    """A callback query a user sent: whose, about which message, and how it was answered."""

    user_id: int
    message_id: int
    answered: bool = False
    answer: CallbackAnswer | None = None
