"""The end of an item's life in chat: archiving (立卷归档) after the follow-up, and withdrawing
(撤销督办) an item the office takes back."""

from __future__ import annotations

from domain.i18n import N_
from domain.views import ItemView
from texts import Text
from texts.items import header, user_text

ARCHIVE = N_("📁 Archive (立卷归档)")


def follow_up_none_done(t: Text) -> str:
    return t(N_("No follow-up check. Archive the item when its file is complete."))


def followed_up_done(t: Text) -> str:
    return t(N_("✅ Follow-up done: the result holds. Archive the item when its file is complete."))


def archived_done(t: Text, item: ItemView) -> str:
    return "\n".join(
        [
            header(t, item),
            t(
                N_(
                    "📁 Archived (立卷归档). The item is read-only now and no longer on the "
                    "working lists; find it with /item {ref}."
                ),
                ref=item.ref,
            ),
        ]
    )


def withdrawn_notice(t: Text, item: ItemView, *, reason: str) -> str:
    return "\n".join(
        [
            header(t, item),
            t(N_("↩️ The office has withdrawn this item (撤销督办): nothing more is needed.")),
            user_text(t, reason),
        ]
    )
