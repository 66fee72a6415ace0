"""The handlers' Bot API requests, paced per chat as the outbox paces its own: one chat, one
budget, and one chat's wait never holds the others.

PTB's ``AIORateLimiter`` paced the bot overall only, and answered any 429 by holding **every**
request of the bot until its ``retry_after`` had passed: a contact's menu, prompt and preview
within one second drew a 429 from the chat's limit, and that stalled all chats. Here:

- a new message (``send*``, ``copy*``, ``forward*``) to a private chat waits for the chat's next
  moment (Telegram's one a second per chat), then books the bot's next moment (its 30 a second),
  both in the :class:`bot.outbox.pacing.Pacer` the outbox deliverer uses; the wait is this
  request's alone. A work group keeps a burst allowance of its ``group_per_minute`` a minute
  (answers in a group come in bursts), and takes the group's moment in the pacer so the outbox
  gives way. After the send, the chat's next moment is written to ``send_pace`` (beside the
  handler, which goes on at once)
  (:func:`services.outbox.pace.mark_sent`), which the deliverers of every instance read;
- edits and callback answers are not paced (Telegram's limits count messages sent);
- a 429 holds that chat for ``retry_after`` (the deliverer sees the hold too) and the request
  tries again; only when several different chats in a row were refused is the bot as a whole
  over its limit (:class:`bot.outbox.pacing.FloodJudge`), and every send waits once;
- 5xx answers and timeouts are retried with a doubling back-off. A timeout after Telegram acted
  can repeat a message once; a lost message cannot be told from a slow one, and a repeat is the
  lesser harm.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.metrics import Metrics
from bot.outbox.pacing import FloodJudge, Pacer
from bot.outbox.telegram import failure_reason, retry_seconds
from services.outbox import pace
from services.runtime import Runtime

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]
Request = Callable[..., Coroutine[Any, Any, JSON]]

COUNTED = ("send", "edit", "copy", "forward", "delete")  # counted as sent for /metrics
NEW_MESSAGE = ("send", "copy", "forward")  # the requests Telegram's flood limits count
NOT_A_MESSAGE = frozenset({"sendChatAction"})


def new_message(endpoint: str) -> bool:
    return endpoint.startswith(NEW_MESSAGE) and endpoint not in NOT_A_MESSAGE


def chat_of(data: dict[str, Any]) -> int | None:
    """The request's chat id, if it names one by number (a ``@channel`` name is not paced)."""
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


class PacedLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter for the handlers' requests, sharing the outbox's :class:`Pacer`."""

    def __init__(
        self,
        metrics: Metrics,
        pacer: Pacer,
        rt: Runtime,
        *,
        group_per_minute: float,
        max_retries: int = 3,
        server_retries: int = 3,
        backoff: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self.pacer = pacer
        self._rt = rt
        self._group_per_minute = group_per_minute
        self._groups: dict[int, AsyncLimiter] = {}
        self._judge = FloodJudge()
        self._holds: dict[int, float] = {}  # chat id -> no request before (429)
        self._bot_hold = 0.0  # no request before (the bot as a whole refused)
        self._marking: set[asyncio.Task[None]] = set()  # send_pace marks under way
        self._max_retries = max_retries
        self._server_retries = server_retries
        self._backoff = backoff
        self.monotonic = monotonic

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await asyncio.gather(*self._marking, return_exceptions=True)

    async def process_request(
        self,
        callback: Request,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        chat_id = chat_of(data)
        paced = chat_id is not None and new_message(endpoint)
        refused = 0
        failed = 0
        while True:
            if paced:
                assert chat_id is not None
                await self._slot(chat_id)
            elif chat_id is not None:
                await self._held(chat_id)
            else:
                await self._until(lambda now: self._bot_hold - now)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._count_failure(exc)
                refused += 1
                if refused > (rate_limit_args or self._max_retries):
                    raise
                self._refused(chat_id, paced, exc)
                continue
            except (BadRequest, Forbidden):
                raise
            except NetworkError as exc:
                self._count_failure(exc)
                if failed >= self._server_retries:
                    self._metrics.send_failures.labels("gave_up").inc()
                    raise
                delay = self._backoff * (2**failed)
                failed += 1
                log.warning(
                    "bot_api_retry",
                    extra={"endpoint": endpoint, "attempt": failed, "delay": delay},
                )
                await asyncio.sleep(delay)
                continue
            if chat_id is not None:
                self._judge.outcome(chat_id, refused=False)
            if endpoint.startswith(COUNTED):
                self._metrics.sent.labels(endpoint).inc()
            if paced:
                assert chat_id is not None
                self._mark_later(chat_id)
            return result

    async def _slot(self, chat_id: int) -> None:
        """Wait until the chat may be written to, then for the bot's next moment (booked)."""
        await self._held(chat_id)
        if chat_id < 0:
            await self._group(chat_id).acquire()
        else:
            await self._until(lambda now: self.pacer.chat_wait(chat_id, now))
        start = self.pacer.book(chat_id, self.monotonic())
        wait = start - self.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _held(self, chat_id: int) -> None:
        """Wait out a 429's hold on this chat or on the whole bot."""
        await self._until(lambda now: max(self._holds.get(chat_id, 0.0), self._bot_hold) - now)
        self._holds.pop(chat_id, None)

    async def _until(self, wait_at: Callable[[float], float]) -> None:
        """Sleep until ``wait_at(now)`` (seconds still to wait) is over, asking again after
        each sleep (another send may have moved the moment on meanwhile)."""
        while True:
            wait = wait_at(self.monotonic())
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def _group(self, chat_id: int) -> AsyncLimiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            limiter = self._groups[chat_id] = AsyncLimiter(self._group_per_minute, 60)
        return limiter

    def _refused(self, chat_id: int | None, paced: bool, exc: RetryAfter) -> None:
        """A 429: hold the chat (or, when recent chats were all refused, the bot), here and
        in the shared pacer, so the outbox waits too."""
        until = self.monotonic() + max(1.0, retry_seconds(exc))
        if paced:
            self.pacer.refund()
        if chat_id is None or self._judge.outcome(chat_id, refused=True):
            self._bot_hold = max(self._bot_hold, until)
            self.pacer.hold_all(until)
            log.warning("replies_paused", extra={"seconds": until - self.monotonic()})
        if chat_id is not None:
            self._holds[chat_id] = max(self._holds.get(chat_id, 0.0), until)
            self.pacer.hold(chat_id, until)

    def _mark_later(self, chat_id: int) -> None:
        """Mark the chat in ``send_pace`` beside the handler, not before it goes on: the
        handler's next step (saving the conversation the answer asks to continue) must not
        wait behind the mark, or a quick next update on another instance finds it unsaved."""
        task = asyncio.create_task(self._mark(chat_id))
        self._marking.add(task)
        task.add_done_callback(self._marking.discard)

    async def _mark(self, chat_id: int) -> None:
        """Tell every instance's outbox the chat was just written to (best effort: the send
        has happened, and a failed mark only risks the deliverer's 429, which it handles)."""
        try:
            await pace.mark_sent(self._rt, chat_id, self.pacer.chat_interval(chat_id))
        except Exception:
            log.exception("send_pace_mark_failed")

    def _count_failure(self, exc: Exception) -> None:
        self._metrics.send_failures.labels(failure_reason(exc)).inc()
