"""Notices of criticism and of praise (通报批评, 通报表扬, DESIGN §6): acts with a distribution.

A notice is drafted (a criticism from an item: the unit, what was required, how late, what was
done, what is required now; a praise for a unit the office chooses), confirmed or edited by the
principal leader or the office, then sent once to its distribution:

- the units' heads and contacts (专人);
- the deputy leaders (``notices.copy_deputy_leaders``);
- the members of every organisation the roster lists to copy (县委办, 人大办, 政协办;
  ``notices.copy_organisations``).

A draft not confirmed within ``notices.confirm_within_hours`` expires (the office is told). A
notice is sent once: only a draft still open may be confirmed, and the move from draft to sent
is one conditional update, so two presses or two instances send it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain.authority import Actor
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.i18n import N_
from domain.vocabulary import Role

TEXT_LIMIT = 3000  # a notice is one chat message


class NoticeKind(StrEnum):
    CRITICISM = "criticism"  # 通报批评
    PRAISE = "praise"  # 通报表扬


class NoticeStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    EXPIRED = "expired"
    DROPPED = "dropped"


class MayNotIssue(Forbidden):
    key = N_("Only the principal leader and the supervision office can issue a notice.")


class NoticeClosed(Conflict):
    key = N_("This notice is no longer a draft: it was sent, dropped or has expired.")


class NoticeTextInvalid(InvalidInput):
    key = N_("The notice's text must not be empty nor longer than 3000 characters.")


def check_may_issue(actor: Actor | None, kind: NoticeKind) -> None:
    """A criticism: the principal leader or the office on their behalf; a praise: the office
    (or the principal). ``actor`` None is the API, acting as the office."""
    if actor is None or actor.is_office or actor.has(Role.PRINCIPAL):
        return
    raise MayNotIssue()


def check_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned or len(cleaned) > TEXT_LIMIT:
        raise NoticeTextInvalid()
    return cleaned


@dataclass(frozen=True, slots=True)
class CriticismFacts:
    """What a notice of criticism is drafted from."""

    units: tuple[str, ...]
    code: str
    title: str
    due: date
    overdue_days: int
    urging_notices: tuple[str, ...]  # the written urging notices issued (催办通知 numbers)
    talks_held: tuple[date, ...]  # the talks (约谈) held
    reply_by: date  # what is required now: done and reported in writing by this day


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A notice as people read it (preview, API, the 通报 document)."""

    id: int
    kind: NoticeKind
    status: NoticeStatus
    item_ref: str | None
    units: tuple[str, ...]
    text: str
    ordered_by: str | None
    ordered_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "status": self.status.value,
            "item": self.item_ref,
            "units": list(self.units),
            "text": self.text,
            "ordered_by": self.ordered_by,
            "ordered_at": self.ordered_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }


def distribution(
    unit_people: Iterable[int],
    deputies: Sequence[int],
    organisations: Sequence[Sequence[int]],
    *,
    copy_deputies: bool,
    copy_organisations: bool,
) -> list[int]:
    """The people a confirmed notice goes to, each once, in order: the units' people, the
    deputy leaders, the organisations' members."""
    found = list(unit_people)
    if copy_deputies:
        found += deputies
    if copy_organisations:
        found += [member for members in organisations for member in members]
    return list(dict.fromkeys(found))
