"""The outbox's side of delivery: claiming what is due, and recording what became of it.

The sender (``bot.delivery``) talks to Telegram; everything it learns lands here, one unit of
work each: sent (with the message id; the escalation level follows what was delivered), to be
retried (counted per notification; after the policy's ``max_attempts`` it is failed and the
office is told), unreachable (the person is marked, the office is told once a day, and the
message goes to the next person in line: contact → unit head → office, as a new notification
whose key is derived from the original).

Claiming is safe across processes: candidate rows are read (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and taken with a conditional UPDATE ... RETURNING, so a row is claimed by one
worker only; a claim is a lease (``claimed_until``) that a crashed worker's successor waits out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button
from domain.deadlines import local_date
from domain.occasions import basis_due
from domain.quiet_hours import hold_until
from domain.recipients import Addressee
from domain.reminders import is_late
from domain.vocabulary import NotificationStatus
from services.escalation_level import refresh_escalation_level
from services.notification_kinds import ESCALATION, FORWARDED, OFFICE_ALERT
from services.outbox import enqueue
from services.runtime import Runtime
from services.sweep_people import directory, item_units
from services.timeline import Kind, record
from services.views import OPEN_STATUSES
from storage.models import Assignment, Item, Notification, Person
from texts import Text
from texts import reminders as texts

log = logging.getLogger("duban.delivery")

PENDING = NotificationStatus.PENDING


@dataclass(frozen=True)
class Outgoing:
    """A claimed notification, with what the sender needs."""

    id: int
    person_id: int | None
    chat_id: int | None
    kind: str
    text: str
    buttons: list[Any]
    photo_path: str | None
    item_id: int | None
    item_ref: str | None
    not_before: datetime
    attempts: int
    late: bool
    created_at: datetime

    def is_late(self, now: datetime) -> bool:
        """Sent long after its moment: the process was down, paused, or quiet hours held it."""
        return self.late or (self.attempts == 0 and is_late(self.not_before, now))


def _free(now: datetime) -> Any:
    return or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)


async def claim(
    rt: Runtime,
    *,
    limit: int,
    lease: timedelta,
    skip_people: frozenset[int] = frozenset(),
) -> list[Outgoing]:
    """Take up to ``limit`` due notifications, oldest first, leaving out ``skip_people``
    (chats that must wait). Reminders that no longer fit their item are cancelled here."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        taken = await _take(session, now, limit, lease, skip_people)
        if taken is None:
            await session.rollback()
            return []
        rows = (
            await session.execute(
                select(Notification, Person.telegram_chat_id, Item.ref)
                .outerjoin(Person, Person.id == Notification.person_id)
                .outerjoin(Item, Item.id == Notification.item_id)
                .where(Notification.id.in_(taken))
                .order_by(Notification.created_at, Notification.id)
                .execution_options(populate_existing=True)
            )
        ).all()
        out = []
        for notification, chat_id, ref in rows:
            if not await still_wanted(session, notification):
                notification.status = NotificationStatus.CANCELLED
                notification.claimed_until = None
                continue
            out.append(_outgoing(notification, chat_id, ref))
        await session.commit()
    return out


async def _take(
    session: AsyncSession, now: datetime, limit: int, lease: timedelta, skip: frozenset[int]
) -> set[int] | None:
    """Lease up to ``limit`` due notifications, not those to the people in ``skip``; their ids
    (None: none was due)."""
    query = (
        select(Notification.id)
        .where(
            Notification.status == PENDING,
            Notification.not_before <= now,
            _free(now),
        )
        # Oldest first among those due: a notification that waited (a chat's flood wait, a
        # retry, quiet hours) goes before younger ones, not behind the whole backlog.
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    )
    if skip:
        query = query.where(
            or_(Notification.person_id.is_(None), Notification.person_id.not_in(skip))
        )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(await session.scalars(query))
    if not candidates:
        return None
    return set(
        await session.scalars(
            update(Notification)
            .where(
                Notification.id.in_(candidates),
                Notification.status == PENDING,
                _free(now),
            )
            .values(claimed_until=now + lease)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )


def _outgoing(notification: Notification, chat_id: int | None, ref: str | None) -> Outgoing:
    return Outgoing(
        id=notification.id,
        person_id=notification.person_id,
        chat_id=chat_id,
        kind=notification.kind,
        text=notification.text,
        buttons=list(notification.buttons or []),
        photo_path=notification.photo_path,
        item_id=notification.item_id,
        item_ref=ref,
        not_before=notification.not_before,
        attempts=notification.attempts,
        late=notification.late,
        created_at=notification.created_at,
    )


async def still_wanted(session: AsyncSession, notification: Notification) -> bool:
    """Whether a queued reminder or escalation still fits its item (else it is cancelled):
    the item is open, the due date it counted from is still the due date, the receipt it
    chased is still missing."""
    if notification.basis is None or notification.item_id is None:
        return True
    item = await session.get(Item, notification.item_id)
    if item is None or item.status not in OPEN_STATUSES:
        return False
    kind, _, value = notification.basis.partition(":")
    if kind == "due":
        return basis_due(item.due_date) == notification.basis
    if kind == "ack":
        assignment = await session.get(Assignment, int(value))
        return assignment is not None and assignment.acknowledged_at is None
    return True


async def release(rt: Runtime, ids: list[int]) -> None:
    """Give claimed notifications back untouched (their chat must wait)."""
    await _lease(rt, ids, None)


async def extend(rt: Runtime, ids: list[int], lease: timedelta) -> None:
    """Keep the claim on notifications still being worked on."""
    await _lease(rt, ids, lease)


async def _lease(rt: Runtime, ids: list[int], lease: timedelta | None) -> None:
    """Claim pending notifications for ``lease`` from now (None: give them back)."""
    if not ids:
        return
    async with rt.db.session() as session:
        until = rt.clock.now() + lease if lease is not None else None
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == PENDING)
            .values(claimed_until=until)
        )
        await session.commit()


async def pending_due(rt: Runtime) -> int:
    """How many notifications are due now and not yet sent (claimed ones included)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.status == PENDING, Notification.not_before <= now)
        )
    return int(count or 0)


async def mark_sent(rt: Runtime, sent: list[Outgoing], message_id: int) -> None:
    """Delivered (several when merged into one message): state, timeline, escalation level."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        escalated = {out.item_id for out in sent if out.kind == ESCALATION and out.item_id}
        if escalated:
            # The items' rows first, as the sweep takes them (it claims an item, then inserts its
            # notifications, an insert that waits for our update of a conflicting one): in the
            # other order the two deadlock on PostgreSQL, and an aborted mark_sent would send the
            # message again.
            await session.execute(
                select(Item.id).where(Item.id.in_(escalated)).order_by(Item.id).with_for_update()
            )
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
        for out in outs:
            notification = await _attempted(session, out, error[:500])
            await _fail(rt, session, notification, now)
        await session.commit()
    rt.wake_outbox()


async def park(rt: Runtime, person_id: int, until: datetime) -> int:
    """Hold every pending notification of one person until ``until`` (their chat's flood wait)."""
    async with rt.db.session() as session:
        result = await session.execute(
            update(Notification)
            .where(
                Notification.person_id == person_id,
                Notification.status == PENDING,
                Notification.not_before < until,
            )
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
    that could not be delivered; once per ``key`` and office member."""
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
                    buttons=_buttons(notification.buttons),
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


def _buttons(rows: list[Any] | None) -> list[list[Button]]:
    return [
        [Button(b["text"], b.get("data"), b.get("url")) for b in row if isinstance(b, dict)]
        for row in rows or []
    ]
