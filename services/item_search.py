"""Finding items for lists and the API: by status, unit, light and overdue, with paging."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain.views import ItemView
from domain.vocabulary import ItemStatus, Light
from services.runtime import Runtime
from services.views import item_view
from storage.models import Assignment, Item, Unit


@dataclass(frozen=True)
class ItemFilter:
    status: ItemStatus | None = None
    unit: str | None = None
    light: Light | None = None
    overdue: bool | None = None


async def search_items(
    rt: Runtime, where: ItemFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[ItemView], int]:
    """Matching items, newest first, one page of them, and how many match in all.

    Lights and overdue are derived from the dates at this moment, so they filter after loading.
    """
    now = rt.clock.now()
    query = select(Item).order_by(Item.id.desc())
    if where.status is not None:
        query = query.where(Item.status == str(where.status))
    if where.unit is not None:
        query = query.where(
            Item.id.in_(
                select(Assignment.item_id)
                .join(Unit, Unit.id == Assignment.unit_id)
                .where(Unit.key == where.unit)
            )
        )
    async with rt.db.session() as session:
        items = list(await session.scalars(query))
        derived = where.light is not None or where.overdue is not None
        if not derived:
            page = items[offset : offset + limit]
            return [await item_view(session, item, now, rt.policy) for item in page], len(items)
        views = [await item_view(session, item, now, rt.policy) for item in items]
    if where.light is not None:
        views = [view for view in views if view.light == where.light]
    if where.overdue is not None:
        views = [view for view in views if view.overdue == where.overdue]
    return views[offset : offset + limit], len(views)
