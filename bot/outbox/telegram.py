"""The Bot the outbox sends with, and the name of a failed send (for metrics and the outbox).

Kept apart from ``bot.app`` and ``bot.ptb`` so that ``duban sweep`` (sweep, then deliver) need
not import the handlers, the web routes and PTB's Application to send what is due.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.settings import Settings


def notification_bot(settings: Settings) -> Bot:
    """A Bot for the outbox: no rate limiter (the Deliverer paces), its own connection pool."""
    assert settings.bot_token is not None
    return Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_url,
        request=HTTPXRequest(
            connection_pool_size=4, connect_timeout=10, read_timeout=15, write_timeout=30
        ),
    )


def retry_seconds(exc: RetryAfter) -> float:
    """A 429's ``retry_after`` in seconds (PTB gives whole seconds or a timedelta)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def failure_reason(exc: Exception) -> str:
    if isinstance(exc, RetryAfter):
        return "rate_limited"
    if isinstance(exc, Forbidden):
        return "blocked"
    if isinstance(exc, BadRequest):
        return "chat_not_found" if "chat not found" in exc.message.lower() else "bad_request"
    if isinstance(exc, TimedOut):
        return "timeout"
    if isinstance(exc, NetworkError):
        return "server_error"
    return "other"
