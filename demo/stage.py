"""What every act of the demo shares: the stage (fake Telegram, people, services, clock)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from domain.clock import FakeClock
from services.runtime import Runtime
from testbench import FakeTelegram, FakeUser
from testbench.models import BotMessage

TIMEOUT = 60  # seconds an act waits for the bot's answer at most (a busy machine is slow)


@dataclass
class Stage:
    """Everything an act needs: the fake Telegram, the people, the services and the clock."""

    fake: FakeTelegram
    rt: Runtime
    clock: FakeClock
    users: dict[str, FakeUser] = field(default_factory=dict)
    say: Callable[[str], None] = print

    def narrate(self, text: str) -> None:
        self.say(f"\n== {text}")


Act = Callable[[Stage], Awaitable[None]]


def has(*words: str) -> Callable[[BotMessage], bool]:
    """A message whose plain text holds every one of ``words``."""
    return lambda message: all(word in message.plain_text for word in words)
