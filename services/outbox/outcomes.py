"""Recorded: what became of each message the sender tried, one unit of work each.

Sent (with the message id; the escalation level follows what was delivered), to be retried
(counted per notification; after the policy's ``max_attempts`` it is failed and the office is
told), unreachable (the person is marked, the office is told once a day, and the message goes to
the next person in line: contact → unit head → office, as a new notification whose key is
derived from the original).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import buttons_from_json
from domain.deadlines import local_date
from domain.quiet_hours import hold_until
from domain.recipients import Addressee
from domain.vocabulary import GroupTopic, NotificationStatus
from services.escalation_level import refresh_escalation_level
from services.group_notices import GroupMessage, to_groups
from services.outbox.claims import PENDING, Outgoing
from services.outbox.kinds import ESCALATION, FORWARDED, OFFICE_ALERT
from services.outbox.queue import enqueue, lock_notifications
from services.runtime import Runtime
from services.sweep_people import directory, item_units
from services.timeline import Kind, record
from services.work_groups import lose
from storage.models import Item, Notification, Person, WorkGroup
from texts import Text
from texts import reminders as texts

log = logging.getLogger("duban.delivery")


async def mark_sent(rt: Runtime, sent: list[Outgoing], message_id: int) -> None:
    """Delivered (several when merged into one message): state, timeline, escalation level."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        escalated = {out.item_id for out in sent if out.kind == ESCALATION and out.item_id}
        if escalated:
            # The items' rows first, as the sweep takes them (it claims an item, then inserts its
            # notifications, an insert that waits for our update of a conflicting one): in the
            # other order the two deadlock on PostgreSQL, and an aborted mark_sent would send the
            # message again. FOR NO KEY UPDATE (key_share): what an UPDATE of the level takes
            # anyway, so another delivery writing these items' timeline (a foreign key check's
            # KEY SHARE lock) goes on instead of deadlocking with us.
            await session.execute(
                select(Item.id)
                .where(Item.id.in_(escalated))
                .order_by(Item.id)
                .with_for_update(key_share=True)
            )
        await _lock(session, sent)
        items: set[int] = set()
        for out in sent:
            notification = await _attempted(session, out)
            notification.status = NotificationStatus.SENT
            notification.message_id = message_id
            notification.sent_at = now
            notification.late = out.is_late(now)
            if notification.item_id is not None and notification.basis is not None:
                record(
                    session,
                    item_id=notification.item_id,
                    at=now,
                    kind=Kind.DELIVERED,
                    detail=f"{notification.kind}" + (" (late)" if notification.late else ""),
                    data={
                        "notification": notification.id,
                        "person": notification.person_id,
                        "late": notification.late,
                        "level": notification.level,
                    },
                )
                if notification.kind == ESCALATION:
                    items.add(notification.item_id)
        person_ids = {out.person_id for out in sent if out.person_id is not None}
        if person_ids:
            await session.execute(
                update(Person)
                .where(Person.id.in_(person_ids), Person.unreachable_at.is_not(None))
                .values(unreachable_at=None)
            )
        for item_id in items:
            item = await session.get_one(Item, item_id)
            await refresh_escalation_level(session, item)
        await session.commit()


async def _lock(session: AsyncSession, outs: list[Outgoing]) -> None:
    """Lock the claimed notifications' rows in id order before changing them one by one."""
    if len(outs) > 1:
        await lock_notifications(session, Notification.id.in_([out.id for out in outs]))


async def _attempted(
    session: AsyncSession, out: Outgoing, error: str | None = None
) -> Notification:
    """The claimed notification after an attempt: counted and no longer claimed; ``error``,
    when given, kept as its last error."""
    notification = await session.get_one(Notification, out.id)
    notification.attempts += 1
    notification.claimed_until = None
    if error is not None:
        notification.last_error = error
    return notification


async def retry_later(
    rt: Runtime, outs: list[Outgoing], error: str, delay: timedelta
) -> list[Outgoing]:
    """A failed attempt: counted; tried again after ``delay``, or failed after the last one.

    Returns the notifications that are now failed.
    """
    now = rt.clock.now()
    failed = []
    async with rt.db.session() as session:
        await _lock(session, outs)
        for out in outs:
            notification = await _attempted(session, out, error[:500])
            if notification.attempts >= rt.policy.delivery.max_attempts:
                await _fail(rt, session, notification, now)
                failed.append(out)
            else:
                notification.not_before = max(notification.not_before, now + delay)
        await session.commit()
    if failed:
        rt.wake_outbox()
    return failed


async def fail_now(rt: Runtime, outs: list[Outgoing], error: str) -> None:
    """A failure that retrying cannot mend (the message itself is refused)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        await _lock(session, outs)
        for out in outs:
            notification = await _attempted(session, out, error[:500])
            await _fail(rt, session, notification, now)
        await session.commit()
    rt.wake_outbox()


async def park(rt: Runtime, person_id: int, until: datetime) -> int:
    """Hold every pending notification of one person until ``until`` (their chat's flood wait)."""
    async with rt.db.session() as session:
        locked = await lock_notifications(
            session,
            Notification.person_id == person_id,
            Notification.status == PENDING,
            Notification.not_before < until,
        )
        result = await session.execute(
            update(Notification)
            .where(Notification.id.in_(locked))
            .values(not_before=until, claimed_until=None)
        )
        await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _person_name(session: AsyncSession, person_id: int | None) -> str:
    if person_id is None:
        return ""
    person = await session.get(Person, person_id)
    return person.name if person else ""


async def _fail(
    rt: Runtime, session: AsyncSession, notification: Notification, now: datetime
) -> None:
    notification.status = NotificationStatus.FAILED
    name = await _person_name(session, notification.person_id)
    code = None
    if notification.item_id is not None:
        item = await session.get(Item, notification.item_id)
        code = item.code if item else None
        record(
            session,
            item_id=notification.item_id,
            at=now,
            kind=Kind.DELIVERY_FAILED,
            detail=f"{notification.kind} → {name}",
            data={
                "notification": notification.id,
                "person": notification.person_id,
                "error": notification.last_error,
                "attempts": notification.attempts,
            },
        )
    log.error(
        "notification_failed",
        extra={"notification": notification.id, "attempts": notification.attempts},
    )
    if notification.kind == OFFICE_ALERT:
        return  # never alert about an alert
    await _alert_office(
        rt,
        session,
        notification,
        about=notification.person_id,
        key=f"failed|notification:{notification.id}",
        text=partial(texts.failed_alert, name=name, code=code, attempts=notification.attempts),
        now=now,
    )


async def _alert_office(
    rt: Runtime,
    session: AsyncSession,
    notification: Notification,
    *,
    about: int | None,
    key: str,
    text: Callable[[Text], str],
    now: datetime,
) -> None:
    """Tell the office (but not ``about``, the person the alert is about) of a notification
    that could not be delivered; once per ``key`` and office member, or to the office's group
    when the policy sends delivery failures there."""
    alert = GroupMessage(OFFICE_ALERT, key, text)
    item = await session.get(Item, notification.item_id) if notification.item_id else None
    if not await to_groups(rt, session, GroupTopic.DELIVERY_FAILURE, alert, item=item):
        return
    people = await directory(session)
    for office in people.office:
        if office.id == about:
            continue
        await enqueue(
            session,
            key=f"{key}|office:{office.id}",
            person_id=office.id,
            item_id=notification.item_id,
            kind=OFFICE_ALERT,
            text=text(rt.text(office.locale)),
            not_before=hold_until(now, rt.policy.quiet_hours, rt.tz),
            created_at=now,
        )


async def next_in_line(session: AsyncSession, notification: Notification) -> list[Addressee]:
    """Who gets a message its addressee cannot receive: a contact's goes to the unit head, a
    head's (or anyone else's) to the office; nobody after the office."""
    people = await directory(session)
    person_id = notification.person_id
    office = [p for p in people.office if p.id != person_id]
    if any(p.id == person_id for p in people.office):
        return []
    if notification.item_id is None:
        return []
    item = await session.get(Item, notification.item_id)
    if item is None:
        return office
    for unit in await item_units(session, item):
        if any(c.id == person_id for c in unit.contacts):
            if unit.head is not None and unit.head.id != person_id:
                return [unit.head]
            return office
    return office


async def unreachable(rt: Runtime, outs: list[Outgoing], reason: str) -> None:
    """Blocked, chat not found, never joined: mark, tell the office, pass the message on."""
    now = rt.clock.now()
    blocked = reason == "blocked"
    async with rt.db.session() as session:
        await _lock(session, outs)
        for out in outs:
            notification = await _attempted(session, out, reason)
            notification.status = NotificationStatus.UNREACHABLE
            person = (
                await session.get(Person, notification.person_id)
                if notification.person_id
                else None
            )
            name = person.name if person else ""
            if person is not None and person.unreachable_at is None:
                person.unreachable_at = now
            following = await next_in_line(session, notification)
            if notification.item_id is not None:
                record(
                    session,
                    item_id=notification.item_id,
                    at=now,
                    kind=Kind.UNREACHABLE,
                    detail=f"{notification.kind} → {name} ({reason})"
                    + (f" ⇒ {', '.join(p.name for p in following)}" if following else ""),
                    data={
                        "notification": notification.id,
                        "person": notification.person_id,
                        "reason": reason,
                        "next": [p.id for p in following],
                    },
                )
            for receiver in following:
                t = rt.text(receiver.locale)
                await enqueue(
                    session,
                    key=f"{notification.key}|fwd:{receiver.id}"[:200],
                    person_id=receiver.id,
                    item_id=notification.item_id,
                    kind=FORWARDED if notification.kind != ESCALATION else ESCALATION,
                    level=notification.level,
                    text=texts.forwarded(t, name, notification.text),
                    buttons=buttons_from_json(notification.buttons),
                    not_before=hold_until(now, rt.policy.quiet_hours, rt.tz),
                    created_at=now,
                    basis=notification.basis,
                )
            if notification.kind == OFFICE_ALERT or person is None:
                continue
            next_name = ", ".join(p.name for p in following) or None
            today = local_date(now, rt.tz).isoformat()
            await _alert_office(
                rt,
                session,
                notification,
                about=person.id,
                key=f"unreachable|person:{person.id}|{today}",
                text=partial(
                    texts.unreachable_alert, name=name, blocked=blocked, next_name=next_name
                ),
                now=now,
            )
        await session.commit()
    rt.wake_outbox()


async def group_migrated(rt: Runtime, outs: list[Outgoing], new_chat_id: int) -> None:
    """A group became a supergroup: its binding takes the new id, the messages go again."""
    group_id = outs[0].group_id
    async with rt.db.session() as session:
        group = await session.get(WorkGroup, group_id) if group_id is not None else None
        if group is not None:
            group.chat_id = new_chat_id
        for out in outs:
            notification = await session.get_one(Notification, out.id)
            notification.claimed_until = None
        await session.commit()
    rt.wake_outbox()


async def group_lost(rt: Runtime, group_id: int) -> None:
    """The bot was removed from a group: its binding breaks, its messages go privately."""
    async with rt.db.session() as session:
        group = await session.get(WorkGroup, group_id)
        if group is not None and group.broken_at is None:
            await lose(rt, session, group)
        await session.commit()
    rt.wake_outbox()
