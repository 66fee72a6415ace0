"""The sweep's items and their shares as plain rows: only the columns a pass reads, loaded with
one Core select each (no ORM objects: a pass reads tens of thousands of attributes, and an
instrumented one costs ten times a plain slot)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.vocabulary import AssignmentRole, AssignmentStatus, ItemStatus
from storage.models import Assignment, Item


@dataclass(slots=True)
class SweptItem:
    """An item as the sweep reads it (``domain.records.ItemRecord``)."""

    id: int
    ref: str
    code: str
    title: str
    body: str
    source: str
    time_class: str
    status: ItemStatus
    leader_id: int | None
    due_date: date | None
    due_at: datetime | None
    acknowledge_by: datetime | None
    plan_by: datetime | None
    first_feedback_by: datetime | None
    dispatched_at: datetime | None
    closed_at: datetime | None
    follow_up_on: date | None
    created_at: datetime
    archived_at: datetime | None
    confidential: bool
    reopened_at: datetime | None
    rectify_plan_by: datetime | None
    escalation_level: int
    inspection: bool


@dataclass(frozen=True, slots=True)
class SweptShare:
    """A unit's share of an item as the sweep reads it (``domain.records.ShareRecord``)."""

    id: int
    item_id: int
    unit_id: int
    role: AssignmentRole
    status: AssignmentStatus
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    last_report_at: datetime | None
    completed_at: datetime | None


ITEMS = cast(Table, Item.__table__)
SHARES = cast(Table, Assignment.__table__)
ITEM_COLUMNS = [ITEMS.c[f.name] for f in fields(SweptItem)]
SHARE_COLUMNS = [SHARES.c[f.name] for f in fields(SweptShare)]


async def load_items(session: AsyncSession, ids: Collection[int]) -> dict[int, SweptItem]:
    """The items ``ids`` by id, in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(*ITEM_COLUMNS).where(ITEMS.c.id.in_(ids)))
    return {row[0]: SweptItem(*row) for row in rows}
