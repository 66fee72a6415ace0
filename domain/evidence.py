"""Rules about evidence files (佐证材料): limits, where a file lives, and when to warn the office.

Photos are supporting evidence, not proof of work (DESIGN §4): the office verifies. These rules
only decide what to point out to it — a photo already used in another report or item (the same
bytes, or a perceptual hash within the policy's distance), or a photo whose EXIF capture time
predates the item's dispatch. Everything here takes values and returns values; reading images
and files is the services' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum

from domain.errors import InvalidInput, NotFound
from domain.i18n import N_

MEGABYTE = 1024 * 1024

SANITIZE_MAX_PIXELS = 40_000_000
"""Largest complaint photo (width × height) re-encoded; bigger ones are refused as too large."""

EVIDENCE_MAX_PIXELS = 60_000_000
"""Largest evidence image decoded for its perceptual hash; bigger ones are refused."""

EARLIEST_CAPTURE_YEAR = 1990
"""EXIF times before this are camera defaults (``0000:00:00``, 1970) and not believed."""


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class WarningKind(StrEnum):
    REUSED = "reused"  # the same or a near-identical photo is in another report
    OLD_CAPTURE = "old_capture"  # taken before the item was dispatched


# --- errors --------------------------------------------------------------------------------------


class FileTooLarge(InvalidInput):
    key = N_("The file is too large: at most {limit} MB.")


class EmptyFile(InvalidInput):
    key = N_("The file is empty.")


class NotAnImage(InvalidInput):
    key = N_("This file is not a photo we can accept. Send a JPEG, PNG or WebP image.")


class UnsupportedFile(InvalidInput):
    key = N_(
        "This type of file is not accepted. Send a photo (JPEG, PNG or WebP), a PDF, "
        "a Word, Excel or PowerPoint file, or plain text."
    )


class ImageTooLarge(InvalidInput):
    key = N_("The image is too large: at most {limit} million pixels.")


class MediaNotFound(NotFound):
    key = N_("No such file.")


# --- limits --------------------------------------------------------------------------------------


def megabytes(size: int) -> str:
    """``20971520`` → ``"20"``; ``1572864`` → ``"1.5"``: a limit as people say it."""
    return f"{size / MEGABYTE:.3g}"


def check_size(size: int, limit: int) -> None:
    if size == 0:
        raise EmptyFile()
    if size > limit:
        raise FileTooLarge(limit=megabytes(limit))


def image_too_large(limit: int) -> ImageTooLarge:
    return ImageTooLarge(limit=f"{limit / 1_000_000:g}")


def check_pixels(width: int, height: int, limit: int) -> None:
    if width <= 0 or height <= 0 or width * height > limit:
        raise image_too_large(limit)


# --- where a file lives --------------------------------------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")


def content_path(sha256: str, extension: str) -> str:
    """The file's place under the media directory, named by its content: ``ab/cd/<sha256>.jpg``.

    Never a name anyone gave; identical content has one place.
    """
    if not _SHA256.fullmatch(sha256) or not _EXTENSION.fullmatch(extension):
        raise ValueError("content_path needs a lowercase SHA-256 and a short extension")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


# --- perceptual hashes ---------------------------------------------------------------------------


def hamming(a: str, b: str) -> int | None:
    """Bits that differ between two hex hashes of the same length; None when not comparable."""
    if len(a) != len(b) or not a:
        return None
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None


@dataclass(frozen=True)
class Earlier:
    """A file already attached to some report, as far as the reuse test needs it."""

    attachment_id: int
    report_id: int
    item_ref: str
    sha256: str
    phash: str | None


@dataclass(frozen=True)
class Reuse:
    earlier: Earlier
    same_bytes: bool
    distance: int  # bits of the perceptual hash that differ; 0 for the same bytes


def find_reuse(
    sha256: str,
    phash: str | None,
    report_id: int,
    earlier: Iterable[Earlier],
    max_distance: int,
) -> list[Reuse]:
    """Files in other reports that are this one (same SHA-256) or look like it (phash distance
    ``<= max_distance``), closest first. Files of the same report do not count."""
    found: list[Reuse] = []
    for other in earlier:
        if other.report_id == report_id:
            continue
        if other.sha256 == sha256:
            found.append(Reuse(other, same_bytes=True, distance=0))
            continue
        if phash is None or other.phash is None:
            continue
        distance = hamming(phash, other.phash)
        if distance is not None and distance <= max_distance:
            found.append(Reuse(other, same_bytes=False, distance=distance))
    found.sort(key=lambda r: (not r.same_bytes, r.distance, r.earlier.attachment_id))
    return found


def reused_refs(reuses: Iterable[Reuse]) -> list[str]:
    """The item refs of the matches, each once, closest first."""
    refs: list[str] = []
    for reuse in reuses:
        if reuse.earlier.item_ref not in refs:
            refs.append(reuse.earlier.item_ref)
    return refs


# --- EXIF capture time ---------------------------------------------------------------------------

_EXIF_TIME = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        return None
    return value.strip().strip("\x00").strip()


def exif_time(value: object, offset: object, zone: tzinfo, now: datetime) -> datetime | None:
    """An EXIF ``YYYY:MM:DD HH:MM:SS`` as an aware UTC time, or None for anything else.

    EXIF times carry no zone: they are read in ``offset`` (EXIF 2.31's OffsetTime*, ``+08:00``)
    when a valid one is given, else in the deployment's zone. Junk, camera defaults (years
    before 1990) and times more than a day after ``now`` are not believed.
    """
    text = _text(value)
    if not text or not (match := _EXIF_TIME.match(text)):
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if naive.year < EARLIEST_CAPTURE_YEAR:
        return None
    zone_of_time: tzinfo = zone
    offset_text = _text(offset)
    if offset_text and (found := _EXIF_OFFSET.fullmatch(offset_text)):
        sign, hours, minutes = found.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            zone_of_time = timezone(-delta if sign == "-" else delta)
    taken = naive.replace(tzinfo=zone_of_time).astimezone(UTC)
    if taken > now + timedelta(days=1):
        return None
    return taken


def predates_dispatch(captured_at: datetime | None, dispatched_at: datetime | None) -> bool:
    """A photo taken before the item was dispatched cannot show work done on it."""
    return captured_at is not None and dispatched_at is not None and captured_at < dispatched_at
