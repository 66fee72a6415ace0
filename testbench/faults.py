"""Fault injection and flood-limit enforcement for the fake Bot API."""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus

__all__ = ["DelayRule", "FailRule", "FaultPlan", "FloodLimits", "default_description"]

# Methods that never match a rule with ``method=None``: long polling runs in the background
# and would otherwise swallow failures meant for the calls a test is interested in.
_WILDCARD_EXEMPT = frozenset({"getupdates"})

_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def default_description(status: int, retry_after: int | None = None) -> str:
    """Telegram-like error description for an HTTP status."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status in _DESCRIPTIONS:
        return _DESCRIPTIONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _matches(rule_method: str | None, rule_chat: int | None, method: str, chat: int | None) -> bool:
    if rule_method is None:
        if method.lower() in _WILDCARD_EXEMPT:
            return False
    elif rule_method.lower() != method.lower():
        return False
    return rule_chat is None or rule_chat == chat


@dataclass
class FailRule:
    method: str | None
    status: int
    retry_after: int | None
    remaining: int
    chat_id: int | None
    description: str

    def matches(self, method: str, chat_id: int | None) -> bool:
        return _matches(self.method, self.chat_id, method, chat_id)


@dataclass
class DelayRule:
    method: str | None
    seconds: float
    remaining: int
    chat_id: int | None
    process: bool
    jitter: float = 0.0  # each answer a further 0..jitter seconds late, at random

    def matches(self, method: str, chat_id: int | None) -> bool:
        return _matches(self.method, self.chat_id, method, chat_id)

    def late_by(self) -> float:
        """How late this answer comes."""
        return self.seconds + (random.uniform(0.0, self.jitter) if self.jitter else 0.0)


@dataclass
class _Window:
    """Sliding window allowing ``capacity`` events per ``period`` seconds."""

    capacity: int
    period: float
    events: deque[float] = field(default_factory=deque)

    @classmethod
    def per_second(cls, rate: float) -> _Window:
        if rate >= 1:
            return cls(capacity=int(rate), period=1.0)
        return cls(capacity=1, period=1.0 / rate)

    def wait_time(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()
        if len(self.events) < self.capacity:
            return 0.0
        return self.events[0] + self.period - now

    def record(self, now: float) -> None:
        self.events.append(now)


@dataclass
class FloodLimits:
    """Telegram's documented flood limits, enforced with sliding windows."""

    per_chat_per_second: float
    overall_per_second: float
    group_per_minute: int
    _overall: _Window = field(init=False)
    _chats: dict[int, _Window] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.per_chat_per_second <= 0 or self.overall_per_second <= 0:
            raise ValueError("rates must be positive")
        if self.group_per_minute <= 0:
            raise ValueError("group_per_minute must be positive")
        self._overall = _Window.per_second(self.overall_per_second)

    def _chat_window(self, chat_id: int) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            if chat_id < 0:
                window = _Window(capacity=self.group_per_minute, period=60.0)
            else:
                window = _Window.per_second(self.per_chat_per_second)
            self._chats[chat_id] = window
        return window

    def admit(self, chat_id: int | None, now: float) -> int | None:
        """Record a send if allowed; otherwise return the retry_after (whole seconds)."""
        windows = [self._overall]
        if chat_id is not None:
            windows.append(self._chat_window(chat_id))
        wait = max(window.wait_time(now) for window in windows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.record(now)
        return None


@dataclass
class FaultPlan:
    """Queued failures and delays; the first matching rule wins and is used up."""

    failures: list[FailRule] = field(default_factory=list)
    delays: list[DelayRule] = field(default_factory=list)
    limits: FloodLimits | None = None

    def take_failure(self, method: str, chat_id: int | None) -> FailRule | None:
        for rule in self.failures:
            if rule.matches(method, chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.failures.remove(rule)
                return rule
        return None

    def take_delay(self, method: str, chat_id: int | None) -> DelayRule | None:
        for rule in self.delays:
            if rule.matches(method, chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.delays.remove(rule)
                return rule
        return None
