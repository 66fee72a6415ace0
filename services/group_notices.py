"""Messages to work groups (工作群): the policy's routes resolved to bound groups, queued in the
outbox as notifications addressed to a group, and the fall-back to private messages when a
group is lost (the bot removed or blocked there).

A use case that tells people about something the policy routes to a group (``GroupTopic``)
calls :func:`to_groups` first: it queues one copy per live group and answers whether each
person should still get it privately (the route says so, no group is bound, or the item is
confidential: 内部 items never go to a group).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button, buttons_from_json
from domain.vocabulary import GroupKind, GroupTopic, NotificationStatus, Role
from services.outbox.queue import enqueue
from services.recipients import office_people, unit_people
from services.runtime import Runtime
from storage.models import Item, Notification, Person, PersonRole, WorkGroup
from texts import Text

log = logging.getLogger("duban.groups")


@dataclass(frozen=True)
class GroupMessage:
    """What a group gets: its notification kind, key, text and buttons (in the group's
    language, the deployment's)."""

    kind: str
    key: str
    text: Callable[[Text], str]
    buttons: Callable[[Text], list[list[Button]]] | None = None
    level: int = 0
    basis: str | None = None
    photo_path: str | None = None
    document_id: int | None = None  # an official document sent with it (sendDocument)


async def live_groups(
    session: AsyncSession, kind: GroupKind, unit_ids: Sequence[int] = ()
) -> list[WorkGroup]:
    """The bound, working groups of ``kind`` (for units: of ``unit_ids``)."""
    query = select(WorkGroup).where(WorkGroup.kind == kind, WorkGroup.broken_at.is_(None))
    if kind is GroupKind.UNIT:
        query = query.where(WorkGroup.unit_id.in_(list(unit_ids)))
    return list(await session.scalars(query.order_by(WorkGroup.id)))


async def to_groups(
    rt: Runtime,
    session: AsyncSession,
    topic: GroupTopic,
    message: GroupMessage,
    *,
    item: Item | None = None,
    unit_ids: Sequence[int] = (),
    not_before: datetime | None = None,
) -> bool:
    """Queue ``message`` to the groups the policy routes ``topic`` to; whether the people
    should still get it privately."""
    route = rt.policy.groups.route(topic)
    if route.group is None or (item is not None and item.confidential):
        return True
    groups = await live_groups(session, route.group, unit_ids)
    if not groups:
        return True
    for group in groups:
        await _enqueue_to(rt, session, group, message, item, not_before)
    return route.private


async def _enqueue_to(
    rt: Runtime,
    session: AsyncSession,
    group: WorkGroup,
    message: GroupMessage,
    item: Item | None,
    not_before: datetime | None,
) -> None:
    """Queue ``message`` to ``group`` in the group's language; once per group and key."""
    now = rt.clock.now()
    t = rt.text(None)
    await enqueue(
        session,
        key=f"{message.key}|group:{group.id}"[:200],
        person_id=None,
        group_id=group.id,
        item_id=item.id if item is not None else None,
        kind=message.kind,
        level=message.level,
        text=message.text(t),
        buttons=message.buttons(t) if message.buttons is not None else None,
        photo_path=message.photo_path,
        document_id=message.document_id,
        basis=message.basis,
        not_before=not_before or now,
        created_at=now,
    )


async def office_forum(session: AsyncSession) -> WorkGroup | None:
    """The office's group when it is a forum (topics on) and working."""
    groups = await live_groups(session, GroupKind.OFFICE)
    return next((group for group in groups if group.forum), None)


async def to_item_topic(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    message: GroupMessage,
    *,
    not_before: datetime | None = None,
) -> None:
    """One thread per item: in an office group that is a forum, a copy of every message about
    ``item`` goes into the item's own topic (the sender opens it on first use), so the office
    reads the item's whole story in one place. A confidential item never goes there. A message
    routed to the office's group anyway is not queued twice (same key)."""
    if item.confidential:
        return
    group = await office_forum(session)
    if group is not None:
        await _enqueue_to(rt, session, group, message, item, not_before)


async def group_people(session: AsyncSession, group: WorkGroup) -> list[Person]:
    """Who gets a group's messages privately when the group is lost: a unit's contacts and
    head, the office, or the leaders."""
    if group.kind == GroupKind.UNIT and group.unit_id is not None:
        return await unit_people(session, group.unit_id)
    if group.kind == GroupKind.OFFICE:
        return await office_people(session)
    return list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role.in_([Role.PRINCIPAL, Role.DEPUTY]), Person.active)
            .order_by(Person.id)
            .distinct()
        )
    )


async def fall_back(
    session: AsyncSession, group: WorkGroup, notifications: Sequence[Notification], now: datetime
) -> int:
    """Send privately, to the group's people, what could not reach the group; how many
    notifications were queued. The group's own notifications end as unreachable."""
    people = await group_people(session, group)
    queued = 0
    for notification in notifications:
        notification.status = NotificationStatus.UNREACHABLE
        notification.claimed_until = None
        for person in people:
            queued += await enqueue(
                session,
                key=f"{notification.key}|private:{person.id}"[:200],
                person_id=person.id,
                item_id=notification.item_id,
                kind=notification.kind,
                level=notification.level,
                text=notification.text,
                buttons=buttons_from_json(notification.buttons),
                photo_path=notification.photo_path,
                basis=notification.basis,
                not_before=now,
                created_at=now,
            )
    log.warning("group_fell_back", extra={"group": group.id, "queued": queued})
    return queued
