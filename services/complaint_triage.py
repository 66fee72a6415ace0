"""Anonymous complaints (投诉举报), the office's side: seeing them and triaging each one.

The office triages each complaint: accept (an item with source 群众投诉), merge (into another
complaint or an item), reject (the reason is the answer), or answer directly. An accepted or
merged complaint is answered when its item closes (:func:`answer_from_closing`). Complaints
merged into another follow it: its item, and its answer once it has one.

What the complainant does (filing, tracking) is in :mod:`services.complaints`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.complaints import (
    SETTLED,
    ComplaintNotFound,
    ItemAlreadyClosed,
    MergeIntoItself,
    MergeTargetUnknown,
    NotNew,
    answer_text,
)
from domain.deadlines import local_date
from domain.errors import NotFound
from domain.views import ItemView
from domain.vocabulary import ComplaintCategory, ComplaintStatus, ItemStatus
from services.complaint_ratings import Feedback, feedback_json, feedback_of
from services.items import ItemDraft, Origin, register_item, require_office
from services.outbox.queue import notification_key
from services.runtime import Runtime
from services.views import find_item
from storage.models import (
    Attachment,
    Complaint,
    ComplaintNote,
    ComplaintRating,
    Item,
    Notification,
    WorkGroup,
)

log = logging.getLogger("duban.complaints")


@dataclass(frozen=True)
class NoteView:
    from_office: bool
    text: str
    created_on: date


@dataclass(frozen=True)
class ComplaintView:
    """What the office sees."""

    id: int
    public_id: str
    category: ComplaintCategory
    place: str
    text: str
    status: ComplaintStatus
    created_on: date
    answer: str | None
    reason: str | None
    item_ref: str | None
    merged_into: str | None
    photos: tuple[str, ...]  # paths under the media directory
    notes: tuple[NoteView, ...] = field(default_factory=tuple)
    feedback: Feedback | None = None  # the complainant's latest rating and its review


def complaint_json(view: ComplaintView) -> dict[str, object]:
    return {
        "public_id": view.public_id,
        "category": str(view.category),
        "place": view.place,
        "text": view.text,
        "status": str(view.status),
        "created_on": view.created_on.isoformat(),
        "answer": view.answer,
        "reason": view.reason,
        "item": view.item_ref,
        "merged_into": view.merged_into,
        "photos": len(view.photos),
        "notes": [
            {"from_office": n.from_office, "text": n.text, "created_on": n.created_on.isoformat()}
            for n in view.notes
        ],
        "satisfaction": feedback_json(view.feedback),
    }


@dataclass(frozen=True)
class GroupCopy:
    """A complaint's message as a work group got it: where it is, and its text."""

    chat_id: int
    message_id: int
    text: str


# --- reading --------------------------------------------------------------------------------


async def group_copies(rt: Runtime, public_id: str) -> list[GroupCopy]:
    """The complaint's messages (with their triage buttons) in live work groups, so that who
    triaged it can be written on them and a colleague sees it is done."""
    async with rt.db.session() as session:
        complaint = await _by_public_id(session, public_id)
        prefix = notification_key("complaint", complaint.id, "")
        rows = await session.execute(
            select(WorkGroup.chat_id, Notification.message_id, Notification.text)
            .join(WorkGroup, WorkGroup.id == Notification.group_id)
            .where(
                Notification.key.startswith(prefix, autoescape=True),
                Notification.kind == "complaint",
                Notification.message_id.is_not(None),
                WorkGroup.broken_at.is_(None),
            )
            .order_by(Notification.id)
        )
        return [GroupCopy(chat, message, text) for chat, message, text in rows if message]


async def _by_public_id(session: AsyncSession, public_id: str) -> Complaint:
    cleaned = public_id.strip().upper()
    complaint = await session.scalar(select(Complaint).where(Complaint.public_id == cleaned))
    if complaint is None:
        raise ComplaintNotFound(id=cleaned[:20])
    return complaint


async def _view(session: AsyncSession, complaint: Complaint) -> ComplaintView:
    item_ref = (
        await session.scalar(select(Item.ref).where(Item.id == complaint.item_id))
        if complaint.item_id
        else None
    )
    merged_into = (
        await session.scalar(
            select(Complaint.public_id).where(Complaint.id == complaint.merged_into_id)
        )
        if complaint.merged_into_id
        else None
    )
    photos = await session.scalars(
        select(Attachment.path)
        .where(Attachment.complaint_id == complaint.id)
        .order_by(Attachment.id)
    )
    notes = await session.scalars(
        select(ComplaintNote)
        .where(ComplaintNote.complaint_id == complaint.id)
        .order_by(ComplaintNote.id)
    )
    return ComplaintView(
        id=complaint.id,
        public_id=complaint.public_id,
        category=ComplaintCategory(complaint.category),
        place=complaint.place,
        text=complaint.text,
        status=complaint.status,
        created_on=complaint.created_on,
        answer=complaint.answer,
        reason=complaint.reason,
        item_ref=item_ref,
        merged_into=merged_into,
        photos=tuple(photos),
        notes=tuple(NoteView(n.from_office, n.text, n.created_on) for n in notes),
        feedback=(await feedback_of(session, complaint))[0],
    )


async def list_complaints(
    rt: Runtime, origin: Origin, status: ComplaintStatus | None = None
) -> list[ComplaintView]:
    require_office(origin)
    async with rt.db.session() as session:
        query = select(Complaint).order_by(Complaint.id)
        if status is not None:
            query = query.where(Complaint.status == str(status))
        return [await _view(session, c) for c in await session.scalars(query)]


async def get_complaint(rt: Runtime, origin: Origin, public_id: str) -> ComplaintView:
    require_office(origin)
    async with rt.db.session() as session:
        return await _view(session, await _by_public_id(session, public_id))


# --- triage ---------------------------------------------------------------------------------


def _require_new(complaint: Complaint) -> None:
    if complaint.status != ComplaintStatus.NEW:
        raise NotNew(id=complaint.public_id, status=complaint.status)


async def _propagate(session: AsyncSession, complaint: Complaint, now: datetime) -> None:
    """Complaints merged into this one follow it: its item, and its answer once it has one."""
    values: dict[str, object] = {"item_id": complaint.item_id, "updated_at": now}
    if complaint.status in SETTLED:
        values.update(status=complaint.status, answer=complaint.answer, reason=complaint.reason)
    await session.execute(
        update(Complaint)
        .where(
            Complaint.merged_into_id == complaint.id,
            Complaint.status == ComplaintStatus.MERGED,
        )
        .values(**values)
    )


async def accept_complaint(
    rt: Runtime, origin: Origin, public_id: str, draft: ItemDraft, *, dispatch: bool = True
) -> tuple[ComplaintView, ItemView]:
    """Turn the complaint into an item with source 群众投诉; the office wrote what units see.

    Nothing of the complainant goes with it: the item is linked only from the complaint.
    """
    require_office(origin)
    async with rt.db.session() as session:
        _require_new(await _by_public_id(session, public_id))
    item = await register_item(rt, origin, draft, dispatch=dispatch)
    now = rt.clock.now()
    async with rt.db.session() as session:
        complaint = await _by_public_id(session, public_id)
        done = await session.execute(
            update(Complaint)
            .where(Complaint.id == complaint.id, Complaint.status == ComplaintStatus.NEW)
            .values(status=ComplaintStatus.ACCEPTED, item_id=item.id, updated_at=now)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            # Someone else triaged it meanwhile; the new item stands, the office decides.
            log.warning("complaint_accept_raced", extra={"complaint": complaint.public_id})
            raise NotNew(id=complaint.public_id, status=complaint.status)
        await session.refresh(complaint)
        await _propagate(session, complaint, now)
        await session.commit()
        view = await _view(session, complaint)
    log.info("complaint_accepted", extra={"complaint": view.public_id, "item": item.ref})
    return view, item


async def merge_complaint(rt: Runtime, origin: Origin, public_id: str, into: str) -> ComplaintView:
    """Join a new complaint to another complaint (by its id) or to an item (by its ref)."""
    require_office(origin)
    now = rt.clock.now()
    async with rt.db.session() as session:
        complaint = await _by_public_id(session, public_id)
        _require_new(complaint)
        target = await _merge_target(session, into)
        if target is not None:
            _join_complaint(complaint, target)
        else:
            await _join_item(session, complaint, into)
        complaint.updated_at = now
        # Whatever was merged into this complaint follows it to the same place.
        await session.execute(
            update(Complaint)
            .where(Complaint.merged_into_id == complaint.id)
            .values(
                merged_into_id=complaint.merged_into_id,
                item_id=complaint.item_id,
                status=complaint.status,
                answer=complaint.answer,
                reason=complaint.reason,
                updated_at=now,
            )
        )
        await session.commit()
        view = await _view(session, complaint)
    log.info("complaint_merged", extra={"complaint": view.public_id})
    return view


async def _merge_target(session: AsyncSession, into: str) -> Complaint | None:
    """The complaint ``into`` names, or the one it was itself merged into; None if none."""
    target = await session.scalar(
        select(Complaint).where(Complaint.public_id == into.strip().upper())
    )
    while (
        target is not None
        and target.merged_into_id is not None
        and target.status == ComplaintStatus.MERGED
    ):
        target = await session.get_one(Complaint, target.merged_into_id)
    return target


def _join_complaint(complaint: Complaint, target: Complaint) -> None:
    """Merged into ``target``: its item, and its answer if it has one."""
    if target.id == complaint.id:
        raise MergeIntoItself()
    complaint.merged_into_id = target.id
    complaint.item_id = target.item_id
    if target.status in SETTLED:
        complaint.status = target.status
        complaint.answer = target.answer
        complaint.reason = target.reason
    else:
        complaint.status = ComplaintStatus.MERGED


async def _join_item(session: AsyncSession, complaint: Complaint, into: str) -> None:
    """Merged into the item ``into`` names, which must still be open."""
    try:
        item = await find_item(session, into)
    except NotFound:
        raise MergeTargetUnknown(into=into.strip()[:40]) from None
    if item.status in (ItemStatus.CLOSED, ItemStatus.ARCHIVED):
        raise ItemAlreadyClosed(ref=item.ref)
    complaint.item_id = item.id
    complaint.status = ComplaintStatus.MERGED


async def reject_complaint(
    rt: Runtime, origin: Origin, public_id: str, reason: str
) -> ComplaintView:
    """Not taken up; the reason is what the complainant reads."""
    return await _office_concludes(rt, origin, public_id, ComplaintStatus.REJECTED, reason)


async def answer_complaint(
    rt: Runtime, origin: Origin, public_id: str, answer: str
) -> ComplaintView:
    """The office answers directly (also after accepting, or to correct an answer)."""
    return await _office_concludes(rt, origin, public_id, ComplaintStatus.ANSWERED, answer)


async def _office_concludes(
    rt: Runtime, origin: Origin, public_id: str, status: ComplaintStatus, text: str
) -> ComplaintView:
    """The office's last word on a complaint: it rejects only a new one; it answers a merged one
    by answering the whole group (the one it was merged into, and its followers)."""
    require_office(origin)
    cleaned = answer_text(text)
    now = rt.clock.now()
    async with rt.db.session() as session:
        complaint = await _by_public_id(session, public_id)
        if status is ComplaintStatus.REJECTED:
            _require_new(complaint)
        elif complaint.status == ComplaintStatus.MERGED and complaint.merged_into_id is not None:
            complaint = await session.get_one(Complaint, complaint.merged_into_id)
        await _conclude(rt, session, complaint, status, cleaned, now)
        await session.commit()
        view = await _view(session, await _by_public_id(session, public_id))
    log.info(f"complaint_{status.value}", extra={"complaint": view.public_id})
    return view


async def _conclude(
    rt: Runtime,
    session: AsyncSession,
    complaint: Complaint,
    status: ComplaintStatus,
    text: str,
    now: datetime,
) -> None:
    """The complaint answered (a rejection's reason is its answer), kept as the office's note;
    the complaints merged into it take the same answer."""
    complaint.status = status
    if status is ComplaintStatus.REJECTED:
        complaint.reason = text
    complaint.answer = text
    complaint.updated_at = now
    session.add(
        ComplaintNote(
            complaint_id=complaint.id,
            from_office=True,
            text=text,
            created_on=local_date(now, rt.tz),
        )
    )
    await _propagate(session, complaint, now)


async def answer_from_closing(
    session: AsyncSession, item_id: int, answer: str, now: datetime
) -> int:
    """When an item that came from complaints closes, their answer is the closing's.

    Called in the closing's unit of work; returns how many complaints were answered.
    """
    result = await session.execute(
        update(Complaint)
        .where(
            Complaint.item_id == item_id,
            Complaint.status.in_([ComplaintStatus.ACCEPTED, ComplaintStatus.MERGED]),
        )
        .values(status=ComplaintStatus.ANSWERED, answer=answer, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def adopt_item(session: AsyncSession, complaint: Complaint, now: datetime) -> None:
    """An answered complaint given an item (``complaint.item_id`` set) on review: it and those
    merged into it are being handled by that item, and the ratings of the old answer no longer
    stand."""
    await _propagate(session, complaint, now)
    await handling_again_from_reopening(session, complaint.item_id or 0, now)


async def handling_again_from_reopening(session: AsyncSession, item_id: int, now: datetime) -> None:
    """When an item that came from complaints is reopened (整改, by a follow-up check or a
    review), its answered complaints are being handled again, merged ones staying merged, and
    the ratings of the answer they had no longer stand: the next answer may be rated."""
    on_item = select(Complaint.id).where(Complaint.item_id == item_id).scalar_subquery()
    await session.execute(
        update(ComplaintRating)
        .where(ComplaintRating.complaint_id.in_(on_item))
        .values(superseded=True)
    )
    for merged, status in ((False, ComplaintStatus.ACCEPTED), (True, ComplaintStatus.MERGED)):
        followers = Complaint.merged_into_id.is_not(None)
        await session.execute(
            update(Complaint)
            .where(
                Complaint.item_id == item_id,
                Complaint.status == ComplaintStatus.ANSWERED,
                followers if merged else ~followers,
            )
            .values(status=status, answer=None, updated_at=now)
        )
