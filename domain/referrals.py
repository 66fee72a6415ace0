"""Referrals for accountability (问责建议, DESIGN §3 level 4): an item still undone after a talk
(约谈) may be referred, by the principal leader or the office on their behalf, to the body that
holds people to account (e.g. 县纪委监委, 移送纪检监察): to whom, the reason, the date.

Typed in chat as three lines (to whom, reason, date), each may start with its label; the date
is read with ``domain.dates`` and may not be after today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.dates import NotADate
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.talks import FIELD_LIMIT, field_value, past_date


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    to_whom: str
    reason: str
    on: date


@dataclass(frozen=True)
class ReferralView:
    id: int
    to_whom: str
    reason: str
    on: date
    by: str | None
    at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "to": self.to_whom,
            "reason": self.reason,
            "on": self.on.isoformat(),
            "by": self.by,
            "at": self.at.isoformat(),
        }


class ReferralIncomplete(InvalidInput):
    key = N_("Please send three lines: to whom it is referred, the reason, and the date.")


class ReferralInFuture(InvalidInput):
    key = N_("A referral is recorded once made: its date cannot be after today.")


def check_referral(record: ReferralRecord, today: date) -> ReferralRecord:
    texts = (record.to_whom, record.reason)
    if not all(texts) or any(len(text) > FIELD_LIMIT for text in texts):
        raise ReferralIncomplete()
    if record.on > today:
        raise ReferralInFuture()
    return record


def parse_referral(text: str, today: date) -> ReferralRecord:
    lines = [line for line in (field_value(raw) for raw in text.splitlines()) if line]
    if len(lines) != 3:
        raise ReferralIncomplete()
    to_whom, reason, when = lines
    try:
        on = past_date(when, today)
    except NotADate:
        raise ReferralIncomplete() from None
    return check_referral(ReferralRecord(to_whom, reason, on), today)
