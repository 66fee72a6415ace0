"""Anonymous complaints (投诉举报), the complainant's side: filing, tracking, adding to one.

Nothing here receives, stores or logs who the complainant is. The chat and the web hand over
the category, the place, the text and photo bytes; the complainant gets a receipt code, of
which only a hash is kept. Photos are re-encoded without EXIF by ``services.images`` before
they touch the disk. Per-sender limits are in :mod:`services.complaint_limits`.

What the office does with a complaint is in :mod:`services.complaint_triage`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button
from domain.complaints import (
    ComplaintNotFound,
    EmptyAnswer,
    check_photos,
    clean_place,
    clean_text,
    hash_code,
    new_code,
    normalize_code,
    note_text,
)
from domain.deadlines import local_date
from domain.vocabulary import ComplaintCategory, ComplaintStatus, GroupTopic
from services import evidence
from services.complaint_ratings import Feedback, feedback_of
from services.group_notices import GroupMessage, to_groups
from services.images import sanitize_image
from services.numbering import next_number
from services.outbox.queue import enqueue, notification_key
from services.recipients import office_people
from services.runtime import Runtime
from storage.models import Attachment, Complaint, ComplaintNote
from texts import Text
from texts import complaints as texts

log = logging.getLogger("duban.complaints")


@dataclass(frozen=True)
class ComplaintDraft:
    category: ComplaintCategory
    place: str
    text: str
    photos: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Filed:
    public_id: str
    code: str  # normalised; shown once (grouped) and never stored


@dataclass(frozen=True)
class PublicStatus:
    """What the complainant may see with their code."""

    public_id: str
    category: ComplaintCategory
    status: ComplaintStatus
    created_on: date
    answer: str | None
    additions: int
    feedback: Feedback | None = None  # the latest rating and where its review stands
    may_rate: bool = False  # the answer may be rated now


# --- the complainant ------------------------------------------------------------------------


async def file_complaint(rt: Runtime, draft: ComplaintDraft) -> Filed:
    """Keep a complaint and its photos (EXIF stripped), tell the office, return the code."""
    text = clean_text(draft.text)
    place = clean_place(draft.place)
    check_photos(draft.photos)
    for photo in draft.photos:  # refuse what is not a photo before anything is kept
        await asyncio.to_thread(sanitize_image, photo)
    code = new_code()
    now = rt.clock.now()
    today = local_date(now, rt.tz)
    day = _day_start(today, rt)
    async with rt.db.session() as session:
        seq = await next_number(session, "complaint", today.year)
        complaint = Complaint(
            public_id=f"T{today.year}-{seq}",
            code_hash=hash_code(code),
            category=str(draft.category),
            place=place,
            text=text,
            status=ComplaintStatus.NEW,
            created_on=today,
            updated_at=day,  # the complainant's moments are kept to the day
        )
        session.add(complaint)
        await session.flush()
        paths = [await _store_photo(rt, session, complaint.id, photo) for photo in draft.photos]
        public_id = complaint.public_id
        await tell_office(
            rt,
            session,
            complaint,
            "new",
            lambda t: texts.office_new(t, public_id, draft.category, place, text, len(paths)),
            paths,
            buttons=partial(_triage_buttons, public_id=public_id),
        )
        await session.commit()
    rt.wake_outbox()
    log.info("complaint_filed", extra={"complaint": public_id, "photos": len(paths)})
    return Filed(public_id=public_id, code=code)


async def status_by_code(rt: Runtime, code: str) -> PublicStatus | None:
    """The complaint this code opens, or None. Callers go through
    :class:`services.complaint_limits.Tracker`."""
    normalized = normalize_code(code)
    # A malformed code still costs a lookup, so answers take the same time either way.
    digest = hash_code(normalized) if normalized else "0" * 64
    async with rt.db.session() as session:
        complaint = await session.scalar(select(Complaint).where(Complaint.code_hash == digest))
        if complaint is None or normalized is None:
            return None
        additions = await session.scalar(
            select(func.count())
            .select_from(ComplaintNote)
            .where(ComplaintNote.complaint_id == complaint.id, ComplaintNote.from_office.is_(False))
        )
        feedback, may_rate = await feedback_of(session, complaint)
        return PublicStatus(
            public_id=complaint.public_id,
            category=ComplaintCategory(complaint.category),
            status=complaint.status,
            created_on=complaint.created_on,
            answer=complaint.answer,
            additions=int(additions or 0),
            feedback=feedback,
            may_rate=may_rate,
        )


async def add_information(
    rt: Runtime, code: str, text: str, photos: tuple[bytes, ...] = ()
) -> PublicStatus:
    """More words or photos from the complainant; the office is told."""
    normalized = normalize_code(code)
    cleaned = note_text(text)
    check_photos(photos)
    if not cleaned and not photos:
        raise EmptyAnswer()
    for photo in photos:
        await asyncio.to_thread(sanitize_image, photo)
    now = rt.clock.now()
    async with rt.db.session() as session:
        complaint = (
            await session.scalar(
                select(Complaint).where(Complaint.code_hash == hash_code(normalized))
            )
            if normalized
            else None
        )
        if complaint is None:
            raise ComplaintNotFound(id="")
        if cleaned:
            session.add(
                ComplaintNote(
                    complaint_id=complaint.id,
                    from_office=False,
                    text=cleaned,
                    created_on=local_date(now, rt.tz),
                )
            )
        complaint.updated_at = max(complaint.updated_at, _day_start(local_date(now, rt.tz), rt))
        await session.flush()
        paths = [await _store_photo(rt, session, complaint.id, photo) for photo in photos]
        occasion = secrets.token_hex(6)  # the key names no one and no time
        public_id = complaint.public_id
        await tell_office(
            rt,
            session,
            complaint,
            f"added-{occasion}",
            lambda t: texts.office_added(t, public_id, cleaned, len(paths)),
            paths,
        )
        await session.commit()
    rt.wake_outbox()
    log.info("complaint_added_to", extra={"complaint": public_id, "photos": len(paths)})
    status = await status_by_code(rt, code)
    assert status is not None
    return status


def _day_start(day: date, rt: Runtime) -> datetime:
    """Midnight of a local day, in UTC: what is kept instead of a complainant's exact moment."""
    return datetime.combine(day, time(0), tzinfo=rt.tz).astimezone(UTC)


async def _store_photo(rt: Runtime, session: AsyncSession, complaint_id: int, data: bytes) -> str:
    attachment_id = await evidence.store_complaint_photo(
        rt, session, complaint_id=complaint_id, data=data
    )
    attachment = await session.get_one(Attachment, attachment_id)
    return attachment.path


def _triage_buttons(t: Text, public_id: str) -> list[list[Button]]:
    return [
        [Button(label, data) for label, data in row] for row in texts.triage_buttons(t, public_id)
    ]


async def tell_office(
    rt: Runtime,
    session: AsyncSession,
    complaint: Complaint,
    occasion: str,
    render: texts.Render,
    photo_paths: list[str] | None = None,
    *,
    buttons: Callable[[Text], list[list[Button]]] | None = None,
    kind: str = "complaint",
) -> None:
    """The complaint's message (with ``buttons``) and its photos to the office's group, or to
    each supervisor when the policy says so or no group is bound. Nothing of the complainant
    is in either."""
    now = rt.clock.now()
    code = complaint.public_id
    photo_paths = photo_paths or []
    total = len(photo_paths)
    parts = [("", GroupMessage(kind, "", render, buttons or (lambda t: [])))] + [
        (
            f"|photo-{number}",
            GroupMessage(
                "complaint_photo",
                "",
                partial(texts.office_photo, public_id=code, number=number, total=total),
                photo_path=path,
            ),
        )
        for number, path in enumerate(photo_paths, start=1)
    ]
    group_key = notification_key("complaint", complaint.id, occasion)
    private = [
        await to_groups(rt, session, GroupTopic.COMPLAINT, replace(part, key=group_key + suffix))
        for suffix, part in parts
    ]
    if not private[0]:
        return  # the office's group has it
    for person in await office_people(session):
        t = rt.text(person.locale)
        base = notification_key("complaint", complaint.id, occasion, person.id)
        for suffix, part in parts:
            await enqueue(
                session,
                key=base + suffix,
                person_id=person.id,
                kind=part.kind,
                text=part.text(t),
                buttons=part.buttons(t) if part.buttons is not None else None,
                photo_path=part.photo_path,
                not_before=now,
                created_at=now,
            )
