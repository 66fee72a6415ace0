"""Texts of the web console, the Excel export, statistics and bulletins."""

from __future__ import annotations

from domain.i18n import N_
from domain.vocabulary import Light
from texts import Text

LIGHT_NAMES: dict[str, str] = {
    Light.GREEN: N_("green"),
    Light.YELLOW: N_("yellow"),
    Light.RED: N_("red"),
}

# --- Excel ------------------------------------------------------------------------------------

LEDGER_SHEET = N_("Ledger")
STATS_SHEET = N_("Statistics")
TOTAL = N_("Total")
STATS_PERIOD = N_("Statistics from {start} to {end}")

# (label, column width)
LEDGER_COLUMNS: list[tuple[str, int]] = [
    (N_("Code"), 18),
    (N_("Ref"), 10),
    (N_("Title"), 40),
    (N_("Source"), 14),
    (N_("Class"), 14),
    (N_("Status"), 12),
    (N_("Light"), 8),
    (N_("Dispatched"), 17),
    (N_("Due"), 12),
    (N_("Leader"), 12),
    (N_("Unit"), 18),
    (N_("Role"), 10),
    (N_("Acknowledged"), 17),
    (N_("Last report"), 17),
    (N_("Closed"), 17),
    (N_("Unit's status"), 16),
    (N_("Escalation level"), 10),
]

STATS_COLUMNS: list[tuple[str, int]] = [
    (N_("Unit"), 18),
    (N_("Items dispatched"), 10),
    (N_("Items due"), 10),
    (N_("Closed on time"), 10),
    (N_("On-time rate"), 10),
    (N_("Mean hours to acknowledge"), 12),
    (N_("Late feedbacks"), 10),
    (N_("Escalations, level 1"), 10),
    (N_("Escalations, level 2"), 10),
    (N_("Escalations, level 3"), 10),
    (N_("Returns"), 10),
    (N_("Extensions"), 10),
]

# --- chat: /web and /stats --------------------------------------------------------------------

WEB_LINK = N_(
    "🖥 Your sign-in link to the web console:\n{link}\n\n"
    "It works once, for you only, within {minutes} minutes. Do not forward it."
)
WEB_REFUSED = N_(
    "The web console is for the supervision office and the leaders. "
    "Units work in this chat: /items, /report."
)
WEB_NOT_JOINED = N_("Join first with your invite link.")
STATS_REFUSED = N_("Statistics are for the supervision office and the leaders.")
STATS_TITLE = N_("📊 <b>Statistics</b> {start} – {end}")
STATS_SCOPE_ALL = N_("All units")
STATS_SCOPE_UNITS = N_("Your units: {units}")
STATS_LINE = N_("{name}: due {due}, on time {on_time}, rate {rate}")
STATS_NONE_DUE = N_("{name}: nothing due")
STATS_TOTALS = N_("Dispatched {items} · due {due} · closed on time {on_time} · rate {rate}")
CHART_TITLE = N_("On-time rate by unit, {start} – {end}")
CHART_NO_DATA = N_("Nothing was due in this period")
NO_RATE = N_("—")

# --- bulletin ---------------------------------------------------------------------------------

BULLETIN_TITLE = N_("📣 <b>Weekly bulletin</b> {start} – {end}")
BULLETIN_CAPTION = N_("📣 Weekly bulletin {start} – {end}: on-time rate by unit")
BULLETIN_COUNTS = N_(
    "Open items: {open} (🔴 {red} · 🟡 {yellow} · 🟢 {green}); closed last week: {closed}."
)
BULLETIN_RATE = N_("On-time rate last week: {rate} ({on_time} of {due} due).")
BULLETIN_BEST = N_("Best: {units}")
BULLETIN_WORST = N_("Needs attention: {units}")
BULLETIN_UNIT_RATE = N_("{name} {rate}")
BULLETIN_OVERDUE = N_("Overdue ({count}):")
BULLETIN_OVERDUE_LINE = N_("🔴 {code} {title} — {unit}, {days} days overdue")
BULLETIN_MORE = N_("… and {count} more in the console.")
BULLETIN_NO_OVERDUE = N_("No item is overdue.")

SEPARATOR = N_(", ")


def percent(t: Text, rate: float | None) -> str:
    if rate is None:
        return t.raw(NO_RATE)
    return f"{rate * 100:.0f}%"
