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


def configure_logging(level: int | str = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The bot token is part of every Bot API URL: keep the HTTP client's request lines out.
    for name in ("httpx", "httpcore", "telegram.request", "aiohttp.access", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
