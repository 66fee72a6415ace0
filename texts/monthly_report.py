"""The monthly supervision report's (督查专报) message in chat: three lines over the document
that follows it (the month and number, the on-time rate, the overdue count and the worst
unit)."""

from __future__ import annotations

from domain.assessment import Period, Stats
from domain.i18n import N_
from domain.monthly_report import rate_text, worst_unit
from texts import Text

TITLE = N_("📊 Supervision report (督查专报) for {year}-{month}, {number}; the document follows.")
RATE = N_("On-time rate {rate}: {on_time} of {due} items due were closed on time.")
NOTHING_DUE = N_("No item fell due this month.")
OVERDUE_WORST = N_("Overdue items: {count}; lowest on-time rate: {unit} ({rate}).")
OVERDUE = N_("Overdue items: {count}.")


def summary(t: Text, period: Period, number: str, stats: Stats, overdue: int) -> str:
    """The three lines."""
    total = stats.total
    rate = (
        t(RATE, rate=rate_text(total.on_time_rate), on_time=total.closed_on_time, due=total.due)
        if total.due
        else t(NOTHING_DUE)
    )
    worst = worst_unit(stats)
    last = (
        t(OVERDUE_WORST, count=overdue, unit=worst.name, rate=rate_text(worst.on_time_rate))
        if worst is not None
        else t(OVERDUE, count=overdue)
    )
    title = t(TITLE, year=period.start.year, month=period.start.month, number=number)
    return "\n".join((title, rate, last))
