"""What one message to a chat holds: which of the chat's due notifications go together, and the
text, buttons and file of the message they make.

A round of the sender sends one message per chat. Notifications of a mergeable kind (before-due
and report reminders, digests) due to one chat at once are joined into that message, each in
full between separators. Ladder notices (escalations, urges) and chases (催签收, a deadline's
reminder, 催报 and the notice upward) due to one chat at once are listed (``domain.listing``):
under each heading (a level's, a chase's), one line per item, with a button per item or, for a
long list, one that opens the reader's list of items; an urging notice's document (a unit's,
the same for all its items) goes with the list. What does not fit waits for the chat's
next turn, so a backlog reaches a phone in as few messages as Telegram's length allows.

Lengths are counted as Telegram counts them (UTF-16 units of the text after the HTML is
parsed) and kept under :data:`MAX_TEXT`, short of Telegram's 4096.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.buttons import buttons_from_json
from domain.listing import Listing, listed_buttons, listed_text
from domain.text import CAPTION_MAX, clip_html, visible_len
from services.outbox.claims import AttachedDocument, Outgoing
from services.outbox.kinds import LISTED, MERGEABLE

log = logging.getLogger("duban.delivery")

MAX_TEXT = 3800  # merged text, in UTF-16 units after HTML parsing (Telegram's limit: 4096)
MAX_ROWS = 8
SEPARATOR = "\n\n— — —\n\n"


def keyboard(rows: list[Any]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    built = [
        [
            InlineKeyboardButton(b["text"], url=b["url"])
            if "url" in b
            else InlineKeyboardButton(b["text"], callback_data=b["data"])
            for b in row
        ]
        for row in rows
    ]
    built = [row for row in built if row]
    return InlineKeyboardMarkup(built) if built else None


def merged_rows(group: list[Outgoing]) -> list[Any]:
    """Buttons of a message: one notification's own; a list's (see ``domain.listing``); else
    each notification's rows, labels prefixed with the ref."""
    if len(group) == 1:
        return group[0].buttons
    if is_list(group):
        entries = [(o.item_ref, _listing(o), buttons_from_json(o.buttons)) for o in group]
        return [[b.as_json() for b in row] for row in listed_buttons(entries)]
    rows: list[Any] = []
    for out in group:
        for row in out.buttons:
            rows.append(
                [{**b, "text": f"{out.item_ref} · {b['text']}"} if out.item_ref else b for b in row]
            )
    return rows


def message_text(group: list[Outgoing]) -> str:
    """The text of a message: one notification's own, a list (ladder notices, chases), or the
    notifications joined between separators."""
    if len(group) > 1 and is_list(group):
        return listed_text([_listing(o) for o in group])
    return SEPARATOR.join(o.text for o in group)


def merged_length(group: list[Outgoing]) -> int:
    """Length of the message as Telegram counts it (UTF-16, tags out)."""
    return visible_len(message_text(group))


def group_document(group: list[Outgoing]) -> AttachedDocument | None:
    """The official document that goes with the message (one at most per message)."""
    return next((o.document for o in group if o.document is not None), None)


def document_caption(text: str, name: str) -> str:
    """A file's caption: the message's first line (the item's code and title, or a list's
    heading) and the file's name, so that the file says what it belongs to in the chat list."""
    header = text.split("\n", 1)[0]
    return fitted(f"{header}\n📄 {html.escape(name)}", CAPTION_MAX)


def fitted(text: str, limit: int) -> str:
    """The text, or (logged) the text cut to ``limit`` between tags and entities."""
    if visible_len(text) <= limit:
        return text
    log.warning("notification_clipped", extra={"length": visible_len(text), "limit": limit})
    return clip_html(text, limit)


def is_list(group: list[Outgoing]) -> bool:
    return all(listable(o) for o in group)


def listable(out: Outgoing) -> bool:
    return out.kind in LISTED and out.listing is not None and out.photo_path is None


def _listing(out: Outgoing) -> Listing:
    assert out.listing is not None
    return out.listing


def _joins(group: list[Outgoing], out: Outgoing) -> bool:
    """Whether ``out`` goes into the message of ``group`` (to the same chat)."""
    first = group[0]
    if out.forum and out.item_id != first.item_id:  # one topic per item
        return False
    if listable(first) and listable(out):
        documents = {o.document.id for o in (*group, out) if o.document is not None}
        return len(documents) <= 1 and merged_length([*group, out]) <= MAX_TEXT
    return (
        first.kind in MERGEABLE
        and out.kind in MERGEABLE
        and first.photo_path is None
        and out.photo_path is None
        and first.document is None
        and out.document is None
        and merged_length([*group, out]) <= MAX_TEXT
        and sum(len(o.buttons) for o in group) + len(out.buttons) <= MAX_ROWS
    )


def plan_groups(outs: list[Outgoing]) -> tuple[list[list[Outgoing]], list[Outgoing]]:
    """One message per chat: the first notification, with what can merge into it; the rest
    of that chat's notifications wait for its next turn. A list, once full, takes nothing more
    (what follows waits, in its order, rather than filling the gap out of turn); a list is of
    several items (several notices of one item go one by one, each in full)."""
    by_chat: dict[tuple[str, int], list[Outgoing]] = {}
    full: set[tuple[str, int]] = set()
    groups: list[list[Outgoing]] = []
    later: list[Outgoing] = []
    for out in outs:
        addressee = out.addressee
        if addressee is None:
            groups.append([out])
            continue
        group = by_chat.get(addressee)
        if group is None:
            group = [out]
            by_chat[addressee] = group
            groups.append(group)
        elif addressee not in full and _joins(group, out):
            group.append(out)
        else:
            if listable(group[0]) and listable(out):
                full.add(addressee)
            later.append(out)
    for group in groups:
        group.sort(key=lambda o: (o.not_before, o.id))  # merged: in the order they were due
        if len(group) > 1 and is_list(group) and len({o.item_id for o in group}) == 1:
            later += group[1:]  # one item's notices: each in full, one a turn, not a list
            del group[1:]
    return groups, later
