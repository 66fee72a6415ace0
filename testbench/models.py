"""Plain data records kept by the fake Telegram server."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

__all__ = [
    "ApiCall",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "EventKind",
    "Stats",
    "StoredFile",
    "TranscriptEntry",
    "format_entry",
]

JSONDict = dict[str, Any]


class Button(NamedTuple):
    """One inline keyboard button: its label and its callback_data (or url, or "")."""

    text: str
    value: str


class CallbackAnswer(NamedTuple):
    """What the bot answered to a callback query (answerCallbackQuery)."""

    text: str | None
    show_alert: bool


@dataclass
class BotMessage:
    """A message the bot sent into a chat, kept up to date as the bot edits or deletes it.

    Instances are live: the server mutates them in place on edits and deletions, so a
    reference obtained earlier always shows the message as it is currently displayed.
    """

    message_id: int
    chat_id: int
    text: str
    """Text or caption exactly as the bot sent it (raw HTML when parse_mode is HTML)."""
    parse_mode: str | None
    plain_text: str
    """Text as the user sees it: tags stripped, HTML entities unescaped."""
    sent_at: datetime
    buttons: list[list[Button]] = field(default_factory=list)
    photo: bytes | None = None
    document: tuple[bytes, str] | None = None
    """(bytes, filename) of a document."""
    media_group_id: str | None = None
    reply_to: int | None = None
    reply_keyboard: list[list[str]] | None = None
    """Labels of a ReplyKeyboardMarkup sent with this message, if any."""
    edits: list[str] = field(default_factory=list)
    """Earlier versions of ``text``, oldest first; one entry per edit (also markup edits)."""
    edited_at: datetime | None = None
    deleted: bool = False
    forwarded: bool = False
    file_id: str | None = None
    """file_id of the (largest) photo or of the document."""
    entities: list[JSONDict] = field(default_factory=list, repr=False)
    reply_markup: JSONDict | None = field(default=None, repr=False)
    photo_sizes: list[JSONDict] | None = field(default=None, repr=False)
    document_info: JSONDict | None = field(default=None, repr=False)
    forward_origin: JSONDict | None = field(default=None, repr=False)
    thread_id: int | None = None
    """The forum topic (message_thread_id) the message was sent into, if any."""

    @property
    def button_texts(self) -> list[str]:
        """Labels of all inline buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    @property
    def callback_data(self) -> list[str]:
        """callback_data of all inline buttons (URL buttons give their url)."""
        return [button.value for row in self.buttons for button in row]

    @property
    def is_photo(self) -> bool:
        return self.photo_sizes is not None

    @property
    def is_document(self) -> bool:
        return self.document_info is not None

    def describe(self) -> str:
        """One-line human description used in assertion messages."""
        parts = [f"#{self.message_id}"]
        if self.is_photo:
            parts.append("[photo]")
        if self.document is not None:
            parts.append(f"[document {self.document[1]}]")
        parts.append(repr(self.plain_text))
        parts.extend(f"[{label}]" for label in self.button_texts)
        if self.edits:
            parts.append(f"(edited {len(self.edits)}x)")
        if self.deleted:
            parts.append("(deleted)")
        return " ".join(parts)


@dataclass(frozen=True)
class StoredFile:
    """A file known to the server, downloadable at ``/file/bot<token>/<file_path>``."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: Literal["photo", "document"]
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class ApiCall:
    """One HTTP call the bot made to the Bot API."""

    method: str
    params: JSONDict
    files: list[str]
    at: datetime
    status: int = 0
    """HTTP status of the answer (0 while the call is still being processed)."""


@dataclass
class Stats:
    """Counters for assertions about delivery behaviour."""

    calls: Counter[str] = field(default_factory=Counter)
    """Calls per Bot API method (canonical spelling, e.g. ``sendMessage``)."""
    throttled_injected: int = 0
    """429 answers queued with ``fail(status=429)``."""
    throttled_by_limits: int = 0
    """429 answers produced by ``enforce_limits``."""
    server_errors: int = 0
    """5xx answers sent."""
    messages_delivered: int = 0
    """Bot messages that were recorded in a chat (each album item counts)."""
    error_statuses: Counter[int] = field(default_factory=Counter)
    """Every non-2xx answer by HTTP status."""

    @property
    def throttled(self) -> int:
        return self.throttled_injected + self.throttled_by_limits


EventKind = Literal[
    "message", "photo", "document", "album", "press", "edit", "delete", "answer", "block", "unblock"
]


@dataclass(frozen=True)
class TranscriptEntry:
    """One event of the conversation, in a form suitable for a readable demo log."""

    at: datetime
    sender: Literal["user", "bot"]
    kind: EventKind
    user: str
    """Display name of the user involved."""
    chat_id: int
    text: str
    """Plain text (tags stripped); the pressed label for ``press``."""
    buttons: tuple[tuple[str, ...], ...] = ()
    attachment: str | None = None
    """Short placeholder for media, e.g. ``"photo"`` or ``"document report.xlsx"``."""
    message_id: int | None = None

    @property
    def direction(self) -> str:
        """``"user → bot"`` or ``"bot → user"``."""
        return "user → bot" if self.sender == "user" else "bot → user"


def format_entry(entry: TranscriptEntry) -> str:
    """Render an entry as a single readable line (continuation lines are indented)."""
    if entry.sender == "user":
        head = f"{entry.user} → bot"
    elif entry.kind == "edit":
        head = f"bot ✎ {entry.user}"
    elif entry.kind == "delete":
        head = f"bot ✗ {entry.user}"
    else:
        head = f"bot → {entry.user}"

    if entry.kind == "press":
        body = f"pressed [{entry.text}]"
    elif entry.kind == "delete":
        body = f"(deleted message #{entry.message_id})"
    elif entry.kind == "answer":
        body = entry.text
    elif entry.kind == "block":
        body = "(blocked the bot)"
    elif entry.kind == "unblock":
        body = "(unblocked the bot)"
    else:
        pieces = []
        if entry.attachment:
            pieces.append(f"[{entry.attachment}]")
        if entry.text:
            pieces.append(entry.text)
        body = " ".join(pieces)
    labels = " ".join(f"[{label}]" for row in entry.buttons for label in row)
    if labels:
        body = f"{body} {labels}" if body else labels
    indent = "\n" + " " * (len(head) + 2)
    return f"{head}: {indent.join(body.splitlines()) if body else ''}".rstrip()
