"""内部 (confidential) items: the office marks an item internal, or open again, on the console.

An internal item never goes to any work group, only to the people themselves; what is still
queued for a group about it when it is marked goes to the group's people privately instead.
An archived item is read-only and keeps its mark.
"""

from __future__ import annotations

from sqlalchemy import select

from domain.errors import Conflict
from domain.i18n import N_
from domain.views import ItemView
from domain.vocabulary import NotificationStatus
from services.group_notices import fall_back
from services.items import Origin, require_office
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import find_item, item_view
from storage.models import Notification, WorkGroup


class ArchivedItem(Conflict):
    key = N_("{code} is archived: it can no longer be changed.")


async def set_confidential(rt: Runtime, origin: Origin, ref: str, confidential: bool) -> ItemView:
    """Mark the item internal (内部) or open; the timeline records who did it."""
    require_office(origin)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        if item.archived_at is not None:
            raise ArchivedItem(code=item.code)
        if item.confidential != confidential:
            item.confidential = confidential
            item.updated_at = now
            moved = 0
            if confidential:
                queued = await session.scalars(
                    select(Notification).where(
                        Notification.item_id == item.id,
                        Notification.group_id.is_not(None),
                        Notification.status == NotificationStatus.PENDING,
                    )
                )
                for notification in list(queued):
                    group = await session.get_one(WorkGroup, notification.group_id)
                    moved += await fall_back(session, group, [notification], now)
            record(
                session,
                item_id=item.id,
                at=now,
                kind=Kind.CONFIDENTIAL if confidential else Kind.NOT_CONFIDENTIAL,
                actor_id=origin.person_id,
                data={"private": moved},
            )
        view = await item_view(session, item, now, rt.policy)
        await session.commit()
    if confidential:
        rt.wake_outbox()
    return view
