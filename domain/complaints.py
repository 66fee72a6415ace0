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
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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


@dataclass
class AttemptLimiter:
    """Counts events per opaque sender key within sliding windows; pure, time passed in.

    Keys are whatever the caller makes of the sender (a keyed hash); nothing here knows who.
    """

    limits: Limits = field(default_factory=Limits)
    _wrong: dict[str, deque[datetime]] = field(default_factory=dict)
    _locked_until: dict[str, datetime] = field(default_factory=dict)
    _overall: deque[datetime] = field(default_factory=deque)
    _filings: dict[str, deque[datetime]] = field(default_factory=dict)

    def clear(self) -> None:
        self._wrong.clear()
        self._locked_until.clear()
        self._filings.clear()
        # The overall window names nobody: it survives a key rotation.

    def may_try(self, key: str, now: datetime) -> bool:
        """Whether this sender may check a code now (refused while locked or under attack)."""
        until = self._locked_until.get(key)
        if until is not None:
            if now < until:
                return False
            del self._locked_until[key]
        _trim(self._overall, now - self.limits.overall_window)
        return len(self._overall) < self.limits.overall

    def wrong(self, key: str, now: datetime) -> None:
        """Record a wrong code; locks the sender out once they reach the limit."""
        self._overall.append(now)
        attempts = self._wrong.setdefault(key, deque())
        attempts.append(now)
        _trim(attempts, now - self.limits.per_sender_window)
        if len(attempts) >= self.limits.per_sender:
            self._locked_until[key] = now + self.limits.lockout
            attempts.clear()

    def may_file(self, key: str, now: datetime) -> bool:
        filings = self._filings.get(key)
        if filings is None:
            return True
        _trim(filings, now - self.limits.filings_window)
        return len(filings) < self.limits.filings_per_sender

    def filed(self, key: str, now: datetime) -> None:
        self._filings.setdefault(key, deque()).append(now)

    def forget_idle(self, now: datetime) -> None:
        """Drop counters nobody needs any more (keeps memory flat)."""
        for table, window in (
            (self._wrong, self.limits.per_sender_window),
            (self._filings, self.limits.filings_window),
        ):
            for key in [k for k, v in table.items() if not v or v[-1] < now - window]:
                del table[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]


def _trim(events: deque[datetime], before: datetime) -> None:
    while events and events[0] <= before:
        events.popleft()
