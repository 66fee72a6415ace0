"""The outbox: notifications written in the same transaction as the change that causes them.

A notification's ``key`` names its occasion (item, person, kind, level or occasion); queueing
the same key twice — a re-run, a second process, a retry after a crash — adds nothing. An item
that ends (closed, archived, withdrawn) cancels what is still queued for it
(:func:`cancel_queued`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack, cast

from sqlalchemy import Table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button
from domain.vocabulary import NotificationStatus
from storage.models import Notification

NOTIFICATIONS = cast(Table, Notification.__table__)


def notification_key(*parts: object) -> str:
    """``item:17|person:4|remind|due-3d``-style keys, stable across runs."""
    return "|".join(str(part) for part in parts)


class _Required(TypedDict):
    key: str
    person_id: int
    kind: str
    text: str
    not_before: datetime
    created_at: datetime


class NotificationFields(_Required, total=False):
    """What a use case says about a notification it queues."""

    buttons: list[list[Button]] | None
    item_id: int | None
    level: int
    photo_path: str | None
    document_id: int | None
    late: bool
    basis: str | None


def notification_row(**fields: Unpack[NotificationFields]) -> dict[str, Any]:
    """The row :func:`enqueue` and :func:`enqueue_many` write."""
    return {
        "key": fields["key"],
        "person_id": fields["person_id"],
        "item_id": fields.get("item_id"),
        "kind": fields["kind"],
        "level": fields.get("level", 0),
        "text": fields["text"],
        "buttons": [[button.as_json() for button in row] for row in (fields.get("buttons") or [])],
        "photo_path": fields.get("photo_path"),
        "document_id": fields.get("document_id"),
        "status": NotificationStatus.PENDING,
        "not_before": fields["not_before"],
        "attempts": 0,
        "late": fields.get("late", False),
        "basis": fields.get("basis"),
        "created_at": fields["created_at"],
    }


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(NOTIFICATIONS).on_conflict_do_nothing(index_elements=["key"])


async def enqueue_many(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Queue many :func:`notification_row` rows in one statement; the keys that were new."""
    if not rows:
        return set()
    statement = _insert(session).returning(NOTIFICATIONS.c.key)
    return set((await session.execute(statement, rows)).scalars())


async def enqueue(session: AsyncSession, **fields: Unpack[NotificationFields]) -> bool:
    """Queue one notification; False when one with this key already exists."""
    result = await session.execute(_insert(session).values(**notification_row(**fields)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_queued(session: AsyncSession, item_id: int) -> int:
    """Cancel every notification about the item not yet sent (a claimed one too: its sender
    records the send if it already went out); how many. Called in the transaction that ends the
    item, before its own notices are queued."""
    result = await session.execute(
        update(Notification)
        .where(Notification.item_id == item_id, Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.CANCELLED, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
