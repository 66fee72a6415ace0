"""A unit's share of an item (承办): loading an item's shares, finding the acting person's own,
and receipt (签收), which a unit's first report also implies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import Actor, own_unit
from domain.lifecycle import AssignmentAction, ItemAction, apply, apply_assignment
from services.execution_errors import NotYourUnit
from services.timeline import Kind, record
from storage.models import Assignment, Item


async def assignments_of(session: AsyncSession, item_id: int) -> list[Assignment]:
    return list(
        await session.scalars(
            select(Assignment).where(Assignment.item_id == item_id).order_by(Assignment.id)
        )
    )


def own_assignment(actor: Actor, assignments: Sequence[Assignment]) -> Assignment:
    """The actor's unit's share of the item (as contact or head), or NotYourUnit."""
    unit_id = own_unit(actor, [a.unit_id for a in assignments])
    if unit_id is None:
        raise NotYourUnit()
    return next(a for a in assignments if a.unit_id == unit_id)


def move_share(assignment: Assignment, action: AssignmentAction) -> None:
    """The unit's share's lifecycle move; a Conflict when its status does not allow it."""
    assignment.status = apply_assignment(assignment.status, action)


def mark_received(
    session: AsyncSession,
    item: Item,
    assignment: Assignment,
    actor: Actor,
    now: datetime,
    *,
    data: dict[str, Any] | None = None,
) -> None:
    """签收: the item and the unit's share move on, and the timeline records who received it."""
    item.status = apply(item.status, ItemAction.ACKNOWLEDGE)
    move_share(assignment, AssignmentAction.ACKNOWLEDGE)
    assignment.acknowledged_at = now
    assignment.acknowledged_by_id = actor.person_id
    record(
        session,
        item_id=item.id,
        at=now,
        kind=Kind.ACKNOWLEDGED,
        actor_id=actor.person_id,
        unit_id=assignment.unit_id,
        data=data,
    )
