"""An item's escalation level: the highest ladder level whose notices have actually been
DELIVERED for its current due date. The deliverer refreshes it when an escalation is sent; the
sweep when the due date changes (an approved extension resets it to 0)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.occasions import basis_due
from domain.records import ItemRecord
from domain.vocabulary import NotificationStatus
from services.outbox.kinds import ESCALATION
from storage.models import Item, Notification


async def delivered_levels(session: AsyncSession, items: Sequence[ItemRecord]) -> dict[int, int]:
    """Each item's highest level delivered for its current due date (absent: none)."""
    rows = await session.execute(
        select(Notification.item_id, Notification.basis, func.max(Notification.level))
        .where(
            Notification.item_id.in_([item.id for item in items]),
            Notification.kind == ESCALATION,
            Notification.status == NotificationStatus.SENT,
        )
        .group_by(Notification.item_id, Notification.basis)
    )
    current = {item.id: basis_due(item.due_date) for item in items}
    return {
        item_id: int(level or 0)
        for item_id, basis, level in rows
        if item_id is not None and current.get(item_id) == basis
    }


async def refresh_escalation_level(session: AsyncSession, item: Item) -> int:
    """The item's level: the highest level delivered for its current due date (0 if none)."""
    item.escalation_level = (await delivered_levels(session, [item])).get(item.id, 0)
    return item.escalation_level
