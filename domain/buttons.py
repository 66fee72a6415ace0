"""An inline button as the services describe it; the bot turns it into Telegram's markup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """An inline button: a label and its callback data (or a URL)."""

    text: str
    data: str | None = None
    url: str | None = None

    def as_json(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        return {"text": self.text, "data": self.data or ""}


def buttons_from_json(rows: list[Any] | None) -> list[list[Button]]:
    """Buttons as a notification row keeps them (``as_json``), back as :class:`Button` rows."""
    return [
        [Button(b["text"], b.get("data"), b.get("url")) for b in row if isinstance(b, dict)]
        for row in rows or []
    ]
