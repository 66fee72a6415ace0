"""Several ladder notices to one chat at once, as one message that lists them.

A backlog (a ledger imported with its items long overdue, a long holiday) brings many items to
the ladder in one pass; each person is then told once, in a list, not once per item. Each ladder
notification keeps, besides its own full message, its place in such a list (a
:class:`Listing`): the heading that says what the level does for this reader (the regulations'
words, shared by every item under it) and the item's line (light, code, title, days late). The
sender lists what is due to one chat at once under their headings, cut where Telegram's length
ends, with a button per item or, for a long list, one that opens the list of overdue items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.buttons import Button

MAX_ITEM_ROWS = 8  # more items than this: one "show all" button instead of one per item


@dataclass(frozen=True)
class Listing:
    """A ladder notice's place in a list: under ``heading``, the item's ``line``; ``show_all``
    opens the reader's list of overdue items."""

    heading: str
    line: str
    show_all: Button

    def as_json(self) -> dict[str, Any]:
        return {"heading": self.heading, "line": self.line, "show_all": self.show_all.as_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Listing | None:
        """The listing a notification row keeps (None: none, or not one this code reads)."""
        if not isinstance(data, dict):
            return None
        heading, line, more = data.get("heading"), data.get("line"), data.get("show_all")
        if not isinstance(heading, str) or not isinstance(line, str) or not isinstance(more, dict):
            return None
        return cls(heading, line, Button(str(more.get("text", "")), more.get("data")))


def listed_text(listings: Sequence[Listing]) -> str:
    """The message listing ``listings``: each heading once (in the order first met), its items'
    lines under it, one blank line between headings."""
    sections: dict[str, list[str]] = {}
    for listing in listings:
        lines = sections.setdefault(listing.heading, [])
        if listing.line not in lines:
            lines.append(listing.line)
    return "\n\n".join("\n".join([heading, *lines]) for heading, lines in sections.items())


def listed_buttons(
    entries: Sequence[tuple[str | None, Listing, list[list[Button]]]],
) -> list[list[Button]]:
    """The buttons of a listed message from its ``(item ref, listing, the notice's own button
    rows)`` entries: each item's own buttons (its code before each label), one row per item,
    when there are few items; else the first entry's "show all"."""
    rows: dict[str | None, list[Button]] = {}
    for ref, _, own in entries:
        rows[ref] = [_labelled(button, ref) for row in own for button in row]
    if len(rows) > MAX_ITEM_ROWS:
        return [[entries[0][1].show_all]]
    return [row for row in rows.values() if row]


def _labelled(button: Button, ref: str | None) -> Button:
    """``button`` with the item's code before its label."""
    return Button(f"{ref} · {button.text}" if ref else button.text, button.data, button.url)
