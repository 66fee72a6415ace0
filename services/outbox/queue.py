"""The outbox: notifications written in the same transaction as the change that causes them.

A notification's ``key`` names its occasion (item, person, kind, level or occasion); queueing
the same key twice — a re-run, a second process, a retry after a crash — adds nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button
from storage.models import Notification

NOTIFICATIONS = cast(Table, Notification.__table__)


def notification_key(*parts: object) -> str:
    """``item:17|person:4|remind|due-3d``-style keys, stable across runs."""
    return "|".join(str(part) for part in parts)


def notification_row(
    *,
    key: str,
    person_id: int,
    kind: str,
    text: str,
    not_before: datetime,
    created_at: datetime,
    buttons: list[list[Button]] | None = None,
    item_id: int | None = None,
    level: int = 0,
    photo_path: str | None = None,
    late: bool = False,
    basis: str | None = None,
) -> dict[str, Any]:
    """The row :func:`enqueue` and :func:`enqueue_many` write."""
    return {
        "key": key,
        "person_id": person_id,
        "item_id": item_id,
        "kind": kind,
        "level": level,
        "text": text,
        "buttons": [[button.as_json() for button in row] for row in (buttons or [])],
        "photo_path": photo_path,
        "status": "pending",
        "not_before": not_before,
        "attempts": 0,
        "late": late,
        "basis": basis,
        "created_at": created_at,
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


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    person_id: int,
    kind: str,
    text: str,
    not_before: datetime,
    created_at: datetime,
    buttons: list[list[Button]] | None = None,
    item_id: int | None = None,
    level: int = 0,
    photo_path: str | None = None,
    late: bool = False,
    basis: str | None = None,
) -> bool:
    """Queue one notification; False when one with this key already exists."""
    values = notification_row(
        key=key,
        person_id=person_id,
        kind=kind,
        text=text,
        not_before=not_before,
        created_at=created_at,
        buttons=buttons,
        item_id=item_id,
        level=level,
        photo_path=photo_path,
        late=late,
        basis=basis,
    )
    result = await session.execute(_insert(session).values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]
