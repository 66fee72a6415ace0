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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

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
from domain.vocabulary import ComplaintCategory, ComplaintStatus
from services import evidence
from services.images import sanitize_image
from services.numbering import next_number
from services.outbox.queue import enqueue, notification_key
from services.recipients import office_people
from services.runtime import Runtime
from storage.models import Attachment, Complaint, ComplaintNote
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
        await _tell_office(
            rt,
            session,
            complaint,
            "new",
            lambda t: texts.office_new(t, public_id, draft.category, place, text, len(paths)),
            paths,
            triage=True,
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
        return PublicStatus(
            public_id=complaint.public_id,
            category=ComplaintCategory(complaint.category),
            status=complaint.status,
            created_on=complaint.created_on,
            answer=complaint.answer,
            additions=int(additions or 0),
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
        await _tell_office(
            rt,
            session,
            complaint,
            f"added-{occasion}",
            lambda t: texts.office_added(t, public_id, cleaned, len(paths)),
            paths,
            triage=False,
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


async def _tell_office(
    rt: Runtime,
    session: AsyncSession,
    complaint: Complaint,
    occasion: str,
    render: texts.Render,
    photo_paths: list[str],
    *,
    triage: bool,
) -> None:
    now = rt.clock.now()
    for person in await office_people(session):
        t = rt.text(person.locale)
        buttons = texts.triage_buttons(t, complaint.public_id) if triage else []
        base = notification_key("complaint", complaint.id, occasion, person.id)
        await enqueue(
            session,
            key=base,
            person_id=person.id,
            kind="complaint",
            text=render(t),
            buttons=[[Button(label, data) for label, data in row] for row in buttons],
            not_before=now,
            created_at=now,
        )
        for number, path in enumerate(photo_paths, start=1):
            await enqueue(
                session,
                key=f"{base}|photo-{number}",
                person_id=person.id,
                kind="complaint_photo",
                text=texts.office_photo(t, complaint.public_id, number, len(photo_paths)),
                photo_path=path,
                not_before=now,
                created_at=now,
            )
