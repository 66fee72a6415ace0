"""Dates that people type: one grammar for every date asked for in chat or read from a sheet.

A date is written in full (``2026-12-31``, ``2026/12/31``, ``2026.12.31``, ``2026年12月31日``)
or without its year (``12月31日``, ``12-31``, ``12/31``); full-width digits and dashes count as
their ASCII twins. A date without a year is the next such date from ``today`` on: this year's,
or next year's when it has passed. ``today`` is the date in the deployment's zone.

Pure functions: :func:`parse_day` reads a text that is only a date, :func:`read_date` does the
same or raises :class:`NotADate`, and :func:`find_date` finds the date in an answer that says
more (a new due date with the reason for it).
"""

from __future__ import annotations

import re
from datetime import date

from domain.errors import InvalidInput
from domain.i18n import N_


class NotADate(InvalidInput):
    key = N_("That is not a date. Type it like 2026-12-31, 12月31日 or 12-31.")


_WIDE = str.maketrans("０１２３４５６７８９－／", "0123456789-/")
_AFTER_YEAR = r"\s*[-/.年]\s*"
_AFTER_MONTH = r"\s*[-/.月]\s*"


def _full(year: str) -> re.Pattern[str]:
    return re.compile(rf"({year}){_AFTER_YEAR}(\d{{1,2}}){_AFTER_MONTH}(\d{{1,2}})\s*日?")


_FULL = _full(r"\d{4}")
_SHORT = re.compile(rf"(\d{{1,2}}){_AFTER_MONTH}(\d{{1,2}})\s*日?")
# Within a longer text other numbers abound: there a year is 2000-2099, and a date without its
# year must be written with 月 and 日 ("3-5" in "整改3-5项" is not a date).
_FULL_IN_TEXT = _full(r"20\d\d")
_SHORT_IN_TEXT = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def parse_day(text: str, today: date) -> date | None:
    """The date that ``text`` is (blanks around it ignored), or ``None`` when it is not one."""
    cleaned = text.strip().translate(_WIDE)
    if match := _FULL.fullmatch(cleaned):
        return _full_date(match)
    if match := _SHORT.fullmatch(cleaned):
        return _next_date(match, today)
    return None


def read_date(text: str, today: date) -> date:
    """The date that ``text`` is; :class:`NotADate` when it is not one."""
    found = parse_day(text, today)
    if found is None:
        raise NotADate()
    return found


def find_date(text: str, today: date) -> date:
    """The date given in an answer that may say more: the whole text read as a date, else the
    first full date in it, else the first ``M月D日`` in it; :class:`NotADate` when none is."""
    if (whole := parse_day(text, today)) is not None:
        return whole
    cleaned = text.translate(_WIDE)
    for match in _FULL_IN_TEXT.finditer(cleaned):
        if (found := _full_date(match)) is not None:
            return found
    for match in _SHORT_IN_TEXT.finditer(cleaned):
        if (found := _next_date(match, today)) is not None:
            return found
    raise NotADate()


def _full_date(match: re.Match[str]) -> date | None:
    year, month, day = (int(part) for part in match.groups())
    return _date(year, month, day)


def _next_date(match: re.Match[str], today: date) -> date | None:
    """A date without its year: this year's, or next year's when this year's has passed."""
    month, day = (int(part) for part in match.groups())
    found = _date(today.year, month, day)
    if found is not None and found < today:
        found = _date(today.year + 1, month, day)
    return found


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_in(text: str, today: date) -> date | None:
    """:func:`find_date`, or ``None`` when the text names no date (an extension request may
    give its new date in words the office reads instead)."""
    try:
        return find_date(text, today)
    except NotADate:
        return None
