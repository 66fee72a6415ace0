"""One batch of the sweep, as a transaction: the due items it claims first, and what it writes
last (its notifications, its timeline entries, each item's new state).

Claiming: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` (another sweep's items are passed
over), on SQLite a conditional UPDATE ... RETURNING that takes the write lock before anything is
read; so two sweeps never handle one item at once, and what is read about a claimed item is
current. The writes are plain driver statements (``storage.bulk``): multi-row inserts of values
converted once, not SQLAlchemy's per-parameter executemany, and not ORM bulk operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.recipients import Addressee
from services.outbox.queue import NOTIFICATIONS
from storage.bulk import insert_rows, update_rows
from storage.models import Item, TimelineEvent

ITEMS = cast(Table, Item.__table__)
TIMELINE = cast(Table, TimelineEvent.__table__)


async def claim_due(
    session: AsyncSession, now: datetime, failed: set[int], only: list[int] | None, limit: int
) -> list[tuple[int, datetime]]:
    """Take up to ``limit`` due items (or those of ``only`` still due), leaving out ``failed``,
    for this transaction: (id, the ``next_check_at`` it had), earliest first. Until the
    transaction ends no other sweep can take them, and what is read about them afterwards is
    current."""
    items = ITEMS
    where = [items.c.next_check_at <= now]
    if only is not None:
        where.append(items.c.id.in_(only))
    if failed:
        where.append(items.c.id.not_in(failed))
    due = (
        select(items.c.id, items.c.next_check_at)
        .where(*where)
        .order_by(items.c.next_check_at, items.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Row locks; items another sweep holds are passed over, not waited for. NO KEY UPDATE
        # (key_share), the lock an UPDATE of the item takes: rows that only point at an item
        # (timeline, notifications) may still be written meanwhile.
        rows = await session.execute(due.with_for_update(skip_locked=True, key_share=True))
    else:
        # SQLite: the write lock is taken by this first statement, before anything is read, so
        # the rows it returns are current and no other writer gets in until the commit.
        rows = await session.execute(
            update(items)
            .where(items.c.id.in_(due.with_only_columns(items.c.id)))
            .values(next_check_at=items.c.next_check_at)
            .returning(items.c.id, items.c.next_check_at)
        )
    return sorted(((item_id, seen) for item_id, seen in rows), key=lambda row: (row[1], row[0]))


@dataclass
class QueuedEntry:
    """A timeline entry written when at least one of its notifications was new: ``describe``
    gives its detail and data from the people whose notifications were."""

    keys: list[tuple[str, Addressee]]  # (notification key, its addressee)
    escalation: bool
    item_id: int
    at: datetime
    kind: str
    unit_id: int | None
    describe: Callable[[list[Addressee]], tuple[str, dict[str, Any]]]

    def event(self, queued: list[Addressee]) -> dict[str, Any]:
        detail, data = self.describe(queued)
        return timeline_row(
            self.item_id, self.at, self.kind, unit_id=self.unit_id, detail=detail, data=data
        )


@dataclass
class SweepWrites:
    """What a batch writes, in order: notifications, timeline entries, the items' new state."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any] | QueuedEntry] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: SweepWrites) -> None:
        self.notifications.extend(other.notifications)
        self.entries.extend(other.entries)
        self.items.extend(other.items)

    def keep_item(
        self, item_id: int, next_check: datetime | None, level: int, inspection: bool
    ) -> None:
        """The item's new state: when to look again, its escalation level, its inspection mark."""
        self.items.append(
            {
                "id": item_id,
                "next_check_at": next_check,
                "escalation_level": level,
                "inspection": inspection,
            }
        )


def timeline_row(
    item_id: int, at: datetime, kind: str, *, unit_id: int | None = None, detail: str, data: Any
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "at": at,
        "kind": kind,
        "actor_id": None,
        "unit_id": unit_id,
        "detail": detail,
        "data": data,
    }


@dataclass
class Written:
    """How many notifications a batch's writes added, reminders and escalations."""

    reminders: int = 0
    escalations: int = 0


async def write(session: AsyncSession, writes: SweepWrites) -> Written:
    """Insert the notifications (those already queued are skipped), the timeline entries (a
    queued entry only for its new notifications), and update the items."""
    conn = await session.connection()
    added = set(await insert_rows(conn, NOTIFICATIONS, writes.notifications, returning="key"))
    written = Written()
    events: list[dict[str, Any]] = []
    for entry in writes.entries:
        if isinstance(entry, QueuedEntry):
            queued = [person for key, person in entry.keys if key in added]
            if queued:
                events.append(entry.event(queued))
                if entry.escalation:
                    written.escalations += len(queued)
                else:
                    written.reminders += len(queued)
        else:
            events.append(entry)
    await insert_rows(conn, TIMELINE, events)
    await update_rows(conn, ITEMS, "id", writes.items)
    return written
