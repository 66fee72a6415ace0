"""The /new conversation's draft: what the office has chosen so far, step by step.

Between updates the draft is kept in the database as a JSON object (``chat_conversations``),
under ``user_data["new_item"]`` while an update is handled. Its keys are ``message_id``,
``title``, ``body``, ``source``, ``class``, ``lead``, ``co``, ``leader``, ``due`` (ISO),
``page``, ``search`` and ``confidential`` (true: 内部, never to a work group); a key not
chosen yet is absent. Keep them: a conversation in progress survives an upgrade only if the
new code reads what the old one wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft


@dataclass
class Draft:
    """An item being registered in chat; ``None`` for what is not chosen yet."""

    message_id: int | None = None  # the conversation's latest message, whose buttons count
    title: str | None = None
    body: str | None = None
    source: Source | None = None
    time_class: TimeClass | None = None
    lead: str | None = None
    co: list[str] = field(default_factory=list)
    leader: str | None = None
    due: date | None = None  # typed; None keeps the class's own due date
    page: int | None = None  # the page of units shown
    search: str | None = None  # what the units shown were searched by
    confidential: bool = False  # 内部: never to any work group

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        return cls(
            message_id=data.get("message_id"),
            title=data.get("title"),
            body=data.get("body"),
            source=Source(data["source"]) if data.get("source") else None,
            time_class=TimeClass(data["class"]) if data.get("class") else None,
            lead=data.get("lead"),
            co=list(data.get("co") or []),
            leader=data.get("leader"),
            due=date.fromisoformat(data["due"]) if data.get("due") else None,
            page=data.get("page"),
            search=data.get("search"),
            confidential=bool(data.get("confidential")),
        )

    def to_json(self) -> dict[str, Any]:
        data = {
            "message_id": self.message_id,
            "title": self.title,
            "body": self.body,
            "source": self.source.value if self.source else None,
            "class": self.time_class.value if self.time_class else None,
            "lead": self.lead,
            "co": list(self.co) if self.co else None,
            "leader": self.leader,
            "due": self.due.isoformat() if self.due else None,
            "page": self.page,
            "search": self.search,
            "confidential": True if self.confidential else None,
        }
        return {key: value for key, value in data.items() if value is not None}

    def item(self) -> ItemDraft:
        """What the service registers; the draft is complete (the preview step was reached)."""
        assert self.title is not None and self.source is not None
        assert self.time_class is not None and self.lead is not None
        return ItemDraft(
            title=self.title,
            body=self.body or "",
            source=self.source,
            time_class=self.time_class,
            lead_unit=self.lead,
            co_units=tuple(self.co),
            leader=self.leader,
            due=self.due,
            confidential=self.confidential,
        )
