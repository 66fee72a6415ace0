"""The python-telegram-bot Application, built for this deployment.

The bot talks to whatever Bot API server the settings name, through a rate limiter that
also retries server errors and timeouts, and counts what it sends for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)

from bot.metrics import Metrics
from bot.outbox.telegram import failure_reason
from handlers.context import BotState, DubanContext, PerChatUpdateProcessor

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]

SENDING = ("send", "edit", "copy", "forward", "delete")


class RetryingRateLimiter(AIORateLimiter):
    """PTB's limiter (overall and group pacing, 429 retries) plus retries of 5xx and timeouts.

    A timeout after Telegram acted can repeat a message once; a lost message cannot be
    told from a slow one, and a repeat is the lesser harm.
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        max_retries: int = 3,
        server_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        super().__init__(max_retries=max_retries)
        self._metrics = metrics
        self._server_retries = server_retries
        self._backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        async def counted(*call_args: Any, **call_kwargs: Any) -> JSON:
            try:
                return await callback(*call_args, **call_kwargs)
            except (RetryAfter, NetworkError) as exc:
                self._metrics.send_failures.labels(failure_reason(exc)).inc()
                raise

        attempt = 0
        while True:
            try:
                result = await super().process_request(
                    counted, args, kwargs, endpoint, data, rate_limit_args
                )
            except (BadRequest, Forbidden, RetryAfter):
                raise
            except NetworkError:
                if attempt >= self._server_retries:
                    self._metrics.send_failures.labels("gave_up").inc()
                    raise
                delay = self._backoff * (2**attempt)
                attempt += 1
                log.warning(
                    "bot_api_retry",
                    extra={"endpoint": endpoint, "attempt": attempt, "delay": delay},
                )
                await asyncio.sleep(delay)
                continue
            if endpoint.startswith(SENDING):
                self._metrics.sent.labels(endpoint).inc()
            return result


class DubanApplication(Application[Any, DubanContext, Any, Any, BotState, Any]):
    """Times every update for the latency histogram."""

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            metrics = self.bot_data.metrics_or_none
            if metrics is not None:
                metrics.update_handled(update_kind(update), time.perf_counter() - started)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback_query"
    message = update.effective_message
    if message is None:
        return "other"
    if message.photo:
        return "photo"
    if message.document is not None:
        return "document"
    if message.text and message.text.startswith("/"):
        return "command"
    return "message"


def build_application(
    *, token: str, api_url: str, metrics: Metrics, state: BotState
) -> DubanApplication:
    context_types = ContextTypes(context=DubanContext, bot_data=BotState)
    application = (
        ApplicationBuilder()
        .application_class(DubanApplication)
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .context_types(context_types)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(RetryingRateLimiter(metrics))
        .concurrent_updates(PerChatUpdateProcessor())
        .job_queue(None)
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(30)
        .media_write_timeout(60)
        .get_updates_read_timeout(40)
        .build()
    )
    assert isinstance(application, DubanApplication)
    application.bot_data.adopt(state)
    return application
