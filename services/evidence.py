"""Evidence files (佐证材料) and complaint photos, kept under the media directory by content.

* :func:`store_evidence` keeps a file sent with a report: it finds the real type from the bytes
  (never the name or the declared type), enforces the policy's limits, writes the file once per
  content, and warns the office about reused photos and photos taken before dispatch.
* :func:`store_complaint_photo` keeps a complainant's photo with nothing but its pixels: no
  EXIF (GPS, device, time), XMP, ICC profile or text chunks.

What the bytes are is read by :mod:`services.file_types`, images by :mod:`services.images`;
:mod:`services.media` writes and finds the files. The functions here add to the session and
flush; the caller commits (and wakes the outbox). Decoding, hashing and writing run in a
worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.errors import NotFound
from domain.evidence import (
    AttachmentKind,
    Earlier,
    WarningKind,
    check_size,
    content_path,
    exif_time,
    find_reuse,
    predates_dispatch,
    reused_refs,
)
from services.file_types import analyze, claims_image
from services.images import phash_of, sanitize_image
from services.media import write_content
from services.outbox.queue import enqueue, notification_key
from services.recipients import office_people
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import item_view
from storage.models import (
    Assignment,
    Attachment,
    Complaint,
    Item,
    Report,
    Unit,
)
from texts import evidence as texts
from texts import items as item_texts

# --- evidence attached to reports ----------------------------------------------------------------


async def store_evidence(
    rt: Runtime,
    session: AsyncSession,
    *,
    item_id: int,
    report_id: int,
    data: bytes,
    filename: str | None,
    mime_type: str | None,
) -> list[str]:
    """Keep one file of a report; returns the warnings raised (``reused``, ``old_capture``).

    ``filename`` and ``mime_type`` are only hints that the sender meant a photo; the type is
    read from the bytes. Raises :class:`~domain.errors.InvalidInput` (too large, not an image,
    a type we do not take) before anything is written. Adds the :class:`Attachment`, the
    timeline warnings and the office's notices to ``session``; the caller commits.
    """
    limits = rt.policy.evidence
    check_size(len(data), max(limits.max_photo_bytes, limits.max_document_bytes))
    report = await session.get(Report, report_id)
    if report is None or report.item_id != item_id:
        raise NotFound()
    item = await session.get_one(Item, item_id)
    found = await asyncio.to_thread(analyze, data, claimed_image=claims_image(filename, mime_type))
    sniffed = found.sniffed
    photo = sniffed.kind is AttachmentKind.PHOTO
    check_size(len(data), limits.max_photo_bytes if photo else limits.max_document_bytes)
    now = rt.clock.now()
    captured_at = exif_time(found.exif_value, found.exif_offset, rt.tz, now) if photo else None

    reuses = find_reuse(
        found.sha256,
        found.phash,
        report_id,
        await _earlier_files(session, found.sha256, found.phash),
        limits.phash_distance,
    )
    relative = content_path(found.sha256, sniffed.extension)
    await asyncio.to_thread(write_content, rt.media_dir, relative, data)

    warnings_found: list[dict[str, Any]] = []
    if reuses:
        warnings_found.append(
            {
                "kind": str(WarningKind.REUSED),
                "items": reused_refs(reuses),
                "attachment_ids": [reuse.earlier.attachment_id for reuse in reuses[:20]],
                "same_bytes": reuses[0].same_bytes,
                "distance": reuses[0].distance,
            }
        )
    if photo and predates_dispatch(captured_at, item.dispatched_at):
        assert captured_at is not None and item.dispatched_at is not None
        warnings_found.append(
            {
                "kind": str(WarningKind.OLD_CAPTURE),
                "captured_at": captured_at.isoformat(),
                "dispatched_at": item.dispatched_at.isoformat(),
            }
        )
    attachment = Attachment(
        report_id=report_id,
        complaint_id=None,
        kind=str(sniffed.kind),
        path=relative,
        mime_type=sniffed.mime_type,
        size=len(data),
        sha256=found.sha256,
        phash=found.phash,
        captured_at=captured_at,
        warnings=warnings_found,
        created_at=now,
    )
    session.add(attachment)
    await session.flush()
    if warnings_found:
        await _warn_office(rt, session, item, report, attachment, warnings_found)
    return [warning["kind"] for warning in warnings_found]


async def _earlier_files(session: AsyncSession, sha256: str, phash: str | None) -> list[Earlier]:
    """Files already attached to reports that may match: the same SHA-256, or (for images) any
    with a perceptual hash, compared in Python since Hamming distance is not portable SQL."""
    match = Attachment.sha256 == sha256
    if phash is not None:
        match = or_(match, Attachment.phash.is_not(None))
    rows = await session.execute(
        select(Attachment.id, Attachment.report_id, Item.ref, Attachment.sha256, Attachment.phash)
        .join(Report, Report.id == Attachment.report_id)
        .join(Item, Item.id == Report.item_id)
        .where(match)
        .order_by(Attachment.id)
    )
    return [
        Earlier(attachment_id=a_id, report_id=r_id, item_ref=ref, sha256=sha, phash=ph)
        for a_id, r_id, ref, sha, ph in rows
        if r_id is not None
    ]


async def _warn_office(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    report: Report,
    attachment: Attachment,
    found: list[dict[str, Any]],
) -> None:
    """Each warning on the item's timeline and, once per attachment and warning, to the office."""
    now = rt.clock.now()
    assignment = await session.get_one(Assignment, report.assignment_id)
    unit = await session.get_one(Unit, assignment.unit_id)
    kind = AttachmentKind(attachment.kind)
    view = await item_view(session, item, now, rt.policy)
    office = await office_people(session)
    # The office sees the photo itself when Telegram takes it as a photo (JPEG/PNG, <= 10 MB).
    show_photo = attachment.mime_type in ("image/jpeg", "image/png") and attachment.size <= (
        10 * 1024 * 1024
    )

    def detail(locale: str | None, warning: dict[str, Any]) -> str:
        t = rt.text(locale)
        if warning["kind"] == WarningKind.REUSED:
            return texts.reused_detail(t, kind, unit.name, list(warning["items"]))
        return texts.old_capture_detail(
            t,
            unit.name,
            datetime.fromisoformat(warning["captured_at"]),
            datetime.fromisoformat(warning["dispatched_at"]),
            rt.tz,
        )

    for warning in found:
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.WARNING,
            unit_id=unit.id,
            detail=detail(rt.default_locale, warning),
            data={
                **warning,
                "attachment_id": attachment.id,
                "report_id": report.id,
                "sha256": attachment.sha256,
            },
        )
        for person in office:
            t = rt.text(person.locale)
            await enqueue(
                session,
                key=notification_key(
                    "attachment", attachment.id, "warning", warning["kind"], person.id
                ),
                person_id=person.id,
                item_id=item.id,
                kind="evidence_warning",
                text=texts.warning_notice(t, view, detail(person.locale, warning)),
                buttons=[
                    [Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, item.ref))]
                ],
                photo_path=attachment.path if show_photo else None,
                not_before=now,
                created_at=now,
            )


# --- complaint photos --------------------------------------------------------------------------


async def store_complaint_photo(
    rt: Runtime, session: AsyncSession, *, complaint_id: int, data: bytes
) -> int:
    """Keep a complainant's photo, sanitized; returns the attachment's id.

    Nothing of the original is kept: not its bytes, name, capture time or upload moment (the
    row and the file carry only the day). The caller commits.
    """
    check_size(len(data), rt.policy.evidence.max_photo_bytes)
    if await session.get(Complaint, complaint_id) is None:
        raise NotFound()
    clean, extension = await asyncio.to_thread(sanitize_image, data)
    sha256 = hashlib.sha256(clean).hexdigest()
    phash = await asyncio.to_thread(phash_of, clean)
    relative = content_path(sha256, extension)
    day = datetime.combine(rt.clock.now().astimezone(rt.tz).date(), time(0), tzinfo=rt.tz)
    await asyncio.to_thread(write_content, rt.media_dir, relative, clean, mtime=day.timestamp())
    attachment = Attachment(
        report_id=None,
        complaint_id=complaint_id,
        kind=str(AttachmentKind.PHOTO),
        path=relative,
        mime_type="image/png" if extension == "png" else "image/jpeg",
        size=len(clean),
        sha256=sha256,
        phash=phash,
        captured_at=None,
        warnings=[],
        created_at=day,
    )
    session.add(attachment)
    await session.flush()
    return attachment.id
