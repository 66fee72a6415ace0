"""Several notices to one chat at once, as one message that lists them.

A backlog (a ledger imported with its items long overdue, a long holiday) brings many items to
the ladder and to the chases in one pass; each person is then told once, in a list, not once per
item. Each such notification keeps, besides its own full message, its place in a list (a
:class:`Listing`): the heading that says what is asked of this reader (the regulations' words,
shared by every item under it) and the item's line: its name (light, code, title) and what is
said of it (days late; what is owed, by when). The sender lists what is due to one chat at once
under their headings, cut where Telegram's length ends, with a button per item or, for a long
list, one that opens the reader's list of items.

In one message an item is named in full once: under a later heading it goes by its short name
(light and code), and two notices of one item under one heading (its plan and its first feedback
chased together) share one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.buttons import Button

MAX_ITEM_ROWS = 8  # more items than this: one "show all" button instead of one per item
JOIN = " · "  # between an item's name and what is said of it, and between two such sayings


@dataclass(frozen=True)
class Listing:
    """A notice's place in a list: under ``heading``, the item's ``line``; ``show_all`` opens the
    reader's list of items. ``name`` (the start of ``line``: light, code, title) and ``tag`` (the
    short name: light and code) let a message name an item once; empty for a line that stands
    whole."""

    heading: str
    line: str
    show_all: Button
    name: str = ""
    tag: str = ""

    @classmethod
    def of(cls, heading: str, name: str, tag: str, said: str, show_all: Button) -> Listing:
        """The listing of an item named ``name`` (short: ``tag``) of which ``said`` is said."""
        return cls(heading, f"{name}{JOIN}{said}", show_all, name, tag)

    @property
    def said(self) -> str:
        """What the line says of the item, after its name (the whole line when not split)."""
        if self.name and self.line.startswith(self.name + JOIN):
            return self.line[len(self.name) + len(JOIN) :]
        return self.line

    @property
    def key(self) -> str:
        """The item the line is about, as the list tells items apart."""
        return self.name if self.said != self.line else self.line

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "heading": self.heading,
            "line": self.line,
            "show_all": self.show_all.as_json(),
        }
        if self.name:
            data |= {"name": self.name, "tag": self.tag}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Listing | None:
        """The listing a notification row keeps (None: none, or not one this code reads)."""
        if not isinstance(data, dict):
            return None
        heading, line, more = data.get("heading"), data.get("line"), data.get("show_all")
        if not isinstance(heading, str) or not isinstance(line, str) or not isinstance(more, dict):
            return None
        name, tag = data.get("name", ""), data.get("tag", "")
        if not isinstance(name, str) or not isinstance(tag, str):
            name, tag = "", ""
        return cls(heading, line, Button(str(more.get("text", "")), more.get("data")), name, tag)


def listed_text(listings: Sequence[Listing]) -> str:
    """The message listing ``listings``: each heading once (in the order first met), under it
    one line per item (what is said of one item twice under one heading joined on its line), one
    blank line between headings; an item already named in the message goes by its short name."""
    sections: dict[str, dict[str, list[Listing]]] = {}
    for listing in listings:
        lines = sections.setdefault(listing.heading, {}).setdefault(listing.key, [])
        if all(other.said != listing.said for other in lines):
            lines.append(listing)
    named: set[str] = set()
    parts = []
    for heading, items in sections.items():
        rows = [heading]
        for key, said in items.items():
            first = said[0]
            if first.said == first.line:  # a line that stands whole
                rows.append(first.line)
                continue
            name = first.tag if key in named and first.tag else first.name
            named.add(key)
            rows.append(JOIN.join([name, *(s.said for s in said)]))
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def listed_buttons(
    entries: Sequence[tuple[str | None, Listing, list[list[Button]]]],
) -> list[list[Button]]:
    """The buttons of a listed message from its ``(item ref, listing, the notice's own button
    rows)`` entries: each item's own buttons (its code before each label, each button once), one
    row per item, when there are few items; else each "show all" met, one row each."""
    rows: dict[str | None, list[Button]] = {}
    for ref, _, own in entries:
        row = rows.setdefault(ref, [])
        for button in (b for line in own for b in line):
            if all((b.data, b.url) != (button.data, button.url) for b in row):
                row.append(button)
    if len(rows) > MAX_ITEM_ROWS:
        more = dict.fromkeys((listing.show_all for _, listing, _ in entries))
        return [[button] for button in more]
    return [[_labelled(b, ref) for b in row] for ref, row in rows.items() if row]


def _labelled(button: Button, ref: str | None) -> Button:
    """``button`` with the item's code before its label."""
    return Button(f"{ref} · {button.text}" if ref else button.text, button.data, button.url)
