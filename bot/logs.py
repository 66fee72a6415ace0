"""Structured logging: one event name per line, then its fields as key=value."""

from __future__ import annotations

import logging
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if not extras:
            return base
        fields = " ".join(f"{key}={_render(value)}" for key, value in sorted(extras.items()))
        head, sep, tail = base.partition("\n")
        return f"{head} {fields}{sep}{tail}"


def _render(value: Any) -> str:
    text = str(value)
    return repr(text) if (" " in text or not text) else text


# Libraries that log what must not reach a log at any root level: the bot token (in every Bot
# API URL: httpx, httpcore), whole updates and request data with a complainant's Telegram id
# and name (telegram.* at DEBUG), SQL parameters (sqlalchemy.engine at INFO and DEBUG,
# aiosqlite and asyncpg at DEBUG), client addresses (aiohttp.access). They are held at
# WARNING whatever the root level is; their warnings and errors still come through.
GUARDED_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncpg",
    "aiohttp.access",
    "apscheduler",
)


def guard_library_loggers() -> None:
    """Called by the app factory as well, so it holds however logging was set up."""
    for name in GUARDED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: int | str = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    guard_library_loggers()
