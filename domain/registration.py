"""Rules of registering an item (立项): reading what people type, and load control (基层减负).

Pure functions: the /new conversation, the API and the Excel import use the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

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


_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SHORT = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_day(text: str, today: date) -> date | None:
    """A date typed by a person: ``2026-12-31``, ``2026年12月31日``, ``12月31日``, ``12-31``.

    Without a year, the next such date from ``today`` on (this year, or next year when it has
    passed). ``None`` when the text is not a date.
    """
    cleaned = text.strip().translate(str.maketrans("０１２３４５６７８９－／", "0123456789-/"))
    if match := _FULL.fullmatch(cleaned):
        year, month, day = (int(part) for part in match.groups())
        return _date(year, month, day)
    if match := _SHORT.fullmatch(cleaned):
        month, day = (int(part) for part in match.groups())
        found = _date(today.year, month, day)
        if found is not None and found < today:
            found = _date(today.year + 1, month, day)
        return found
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


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
