"""Evidence files (佐证材料): kept under the media directory by content, with their hashes.

* :func:`store_evidence` keeps a file sent with a report: it finds the real type from the bytes
  (never the name or the declared type), enforces the policy's limits, writes the file once per
  content, and warns the office about reused photos and photos taken before dispatch.
* :func:`sanitize_image` and :func:`store_complaint_photo` keep a complainant's photo with
  nothing but its pixels: no EXIF (GPS, device, time), XMP, ICC profile or text chunks.
* :func:`media_path` turns a stored relative path into a file, refusing anything outside.

The functions that take a session add to it and flush; the caller commits (and wakes the
outbox). Decoding, hashing and writing run in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

import imagehash
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.errors import InvalidInput, NotFound
from domain.evidence import (
    EVIDENCE_MAX_PIXELS,
    SANITIZE_MAX_PIXELS,
    AttachmentKind,
    Earlier,
    MediaNotFound,
    NotAnImage,
    UnsupportedFile,
    WarningKind,
    check_pixels,
    check_size,
    content_path,
    exif_time,
    find_reuse,
    image_too_large,
    predates_dispatch,
    reused_refs,
)
from domain.i18n import N_
from domain.vocabulary import Role
from services.outbox import Button, enqueue, notification_key
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import item_view
from storage.models import (
    Assignment,
    Attachment,
    Complaint,
    Item,
    Person,
    PersonRole,
    Report,
    Unit,
)
from texts import evidence as texts
from texts import items as item_texts

# Pillow formats accepted as photos: (extension, MIME type). Pillow is only ever asked to try
# these (never EPS, which runs Ghostscript, or the other exotic plugins). HEIF is read through
# pillow-heif: iPhones take HEIC photos, and send them so when a photo goes as a file.
register_heif_opener()
IMAGE_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "HEIF": ("heic", "image/heic"),
}
_IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}
)
# Office Open XML: the part that makes a package a document, workbook or presentation.
_OFFICE_PARTS = (
    (
        "word/document.xml",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xl/workbook.xml",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "ppt/presentation.xml",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
)
_CONTENT_TYPES_MAX = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_PHASH_DRAFT = (256, 256)

_EXIF_IFD = 0x8769
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011


class UnreadableImage(InvalidInput):
    key = N_("The image could not be read. Send it again, as a photo.")


# --- finding out what the bytes are --------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    kind: AttachmentKind
    extension: str
    mime_type: str


@dataclass(frozen=True)
class Analysis:
    sniffed: Sniffed
    sha256: str
    phash: str | None
    exif_value: object = None
    exif_offset: object = None


def _open_image(data: bytes, max_pixels: int) -> Image.Image | None:
    """The image in ``data`` (header read, pixels not yet), or None when it is not one we take.

    Pillow's decompression-bomb check and ours both refuse images over ``max_pixels``.
    """
    Image.init()
    formats = [name for name in IMAGE_FORMATS if name in Image.OPEN]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data" while reading the header
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=formats)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise image_too_large(max_pixels) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            return None
    check_pixels(image.width, image.height, max_pixels)
    return image


def _sniff_document(data: bytes) -> Sniffed | None:
    if data.startswith(b"%PDF-"):
        return Sniffed(AttachmentKind.DOCUMENT, "pdf", "application/pdf")
    if data.startswith(b"PK\x03\x04"):
        return _sniff_office(data)
    return _sniff_text(data)


def _sniff_office(data: bytes) -> Sniffed | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return None
            content_types = package.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        return None
    if b"macroEnabled" in content_types:  # .docm/.xlsm/.pptm: macros are not evidence
        return None
    for part, extension, mime_type in _OFFICE_PARTS:
        if part in names:
            return Sniffed(AttachmentKind.DOCUMENT, extension, mime_type)
    return None


def _sniff_text(data: bytes) -> Sniffed | None:
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return Sniffed(AttachmentKind.DOCUMENT, "txt", "text/plain")
        return None
    return None


def _capture_time_tags(image: Image.Image) -> tuple[object, object]:
    """(DateTimeOriginal or DateTime, its offset) as found; junk EXIF gives (None, None)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF data" says what we handle
            exif = image.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
        if (original := sub.get(_DATETIME_ORIGINAL)) is not None:
            return original, sub.get(_OFFSET_TIME_ORIGINAL)
        return exif.get(_DATETIME), sub.get(_OFFSET_TIME)
    except Exception:
        return None, None


def _phash(image: Image.Image) -> str:
    if image.format == "JPEG":
        image.draft("L", _PHASH_DRAFT)  # decode at a reduced scale: same hash, far less memory
    return str(imagehash.phash(image))


def analyze(data: bytes, *, claimed_image: bool) -> Analysis:
    """What the bytes are, their SHA-256 and (images) perceptual hash and EXIF capture time.

    Raises :class:`NotAnImage` when a claimed image is none, :class:`UnsupportedFile` for
    anything else we do not accept.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    image = _open_image(data, EVIDENCE_MAX_PIXELS)
    if image is not None:
        extension, mime_type = IMAGE_FORMATS[str(image.format)]
        value, offset = _capture_time_tags(image)
        try:
            phash = _phash(image)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt pixels
            raise NotAnImage() from exc
        sniffed = Sniffed(AttachmentKind.PHOTO, extension, mime_type)
        return Analysis(sniffed, sha256, phash, value, offset)
    if claimed_image:
        raise NotAnImage()
    document = _sniff_document(data)
    if document is None:
        raise UnsupportedFile()
    return Analysis(document, sha256, None)


def _claims_image(filename: str | None, mime_type: str | None) -> bool:
    if mime_type and mime_type.strip().lower().startswith("image/"):
        return True
    return bool(filename) and PurePosixPath(str(filename).lower()).suffix in _IMAGE_SUFFIXES


# --- writing files -------------------------------------------------------------------------------


def write_content(
    media_dir: Path, relative: str, data: bytes, *, mtime: float | None = None
) -> bool:
    """Write ``data`` at ``relative`` (a :func:`content_path`) atomically; False when it is
    already there. A temporary file in the same directory is renamed into place, so a reader
    never sees half a file."""
    target = media_dir / relative
    if target.is_file() and target.stat().st_size == len(data):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o640)
        if mtime is not None:
            os.utime(temporary, (mtime, mtime))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def media_path(rt: Runtime, relative: str) -> Path:
    """The stored file at ``relative`` under the media directory.

    Raises :class:`MediaNotFound` for anything that is not a file inside it: absolute paths,
    ``..``, backslashes, symlinks leading out, missing files.
    """
    if not relative or "\x00" in relative or "\\" in relative:
        raise MediaNotFound()
    candidate = PurePosixPath(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise MediaNotFound()
    root = rt.media_dir.resolve()
    try:
        full = (root / candidate).resolve(strict=True)
    except (OSError, RuntimeError):
        raise MediaNotFound() from None
    if not full.is_relative_to(root) or not full.is_file():
        raise MediaNotFound()
    return full


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
    found = await asyncio.to_thread(analyze, data, claimed_image=_claims_image(filename, mime_type))
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


async def _office(session: AsyncSession) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == str(Role.SUPERVISOR), Person.active)
            .order_by(Person.id)
        )
    )


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
    office = await _office(session)
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


# --- complaint photos ----------------------------------------------------------------------------


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours kept right when the ICC profile goes: convert to sRGB first, if it is readable."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return True
    return image.mode == "P" and "transparency" in image.info


_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, RuntimeError)


def _upright(data: bytes, max_pixels: int) -> Image.Image:
    """The image in ``data``, decoded, turned as its EXIF orientation says, in sRGB; its
    metadata are not carried over by what is made from it here."""
    image = _open_image(data, max_pixels)
    if image is None:
        raise NotAnImage()
    try:
        image.load()
        try:
            upright = ImageOps.exif_transpose(image)
        except Exception:
            upright = image
        return _to_srgb(upright)
    except _DECODE_ERRORS as exc:
        raise UnreadableImage() from exc


def sanitize_image(data: bytes, *, max_pixels: int = SANITIZE_MAX_PIXELS) -> tuple[bytes, str]:
    """The pixels of the image in ``data`` and nothing else, as (bytes, extension).

    The EXIF orientation is applied, then the image is re-encoded from its bare pixels into a
    new JPEG (a PNG when it has transparency): no EXIF (GPS, device, time), XMP, ICC profile,
    comments or text chunks survive. Images over ``max_pixels`` are refused.
    """
    oriented = _upright(data, max_pixels)
    try:
        transparent = _has_transparency(oriented)
        mode = "RGBA" if transparent else ("L" if oriented.mode in ("1", "L") else "RGB")
        pixels = oriented.convert(mode)
    except _DECODE_ERRORS as exc:
        raise UnreadableImage() from exc
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    output = io.BytesIO()
    if transparent:
        bare.save(output, format="PNG", optimize=True)
        return output.getvalue(), "png"
    bare.save(output, format="JPEG", quality=90, optimize=True)
    return output.getvalue(), "jpg"


DISPLAY_SIDE = 2560
"""The longest side of a photo shown in the console in place of one browsers cannot show."""


def display_image(data: bytes) -> bytes:
    """A JPEG of the photo in ``data`` for a browser, at most :data:`DISPLAY_SIDE` pixels on its
    longer side, turned upright, with no metadata. For stored evidence (up to the evidence
    limit of pixels) in a format browsers cannot show, such as HEIC."""
    upright = _upright(data, EVIDENCE_MAX_PIXELS)
    try:
        shown = upright.convert("RGB")
        shown.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
        bare = Image.frombytes(shown.mode, shown.size, shown.tobytes())
        output = io.BytesIO()
        bare.save(output, format="JPEG", quality=85, optimize=True)
    except _DECODE_ERRORS as exc:
        raise UnreadableImage() from exc
    return output.getvalue()


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
    phash = await asyncio.to_thread(_phash_of, clean)
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


def _phash_of(data: bytes) -> str:
    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
        return _phash(image)
