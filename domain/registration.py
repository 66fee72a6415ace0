"""Rules of registering an item (立项): reading what people type, the due date, and load control
(基层减负).

Pure functions: the /new conversation, the API and the Excel import use the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.dates import read_date
from domain.deadlines import milestones
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.policy import Policy, ResolveRuleKind
from domain.vocabulary import Source, TimeClass

# Chinese names accepted for sources and classes (Excel lists, typed input); the English
# values of the vocabulary are accepted too.
SOURCE_NAMES_ZH: dict[str, Source] = {
    "上级交办": Source.SUPERIOR,
    "重大决策部署": Source.DECISION,
    "政府工作报告": Source.WORK_REPORT,
    "会议议定事项": Source.MEETING,
    "领导批示": Source.INSTRUCTION,
    "建议提案": Source.PROPOSAL,
    "群众投诉": Source.COMPLAINT,
    "其他": Source.OTHER,
}

CLASS_NAMES_ZH: dict[str, TimeClass] = {
    "一般事项": TimeClass.GENERAL,
    "一般": TimeClass.GENERAL,
    "重大复杂事项": TimeClass.MAJOR,
    "重大复杂": TimeClass.MAJOR,
    "常态化事项": TimeClass.ROUTINE,
    "常态化": TimeClass.ROUTINE,
    "领导批示": TimeClass.INSTRUCTION,
    "建议提案": TimeClass.PROPOSAL,
    "重要会议文件": TimeClass.MEETING,
    "会议文件": TimeClass.MEETING,
    "年度重点工作": TimeClass.ANNUAL,
    "自定": TimeClass.CUSTOM,
    "自定义": TimeClass.CUSTOM,
}


def parse_source(text: str) -> Source | None:
    cleaned = text.strip()
    if cleaned in SOURCE_NAMES_ZH:
        return SOURCE_NAMES_ZH[cleaned]
    try:
        return Source(cleaned.lower())
    except ValueError:
        return None


def parse_class(text: str) -> TimeClass | None:
    cleaned = text.strip()
    if cleaned in CLASS_NAMES_ZH:
        return CLASS_NAMES_ZH[cleaned]
    try:
        return TimeClass(cleaned.lower())
    except ValueError:
        return None


# --- the due date (办结时限) typed in /new ------------------------------------------------------


class DueInPast(InvalidInput):
    key = N_("The due date cannot be in the past. Type a later date.")


@dataclass(frozen=True)
class ProposedDue:
    """The due date an item's class gives it when dispatched now, or that one must be typed.

    ``due`` is ``None`` for an open-ended class, and when ``must_type`` (a custom item).
    """

    due: date | None
    must_type: bool


def proposed_due(
    time_class: TimeClass, now: datetime, policy: Policy, calendar: WorkCalendar, tz: ZoneInfo
) -> ProposedDue:
    """The due date to propose for an item of ``time_class`` registered at ``now``."""
    if policy.classes[time_class].resolve.rule is ResolveRuleKind.GIVEN_DATE:
        return ProposedDue(None, must_type=True)
    return ProposedDue(milestones(time_class, now, policy, calendar, tz).due, must_type=False)


def typed_due(text: str, today: date) -> date:
    """A due date typed by the office: a date (:mod:`domain.dates`), and not before ``today``.

    Raises :class:`~domain.dates.NotADate` or :class:`DueInPast`.
    """
    day = read_date(text, today)
    if day < today:
        raise DueInPast()
    return day


# --- load control (基层减负) ------------------------------------------------------------------


@dataclass(frozen=True)
class UnitLoad:
    """What a unit already holds: its open items' titles (by item ref)."""

    unit_key: str
    unit_name: str
    open_titles: dict[str, str]


@dataclass(frozen=True)
class LoadWarning:
    """Why dispatching to a unit deserves a second look.

    ``similar_ref``/``similar_title`` name the most similar open item, when one is similar
    enough; ``open_items`` is how many the unit holds.
    """

    unit_key: str
    unit_name: str
    open_items: int
    too_many: bool
    similar_ref: str | None = None
    similar_title: str | None = None
    similarity: float = 0.0


def title_similarity(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1 (whitespace ignored)."""
    left, right = "".join(a.split()), "".join(b.split())
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right).ratio()


def load_warnings(
    title: str, loads: Iterable[UnitLoad], *, max_open: int, similarity: float
) -> list[LoadWarning]:
    """Warnings for the units an item would go to: too many open items, or a similar one."""
    warnings = []
    for load in loads:
        best_ref, best_title, best = None, None, 0.0
        for ref, other in load.open_titles.items():
            ratio = title_similarity(title, other)
            if ratio > best:
                best_ref, best_title, best = ref, other, ratio
        too_many = len(load.open_titles) >= max_open
        similar = best >= similarity
        if too_many or similar:
            warnings.append(
                LoadWarning(
                    unit_key=load.unit_key,
                    unit_name=load.unit_name,
                    open_items=len(load.open_titles),
                    too_many=too_many,
                    similar_ref=best_ref if similar else None,
                    similar_title=best_title if similar else None,
                    similarity=round(best, 2) if similar else 0.0,
                )
            )
    return warnings
