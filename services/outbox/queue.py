"""The outbox: notifications written in the same transaction as the change that causes them.

A notification's ``key`` names its occasion (item, person, kind, level or occasion); queueing
the same key twice — a re-run, a second process, a retry after a crash — adds nothing. An item
that ends (closed, archived, withdrawn) cancels what is still queued for it
(:func:`cancel_queued`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack, cast

from sqlalchemy import ColumnElement, Table, select, update
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
    person_id: int | None  # None: to a work group (``group_id``)
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
    group_id: int | None
    listing: dict[str, Any] | None


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
        "group_id": fields.get("group_id"),
        "listing": fields.get("listing"),
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


async def lock_notifications(session: AsyncSession, *where: ColumnElement[bool]) -> list[int]:
    """The ids of the notifications matching ``where``, locked in id order (PostgreSQL).

    Every write that touches several notifications takes their rows this way first: two
    transactions that lock overlapping rows in the same order wait for each other instead of
    deadlocking (a plain multi-row UPDATE locks in whatever order its scan meets them).
    SQLite locks the whole database, so the select only finds the ids there."""
    query = select(Notification.id).where(*where).order_by(Notification.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list(await session.scalars(query))


async def cancel_queued(session: AsyncSession, item_id: int) -> int:
    """Cancel every notification about the item not yet sent (a claimed one too: its sender
    records the send if it already went out); how many. Called in the transaction that ends the
    item, before its own notices are queued."""
    ids = await lock_notifications(
        session,
        Notification.item_id == item_id,
        Notification.status == NotificationStatus.PENDING,
    )
    if not ids:
        return 0
    result = await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.CANCELLED, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
