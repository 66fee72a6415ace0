"""storage.bulk: many rows written as plain driver statements read back as the ORM wrote them,
a row whose key exists is skipped (and not reported new), and an update reaches each row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from domain.buttons import Button
from domain.vocabulary import NotificationStatus
from services.outbox.queue import NOTIFICATIONS, enqueue, notification_row
from storage.bulk import MAX_PARAMETERS, insert_rows, update_rows
from storage.db import Database
from storage.models import Notification

AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
EXISTING = (0, 999, 1_999)


def _fields(n: int) -> dict[str, Any]:
    return {
        "key": f"bulk:{n}",
        "person_id": None,
        "kind": "before_due",
        "text": f"第{n}条 <b>提醒</b>",
        "buttons": [[Button("详情", f"det:B{n}")]],
        "not_before": AT + timedelta(minutes=n % 3),
        "created_at": AT,
        "late": n % 2 == 0,
        "basis": "due:2026-11-24",
        "listing": {"heading": "h", "line": str(n)} if n % 5 == 0 else None,
    }


async def test_many_rows_in_several_statements_skip_existing_keys(db: Database) -> None:
    rows = [notification_row(**_fields(n)) for n in range(2_000)]
    assert len(rows) * len(rows[0]) > MAX_PARAMETERS  # more than one statement's worth
    async with db.session() as session:
        for n in EXISTING:  # already queued: skipped, not reported new
            assert await enqueue(session, **_fields(n))
        await session.commit()
    async with db.session() as session:
        added = await insert_rows(await session.connection(), NOTIFICATIONS, rows, returning="key")
        await session.commit()
    assert sorted(added) == sorted(f"bulk:{n}" for n in range(2_000) if n not in EXISTING)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 2_000
        stored = await session.scalar(select(Notification).where(Notification.key == "bulk:5"))
        other = await session.scalar(select(Notification).where(Notification.key == "bulk:6"))
    assert stored is not None and other is not None
    assert stored.text == "第5条 <b>提醒</b>"
    assert stored.buttons == [[{"text": "详情", "data": "det:B5"}]]
    assert stored.listing == {"heading": "h", "line": "5"}
    assert stored.not_before == AT + timedelta(minutes=2)
    assert stored.created_at == AT
    assert stored.status is NotificationStatus.PENDING
    assert stored.late is False and stored.basis == "due:2026-11-24"
    assert other.listing is None and other.late is True and other.not_before == AT


async def test_update_rows_sets_each_row(db: Database) -> None:
    rows = [notification_row(**_fields(n)) for n in range(10)]
    async with db.session() as session:
        await insert_rows(await session.connection(), NOTIFICATIONS, rows)
        ids = list(await session.scalars(select(Notification.id).order_by(Notification.id)))
        changes = [
            {"id": i, "attempts": n, "not_before": AT + timedelta(days=n), "late": False}
            for n, i in enumerate(ids)
        ]
        await update_rows(await session.connection(), NOTIFICATIONS, "id", changes)
        await session.commit()
    async with db.session() as session:
        found = (
            await session.execute(
                select(Notification.attempts, Notification.not_before, Notification.late).order_by(
                    Notification.id
                )
            )
        ).all()
    assert [tuple(row) for row in found] == [(n, AT + timedelta(days=n), False) for n in range(10)]
