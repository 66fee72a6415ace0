"""Claimed: taking the due notifications for one sender, as a lease.

Claiming is safe across processes: candidate rows are read (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and taken with a conditional UPDATE ... RETURNING, so a row is claimed by one
worker only; a claim is a lease (``claimed_until``) that a crashed worker's successor waits out.

A claim is a lease between instances, so it is taken, renewed and judged expired by the
database server's clock (:func:`storage.server_clock.server_time`, in the statement), never an
instance's: one an hour fast would otherwise take every live claim and send it again, one an hour
slow would keep a dead sender's claims for an hour. A notification's ``not_before`` is another
thing: the product's moment to send (a reminder's time, a retry's backoff), which stays on the
injected clock, as every rule of the product does.

A claimed notification whose occasion has passed (its item closed, its basis changed) is
cancelled instead of handed out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.chases import parse_basis
from domain.documents import file_name
from domain.listing import Listing
from domain.occasions import basis_due
from domain.reminders import is_late
from domain.vocabulary import ItemStatus, NotificationStatus
from services.chases import still_owed
from services.outbox.kinds import LISTED
from services.outbox.queue import lock_notifications
from services.runtime import Runtime
from services.views import OPEN_STATUSES
from storage.models import Assignment, Document, Item, Notification, Person, WorkGroup
from storage.server_clock import server_time

log = logging.getLogger("duban.delivery")

PENDING = NotificationStatus.PENDING
LISTED_MORE = 400  # a chat's further listed notices claimed with one of them, to list together


@dataclass(frozen=True)
class AttachedDocument:
    """An official document sent with a notification: its stored .docx, the name it is sent
    under, and its PDF when one was made."""

    id: int
    path: str
    name: str
    pdf_path: str | None


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
    document: AttachedDocument | None = None  # an official document sent with the message
    group_id: int | None = None
    forum: bool = False  # to a forum work group: about an item, it goes into the item's topic
    listing: Listing | None = None  # its place in a list of notices (``domain.listing``)

    @property
    def addressee(self) -> tuple[str, int] | None:
        """Whom it goes to: ("person", id) or ("group", id); None for neither."""
        if self.person_id is not None:
            return ("person", self.person_id)
        return ("group", self.group_id) if self.group_id is not None else None

    def is_late(self, now: datetime) -> bool:
        """Sent long after its moment: the process was down, paused, or quiet hours held it."""
        return self.late or (self.attempts == 0 and is_late(self.not_before, now))


def _free() -> Any:
    """Not claimed, or its claim has run out by the database server's clock."""
    return or_(Notification.claimed_until.is_(None), Notification.claimed_until < server_time())


async def claim(
    rt: Runtime,
    *,
    limit: int,
    lease: timedelta,
    skip_people: frozenset[int] = frozenset(),
    skip_groups: frozenset[int] = frozenset(),
) -> list[Outgoing]:
    """Take up to ``limit`` due notifications, oldest first, leaving out ``skip_people``
    (chats that must wait). Reminders that no longer fit their item are cancelled here.

    ``now`` (the injected clock) says which notifications are due; the claims themselves run
    on the database's clock (see the module's docstring)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        taken = await _take(session, now, limit, lease, skip_people, skip_groups)
        if taken is None:
            await session.rollback()
            return []
        taken |= await _take_listed(session, now, taken, lease)
        rows = (
            await session.execute(
                select(
                    Notification,
                    func.coalesce(Person.telegram_chat_id, WorkGroup.chat_id),
                    Item.ref,
                    WorkGroup.forum,
                    Document,
                )
                .outerjoin(Person, Person.id == Notification.person_id)
                .outerjoin(WorkGroup, WorkGroup.id == Notification.group_id)
                .outerjoin(Item, Item.id == Notification.item_id)
                .outerjoin(Document, Document.id == Notification.document_id)
                .where(Notification.id.in_(taken))
                .order_by(Notification.created_at, Notification.id)
                .execution_options(populate_existing=True)
            )
        ).all()
        out = []
        for notification, chat_id, ref, forum, document in rows:
            if not await still_wanted(session, notification, rt):
                notification.status = NotificationStatus.CANCELLED
                notification.claimed_until = None
                continue
            out.append(
                _outgoing(notification, chat_id, ref, _attached(document), forum=bool(forum))
            )
        await session.commit()
    return out


async def _take(
    session: AsyncSession,
    now: datetime,
    limit: int,
    lease: timedelta,
    skip: frozenset[int],
    skip_groups: frozenset[int],
) -> set[int] | None:
    """Lease up to ``limit`` due notifications, not those to the people in ``skip``; their ids
    (None: none was due)."""
    query = (
        select(Notification.id)
        .where(
            Notification.status == PENDING,
            Notification.not_before <= now,
            _free(),
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
    if skip_groups:
        query = query.where(
            or_(Notification.group_id.is_(None), Notification.group_id.not_in(skip_groups))
        )
    return await _lease_rows(session, query, lease) or None


async def _take_listed(
    session: AsyncSession, now: datetime, taken: set[int], lease: timedelta
) -> set[int]:
    """With a chat's listed notice (ladder notices, chases), the rest of that chat's due listed
    notices (up to :data:`LISTED_MORE`), so that a backlog goes as one list, not one message per
    batch."""
    addressees = (
        await session.execute(
            select(Notification.person_id, Notification.group_id)
            .where(
                Notification.id.in_(taken),
                Notification.kind.in_(LISTED),
                Notification.listing.is_not(None),
            )
            .distinct()
        )
    ).all()
    more: set[int] = set()
    for person_id, group_id in addressees:
        to = (
            Notification.person_id == person_id
            if person_id is not None
            else Notification.group_id == group_id
        )
        query = (
            select(Notification.id)
            .where(
                to,
                Notification.status == PENDING,
                Notification.not_before <= now,
                Notification.kind.in_(LISTED),
                Notification.listing.is_not(None),
                Notification.id.not_in(taken),
                _free(),
            )
            .order_by(Notification.created_at, Notification.id)
            .limit(LISTED_MORE)
        )
        more |= await _lease_rows(session, query, lease)
    return more


async def _lease_rows(session: AsyncSession, query: Any, lease: timedelta) -> set[int]:
    """Lease the pending rows ``query`` selects (skipping locked ones on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(await session.scalars(query))
    if not candidates:
        return set()
    return set(
        await session.scalars(
            update(Notification)
            .where(
                Notification.id.in_(candidates),
                Notification.status == PENDING,
                _free(),
            )
            .values(claimed_until=server_time(lease))
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )


def _attached(document: Document | None) -> AttachedDocument | None:
    if document is None:
        return None
    return AttachedDocument(
        document.id, document.path, file_name(document.kind, document.number), document.pdf_path
    )


def _outgoing(
    notification: Notification,
    chat_id: int | None,
    ref: str | None,
    document: AttachedDocument | None,
    *,
    forum: bool = False,
) -> Outgoing:
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
        document=document,
        not_before=notification.not_before,
        attempts=notification.attempts,
        late=notification.late,
        created_at=notification.created_at,
        group_id=notification.group_id,
        forum=forum,
        listing=Listing.from_json(notification.listing),
    )


async def still_wanted(session: AsyncSession, notification: Notification, rt: Runtime) -> bool:
    """Whether a queued notification still fits its item (else it is cancelled): nothing is
    sent about an archived item; a reminder or escalation needs the item open, the due date it
    counted from still the due date, the receipt it chased still missing, the plan, feedback or
    periodic report it chases still owed."""
    if notification.item_id is None:
        return True
    item = await session.get(Item, notification.item_id)
    if item is not None and item.status is ItemStatus.ARCHIVED:
        return False  # filed: nothing more is said about it (one queued meanwhile included)
    if notification.basis is None:
        return True
    if item is None or item.status not in OPEN_STATUSES:
        return False
    kind, _, value = notification.basis.partition(":")
    if kind == "due":
        return basis_due(item.due_date) == notification.basis
    if kind == "ack":
        assignment = await session.get(Assignment, int(value))
        return assignment is not None and assignment.acknowledged_at is None
    owed = parse_basis(notification.basis)
    if owed is not None:
        return await still_owed(session, rt, item, owed)
    return True


async def release(rt: Runtime, ids: list[int]) -> None:
    """Give claimed notifications back untouched (their chat must wait)."""
    await _lease(rt, ids, None)


async def extend(rt: Runtime, ids: list[int], lease: timedelta) -> None:
    """Keep the claim on notifications still being worked on."""
    await _lease(rt, ids, lease)


async def _lease(rt: Runtime, ids: list[int], lease: timedelta | None) -> None:
    """Claim pending notifications for ``lease`` from now by the database's clock (None: give
    them back)."""
    if not ids:
        return
    async with rt.db.session() as session:
        until = server_time(lease) if lease is not None else None
        locked = await lock_notifications(
            session, Notification.id.in_(ids), Notification.status == PENDING
        )
        await session.execute(
            update(Notification).where(Notification.id.in_(locked)).values(claimed_until=until)
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
