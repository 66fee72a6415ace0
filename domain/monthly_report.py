"""The monthly supervision report (督查专报): which month, when the schedule issues it, and how
its lines are written (the overdue items with what was done about them, the items that became
formal inspection items, the figures' rows).

Pure values and functions: ``services/documents/report.py`` reads the facts and builds the
document, ``services/monthly_report.py`` sends it on the month's first working day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.assessment import Period, Stats, StatsRow

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> Period | None:
    """The month ``YYYY-MM`` as a period of whole days, or None when it is not one."""
    found = _MONTH.fullmatch(text.strip())
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        return None
    return month_period(year, month)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(start, following - timedelta(days=1))


def month_key(period: Period) -> str:
    """``2026-11``: the month's occasion key."""
    return f"{period.start.year}-{period.start.month:02d}"


def month_label(period: Period) -> str:
    """``2026年11月``."""
    return f"{period.start.year}年{period.start.month}月"


def previous_month(today: date) -> Period:
    """The whole month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return month_period(last.year, last.month)


def working_day_of_month(
    year: int, month: int, nth: int, is_workday: Callable[[date], bool]
) -> date:
    """The month's ``nth`` working day (its last day if it has fewer)."""
    period = month_period(year, month)
    day, seen = period.start, 0
    while day <= period.end:
        if is_workday(day):
            seen += 1
            if seen == nth:
                return day
        day += timedelta(days=1)
    return period.end


def lateness_days(due: date, settled: date) -> int:
    """Whole days an item was late: from its due day to the day it was closed (or the day the
    report looks at, while it is still open)."""
    return max((settled - due).days, 0)


MEASURE_NAMES: dict[str, str] = {
    "urged": "分管领导督办",
    "urging_notice": "下达书面催办通知",
    "inspection_item": "报县政府主要领导并列入督查事项",
    "talk_ordered": "决定约谈",
    "talk_held": "约谈单位主要负责人",
    "criticism_ordered": "决定通报批评",
    "criticism_issued": "通报批评",
    "referred": "提出问责建议",
}
"""The timeline's events that are something done about a late item, in the office's words (an
escalation, ``escalated``, is named by its level: :meth:`Measure.text`)."""

ESCALATED = "escalated"


@dataclass(frozen=True)
class Measure:
    """One thing done about an overdue item: when, what, and its number when it had one."""

    day: date
    kind: str
    number: str = ""
    level: int = 0  # an escalation's level

    def text(self, numbers: str = "") -> str:
        if self.kind == "escalated":
            name = ESCALATION_NAMES.get(self.level, ESCALATION_NAMES[max(ESCALATION_NAMES)])
        else:
            name = MEASURE_NAMES[self.kind]
        numbers = numbers or self.number
        return f"{self.day.month}月{self.day.day}日{name}" + (f"（{numbers}）" if numbers else "")


# A ladder step in the regulations' words (never a level number).
ESCALATION_NAMES = {
    0: "提请分管领导督办",
    1: "提请分管领导督办",
    2: "督查室催办",
    3: "报县政府主要领导督办",
    4: "约谈后仍未办结，报主要领导提请问责",
}


def measures_text(measures: list[Measure]) -> str:
    """The measures in order, ``11月7日下达书面催办通知（催〔2026〕1号）；11月12日约谈…``; the
    same measure on one day once, with all its numbers (one urging notice to each unit)."""
    grouped: dict[tuple[date, str, int], list[str]] = {}
    for m in sorted(measures, key=lambda m: m.day):
        numbers = grouped.setdefault((m.day, m.kind, m.level), [])
        if m.number and m.number not in numbers:
            numbers.append(m.number)
    lines = [
        Measure(day, kind, level=level).text("、".join(numbers))
        for (day, kind, level), numbers in grouped.items()
    ]
    return "；".join(lines) or "暂未采取措施"


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def row_fields(row: StatsRow) -> dict[str, object]:
    """A figures row as the report's tables show it."""
    return {
        "name": row.name or "合计",
        "dispatched": row.items,
        "due": row.due,
        "on_time": row.closed_on_time,
        "rate": rate_text(row.on_time_rate),
        "late": row.late_feedbacks,
        "escalations": row.escalation_total,
        "talks": row.talks,
        "criticisms": row.criticisms,
        "referrals": row.referrals,
    }


def has_activity(row: StatsRow) -> bool:
    """A row with anything to show this month (a county's idle units are left out)."""
    return bool(
        row.items
        or row.due
        or row.late_feedbacks
        or row.escalation_total
        or row.talks
        or row.criticisms
        or row.referrals
    )


def worst_unit(stats: Stats) -> StatsRow | None:
    """The unit with the lowest on-time rate below 100% (more due first among equals)."""
    rated = [row for row in stats.units if row.on_time_rate is not None and row.on_time_rate < 1]
    return min(rated, key=lambda r: (r.on_time_rate or 0.0, -r.due, r.key), default=None)
