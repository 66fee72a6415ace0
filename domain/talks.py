"""Talks (约谈, DESIGN §6): a leader talks to the heads of the units of an overdue item, and the
office records what happened: when, where, who attended, what the units committed to and by
when. The commitment date is then a deadline to chase (``Duty.TALK_COMMITMENT``,
``domain.chases``), and a talk opens the way to accountability (the ladder's level that comes
only ``after_talk``).

- who orders: the item's deputy leader (or a deputy leading one of its units) from the ladder's
  first message, the principal leader from the third, the office on either's behalf;
- who records: the office;
- the record as typed in chat: five lines (time, place, attendees, commitment, date), each may
  start with its label (``时间：``); the date of the talk and the commitment date are read with
  ``domain.dates``; the commitment date may not be before the talk, nor the talk after today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from domain.authority import Actor
from domain.dates import NotADate, find_date
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.vocabulary import Role


class TalkBy(StrEnum):
    """Whose talk it is: the deputy leader's (the ladder's first step) or the principal's."""

    DEPUTY = "deputy"
    PRINCIPAL = "principal"


def talk_by(actor: Actor | None, leader_id: int | None, unit_ids: set[int]) -> TalkBy | None:
    """Whose talk ``actor`` may order on an item (None: they may not). ``actor`` None is the
    API, acting as the office: on the principal's behalf."""
    if actor is None or actor.has(Role.PRINCIPAL) or actor.is_office:
        return TalkBy.PRINCIPAL
    if actor.has(Role.DEPUTY) and (actor.person_id == leader_id or unit_ids & actor.leads):
        return TalkBy.DEPUTY
    return None


@dataclass(frozen=True, slots=True)
class TalkRecord:
    """What the office records of a talk that was held."""

    held_on: date
    held_time: time | None
    place: str
    attendees: str
    commitment: str
    commit_by: date


@dataclass(frozen=True, slots=True)
class TalkView:
    """A talk as people read it (item page, API, the talk notice document): who ordered it and
    when, the units talked to, and once recorded, when and where it was held, who attended,
    what was committed to and by when."""

    id: int
    item_ref: str
    item_code: str
    item_title: str
    talk_by: TalkBy
    ordered_by: str | None  # None: the office through the API
    ordered_at: datetime
    units: tuple[str, ...]
    held_on: date | None
    held_time: str | None
    place: str
    attendees: str
    commitment: str
    commit_by: date | None
    recorded_by: str | None
    recorded_at: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "by": self.talk_by.value,
            "ordered_by": self.ordered_by,
            "ordered_at": self.ordered_at.isoformat(),
            "units": list(self.units),
            "held_on": self.held_on.isoformat() if self.held_on else None,
            "held_time": self.held_time,
            "place": self.place,
            "attendees": self.attendees,
            "commitment": self.commitment,
            "commit_by": self.commit_by.isoformat() if self.commit_by else None,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
        }


@dataclass(frozen=True, slots=True)
class TalkFacts:
    """A recorded talk as the item's plan sees it: when it was recorded, the date the units
    committed to, and the units' shares that were talked to."""

    recorded_at: datetime
    commit_by: date
    assignment_ids: frozenset[int]


class TalkRecordIncomplete(InvalidInput):
    key = N_(
        "Please send five lines: time, place, attendees, what the unit committed to, "
        "and by which date."
    )


class CommitmentBeforeTalk(InvalidInput):
    key = N_("The date committed to cannot be before the talk.")


class TalkInFuture(InvalidInput):
    key = N_("A talk is recorded once it has been held: its date cannot be after today.")


FIELD_LIMIT = 1000
_LABEL = re.compile(r"^\s*[^:：\s]{1,6}\s*[:：]\s*")
_SPLIT_DATE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|"
    r"\d{1,2}\s*月\s*\d{1,2}\s*日"
)
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CLOCK = re.compile(r"(\d{1,2})\s*[:：点]\s*(\d{2})?")


def field_value(line: str) -> str:
    """A typed line without its label ("时间：")."""
    return _LABEL.sub("", line, count=1).strip()


def _clock(text: str) -> time | None:
    rest = _SPLIT_DATE.sub(" ", text)
    match = _CLOCK.search(rest)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def past_date(text: str, today: date) -> date:
    """The date in ``text`` of something that has happened: one typed without its year is the
    latest such date up to ``today`` (``find_date`` reads it as the next one)."""
    found = find_date(text, today)
    typed_year = re.search(r"\d{4}", text.translate(_WIDE_DIGITS)) is not None
    if found > today and not typed_year and (found.month, found.day) != (2, 29):
        return found.replace(year=found.year - 1)
    return found


def check_record(record: TalkRecord, today: date) -> TalkRecord:
    """The record as it may be kept: held by today, the commitment not before the talk, each
    text present and not too long."""
    texts = (record.place, record.attendees, record.commitment)
    if not all(texts) or any(len(text) > FIELD_LIMIT for text in texts):
        raise TalkRecordIncomplete()
    if record.held_on > today:
        raise TalkInFuture()
    if record.commit_by < record.held_on:
        raise CommitmentBeforeTalk()
    return record


def parse_talk_record(text: str, today: date) -> TalkRecord:
    """The record typed in chat (see the module's docstring)."""
    lines = [line for line in (field_value(raw) for raw in text.splitlines()) if line]
    if len(lines) != 5:
        raise TalkRecordIncomplete()
    when, place, attendees, commitment, by = lines
    try:
        held_on = past_date(when, today)
        commit_by = find_date(by, today)
    except NotADate:
        raise TalkRecordIncomplete() from None
    record = TalkRecord(held_on, _clock(when), place, attendees, commitment, commit_by)
    return check_record(record, today)
