"""Anonymous complaints (投诉举报): filing, tracking, the office's triage and the answer.

Nothing here receives, stores or logs who the complainant is. The chat and the web hand over
the category, the place, the text and photo bytes; the complainant gets a receipt code, of
which only a hash is kept. Photos are re-encoded without EXIF by ``services.evidence`` before
they touch the disk. Per-sender limits (:class:`Tracker`) work on a keyed hash of the sender
whose key lives in memory and changes every day.

The office triages each complaint: accept (an item with source 群众投诉), merge (into another
complaint or an item), reject (the reason is the answer), or answer directly. An accepted or
merged complaint is answered when its item closes (:func:`answer_from_closing`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.complaints import (
    ANSWER_MAX,
    NOTE_MAX,
    PHOTO_BYTES_MAX,
    PHOTOS_MAX,
    PLACE_MAX,
    TEXT_MAX,
    TEXT_MIN,
    AttemptLimiter,
    Limits,
    hash_code,
    new_code,
    normalize_code,
)
from domain.deadlines import local_date
from domain.errors import Conflict, InvalidInput, NotFound
from domain.evidence import FileTooLarge, megabytes
from domain.i18n import N_
from domain.text import PlaceTooLong, check_length
from domain.vocabulary import ComplaintCategory, ComplaintStatus, ItemStatus
from services import evidence
from services.items import ItemDraft, Origin, next_number, register_item, require_office
from services.outbox import Button, enqueue, notification_key
from services.recipients import office_people
from services.runtime import Runtime
from services.views import ItemView, find_item
from storage.models import (
    Attachment,
    Complaint,
    ComplaintNote,
    Item,
    Unit,
)
from texts import complaints as texts

log = logging.getLogger("duban.complaints")


class ComplaintNotFound(NotFound):
    key = N_("No complaint {id}.")


class NotNew(Conflict):
    key = N_("Complaint {id} has already been handled ({status}).")


class TooManyPhotos(InvalidInput):
    key = N_("At most {max} photos.")


class TextTooShort(InvalidInput):
    key = N_("Please describe the problem in at least {min} characters.")


class EmptyAnswer(InvalidInput):
    key = N_("Write the answer or the reason.")


class MergeTargetUnknown(InvalidInput):
    key = N_("No complaint or item {into}.")


class MergeIntoItself(InvalidInput):
    key = N_("A complaint cannot be merged into itself.")


class ItemAlreadyClosed(Conflict):
    key = N_("Item {ref} is already closed: answer the complaint directly.")


# --- what people see ------------------------------------------------------------------------


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
    }


# --- checks ---------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) < TEXT_MIN:
        raise TextTooShort(min=TEXT_MIN)
    return check_length(cleaned, TEXT_MAX)


def clean_place(place: str) -> str:
    cleaned = " ".join(place.split())
    return check_length(cleaned, PLACE_MAX, PlaceTooLong)


def check_photos(photos: tuple[bytes, ...] | list[bytes]) -> None:
    if len(photos) > PHOTOS_MAX:
        raise TooManyPhotos(max=PHOTOS_MAX)
    for photo in photos:
        if len(photo) > PHOTO_BYTES_MAX:
            raise FileTooLarge(limit=megabytes(PHOTO_BYTES_MAX))


def _note_text(text: str) -> str:
    cleaned = text.strip()
    return check_length(cleaned, NOTE_MAX)


def _answer_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise EmptyAnswer()
    return check_length(cleaned, ANSWER_MAX)


# --- the complainant ------------------------------------------------------------------------


async def file_complaint(rt: Runtime, draft: ComplaintDraft) -> Filed:
    """Keep a complaint and its photos (EXIF stripped), tell the office, return the code."""
    text = clean_text(draft.text)
    place = clean_place(draft.place)
    check_photos(draft.photos)
    for photo in draft.photos:  # refuse what is not a photo before anything is kept
        await asyncio.to_thread(evidence.sanitize_image, photo)
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
            status=str(ComplaintStatus.NEW),
            created_on=today,
            updated_at=day,  # the complainant's moments are kept to the day
        )
        session.add(complaint)
        await session.flush()
        paths = [await _store_photo(rt, session, complaint.id, photo) for photo in draft.photos]
        view = await _view(session, complaint)
        await _tell_office(
            rt,
            session,
            complaint,
            "new",
            lambda t: texts.office_new(
                t, view.public_id, view.category, view.place, view.text, len(paths)
            ),
            paths,
            triage=True,
        )
        await session.commit()
    rt.wake_outbox()
    log.info("complaint_filed", extra={"complaint": view.public_id, "photos": len(paths)})
    return Filed(public_id=view.public_id, code=code)


async def status_by_code(rt: Runtime, code: str) -> PublicStatus | None:
    """The complaint this code opens, or None. Callers go through :class:`Tracker`."""
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
            status=ComplaintStatus(complaint.status),
            created_on=complaint.created_on,
            answer=complaint.answer,
            additions=int(additions or 0),
        )


async def add_information(
    rt: Runtime, code: str, text: str, photos: tuple[bytes, ...] = ()
) -> PublicStatus:
    """More words or photos from the complainant; the office is told."""
    normalized = normalize_code(code)
    cleaned = _note_text(text)
    check_photos(photos)
    if not cleaned and not photos:
        raise EmptyAnswer()
    for photo in photos:
        await asyncio.to_thread(evidence.sanitize_image, photo)
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


# --- the office -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitChoice:
    id: int
    key: str
    name: str


async def unit_choices(rt: Runtime) -> list[UnitChoice]:
    """The county's units, in roster order: the places a complaint can name, the lead units."""
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Unit.id, Unit.key, Unit.name).where(Unit.active).order_by(Unit.position, Unit.id)
        )
        return [UnitChoice(uid, key, name) for uid, key, name in rows]


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
        status=ComplaintStatus(complaint.status),
        created_on=complaint.created_on,
        answer=complaint.answer,
        reason=complaint.reason,
        item_ref=item_ref,
        merged_into=merged_into,
        photos=tuple(photos),
        notes=tuple(NoteView(n.from_office, n.text, n.created_on) for n in notes),
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


def _require_new(complaint: Complaint) -> None:
    if complaint.status != ComplaintStatus.NEW:
        raise NotNew(id=complaint.public_id, status=complaint.status)


async def _propagate(session: AsyncSession, complaint: Complaint, now: datetime) -> None:
    """Complaints merged into this one follow it: its item, and its answer once it has one."""
    values: dict[str, object] = {"item_id": complaint.item_id, "updated_at": now}
    if complaint.status in (ComplaintStatus.ANSWERED, ComplaintStatus.REJECTED):
        values.update(status=complaint.status, answer=complaint.answer, reason=complaint.reason)
    await session.execute(
        update(Complaint)
        .where(
            Complaint.merged_into_id == complaint.id,
            Complaint.status == ComplaintStatus.MERGED,
        )
        .values(**values)
    )


def _office_note(session: AsyncSession, complaint: Complaint, text: str, today: date) -> None:
    session.add(
        ComplaintNote(complaint_id=complaint.id, from_office=True, text=text, created_on=today)
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
        target = await session.scalar(
            select(Complaint).where(Complaint.public_id == into.strip().upper())
        )
        if target is not None:
            while target.merged_into_id is not None and target.status == ComplaintStatus.MERGED:
                target = await session.get_one(Complaint, target.merged_into_id)
            if target.id == complaint.id:
                raise MergeIntoItself()
            complaint.merged_into_id = target.id
            complaint.item_id = target.item_id
            if target.status in (ComplaintStatus.ANSWERED, ComplaintStatus.REJECTED):
                complaint.status = target.status
                complaint.answer = target.answer
                complaint.reason = target.reason
            else:
                complaint.status = str(ComplaintStatus.MERGED)
        else:
            try:
                item = await find_item(session, into)
            except NotFound:
                raise MergeTargetUnknown(into=into.strip()[:40]) from None
            if item.status in (ItemStatus.CLOSED, ItemStatus.ARCHIVED):
                raise ItemAlreadyClosed(ref=item.ref)
            complaint.item_id = item.id
            complaint.status = str(ComplaintStatus.MERGED)
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


async def reject_complaint(
    rt: Runtime, origin: Origin, public_id: str, reason: str
) -> ComplaintView:
    """Not taken up; the reason is what the complainant reads."""
    require_office(origin)
    cleaned = _answer_text(reason)
    now = rt.clock.now()
    async with rt.db.session() as session:
        complaint = await _by_public_id(session, public_id)
        _require_new(complaint)
        complaint.status = str(ComplaintStatus.REJECTED)
        complaint.reason = cleaned
        complaint.answer = cleaned
        complaint.updated_at = now
        _office_note(session, complaint, cleaned, local_date(now, rt.tz))
        await _propagate(session, complaint, now)
        await session.commit()
        view = await _view(session, complaint)
    log.info("complaint_rejected", extra={"complaint": view.public_id})
    return view


async def answer_complaint(
    rt: Runtime, origin: Origin, public_id: str, answer: str
) -> ComplaintView:
    """The office answers directly (also after accepting, or to correct an answer)."""
    require_office(origin)
    cleaned = _answer_text(answer)
    now = rt.clock.now()
    async with rt.db.session() as session:
        complaint = await _by_public_id(session, public_id)
        if complaint.status == ComplaintStatus.MERGED and complaint.merged_into_id is not None:
            # Answer the whole group at once: the one it was merged into, and its followers.
            complaint = await session.get_one(Complaint, complaint.merged_into_id)
        complaint.status = str(ComplaintStatus.ANSWERED)
        complaint.answer = cleaned
        complaint.updated_at = now
        _office_note(session, complaint, cleaned, local_date(now, rt.tz))
        await _propagate(session, complaint, now)
        await session.commit()
        view = await _view(session, await _by_public_id(session, public_id))
    log.info("complaint_answered", extra={"complaint": view.public_id})
    return view


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


# --- slowing down guesses, without knowing who guesses --------------------------------------


@dataclass(frozen=True)
class TrackResult:
    """``refused``: too many wrong codes lately (said whatever the code); else the status, or
    None for a code that opens nothing."""

    refused: bool
    status: PublicStatus | None = None


class Tracker:
    """Per-process guard for code checks and filings, one per channel (chat, web).

    A sender (a Telegram user id, a client address) is only ever seen here as an HMAC under a
    random key held in memory; the key and every counter are replaced each local day, and
    nothing of it is stored or logged.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limiter = AttemptLimiter(limits or Limits())
        self._key = secrets.token_bytes(32)
        self._day: date | None = None

    def sender_key(self, rt: Runtime, sender: str) -> str:
        today = local_date(rt.clock.now(), rt.tz)
        if self._day != today:
            self._key = secrets.token_bytes(32)
            self._day = today
            self.limiter.clear()
        return hmac.new(self._key, sender.encode(), hashlib.sha256).hexdigest()

    async def check(self, rt: Runtime, sender: str, code: str) -> TrackResult:
        key = self.sender_key(rt, sender)
        now = rt.clock.now()
        self.limiter.forget_idle(now)
        if not self.limiter.may_try(key, now):
            return TrackResult(refused=True)
        status = await status_by_code(rt, code)
        if status is None:
            self.limiter.wrong(key, now)
        return TrackResult(refused=False, status=status)

    def may_file(self, rt: Runtime, sender: str) -> bool:
        return self.limiter.may_file(self.sender_key(rt, sender), rt.clock.now())

    def filed(self, rt: Runtime, sender: str) -> None:
        self.limiter.filed(self.sender_key(rt, sender), rt.clock.now())
