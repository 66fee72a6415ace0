"""Complaint rules: the receipt code (查询码), its hash, the limits and the checks on what
people write, and the guessing limiter.

The receipt code is the complainant's only key: 20 Crockford base32 characters (100 bits from
the operating system's CSPRNG), shown once in groups of four for reading aloud. Only its
SHA-256 is stored. What people type back is normalised first: case, spaces and dashes do not
matter, and the letters O, I and L are read as 0, 1 and 1.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import Conflict, InvalidInput, NotFound
from domain.evidence import FileTooLarge, megabytes
from domain.i18n import N_
from domain.text import PlaceTooLong, check_length
from domain.vocabulary import ComplaintCategory, ComplaintStatus

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 20  # 100 bits
GROUP = 4
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -_.\u00a0\u3000\u2010\u2011\u2012\u2013\u2014\uff0d")

# Limits (the chat and the web form share them).
TEXT_MIN = 5
TEXT_MAX = 3000
PLACE_MAX = 200
NOTE_MAX = 2000
ANSWER_MAX = 3000
PHOTOS_MAX = 5  # per complaint, and per addition
PHOTO_BYTES_MAX = 8 * 1024 * 1024  # one photo
UPLOAD_BYTES_MAX = PHOTOS_MAX * PHOTO_BYTES_MAX + 256 * 1024  # one web form, everything in it
FIELD_BYTES_MAX = 64 * 1024  # one text field of a web form

CATEGORIES = tuple(ComplaintCategory)

# A complaint in one of these has its answer: the ones merged into it take the same.
SETTLED = frozenset({ComplaintStatus.ANSWERED, ComplaintStatus.REJECTED})


# --- errors ---------------------------------------------------------------------------------


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


# --- checks on what people write ------------------------------------------------------------


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


def note_text(text: str) -> str:
    """What the complainant adds (may be empty when photos come with it)."""
    cleaned = text.strip()
    return check_length(cleaned, NOTE_MAX)


def answer_text(text: str) -> str:
    """The office's answer or reason: never empty."""
    cleaned = text.strip()
    if not cleaned:
        raise EmptyAnswer()
    return check_length(cleaned, ANSWER_MAX)


def new_code() -> str:
    """A fresh receipt code, normalised (no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCD-EFGH-JKMN-PQRS-TVWX``: groups of four for reading aloud and copying."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize_code(typed: str) -> str | None:
    """The code as stored before hashing, or None when it cannot be a receipt code."""
    if len(typed) > 4 * CODE_LENGTH:
        return None
    cleaned = typed.upper().translate(_SEPARATORS).translate(_CONFUSABLE)
    # Full-width letters and digits (typed with a Chinese input method) count as ASCII.
    cleaned = "".join(
        chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in cleaned
    ).translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(code: str) -> str:
    """The stored form of a normalised code (SHA-256 of 100 random bits: not reversible)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def title_from_text(text: str, limit: int = 30) -> str:
    """A first title for an item made from a complaint: its first line, shortened."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


# --- slowing down guesses -------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How many wrong codes are tolerated before tracking is refused for a while."""

    per_sender: int = 5
    per_sender_window: timedelta = timedelta(minutes=10)
    lockout: timedelta = timedelta(minutes=30)
    overall: int = 60  # wrong codes from everyone together
    overall_window: timedelta = timedelta(minutes=1)
    filings_per_sender: int = 5  # complaints (and additions) per sender
    filings_window: timedelta = timedelta(hours=1)


# Counts are kept per fixed window (so no exact moment of anyone's attempt is kept); the
# sliding window over the last ``width`` is estimated from the current and the previous one.
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, midnight UTC


def window_start(now: datetime, width: timedelta) -> datetime:
    """The start of the fixed window of ``width`` that ``now`` falls in."""
    return _EPOCH + ((now - _EPOCH) // width) * width


def in_last(current: int, previous: int, now: datetime, width: timedelta) -> float:
    """About how many events fell in the ``width`` before ``now``, given the counts of the
    current fixed window and of the one before it (that one weighted by how much of it is
    still within ``width``)."""
    elapsed = (now - window_start(now, width)) / width
    return current + previous * (1 - elapsed)
