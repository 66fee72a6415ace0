"""Messages about what a unit owes before the due date (研究部署, 首次反馈, periodic reports):
the reminder before the date, the chase (催报) when it has passed, the notice to the leader and
the office when it is still missing, and the mark of a report that came late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.i18n import N_
from domain.views import ItemView
from domain.vocabulary import Duty
from texts import Text
from texts.items import header, month_day

DUTY_NAMES: dict[Duty, str] = {
    Duty.PLAN: N_("the plan (研究部署)"),
    Duty.FIRST_FEEDBACK: N_("the first feedback (首次反馈)"),
    Duty.PERIODIC_REPORT: N_("the monthly report"),
    Duty.PROPOSAL_REPORT: N_("the report after answering the proposal"),
    Duty.PROPOSAL_FOLLOW_UP: N_("the follow-up report on the proposal (answered B)"),
    Duty.RECTIFICATION_PLAN: N_("the rectification plan (整改方案)"),
    Duty.TALK_COMMITMENT: N_("the report on the commitment made at the talk (约谈)"),
}
QUARTERLY_NAME = N_("the quarterly report")

# What the item page calls each deadline and its state.
DUTY_LABELS: dict[str, str] = {
    Duty.PLAN: N_("Plan (研究部署)"),
    Duty.FIRST_FEEDBACK: N_("First feedback (首次反馈)"),
    Duty.PERIODIC_REPORT: N_("Periodic report"),
    Duty.PROPOSAL_REPORT: N_("Report after the answer"),
    Duty.PROPOSAL_FOLLOW_UP: N_("Follow-up report (answer B)"),
    Duty.RECTIFICATION_PLAN: N_("Rectification plan (整改方案)"),
    Duty.TALK_COMMITMENT: N_("Commitment made at the talk (约谈)"),
}
STATE_NAMES: dict[str, str] = {
    "on_time": N_("on time"),
    "late": N_("late"),
    "missing": N_("missing"),
    "open": N_("not due yet"),
}


@dataclass(frozen=True)
class OwedFacts:
    """What a message about one owed deadline says."""

    duty: Duty
    unit: str
    by: date
    chase_on: date
    notify_on: date
    quarterly: bool = False


def duty_name(t: Text, duty: Duty, quarterly: bool = False) -> str:
    if duty is Duty.PERIODIC_REPORT and quarterly:
        return t(QUARTERLY_NAME)
    return t(DUTY_NAMES[duty])


def _owed(t: Text, facts: OwedFacts, message: str, **more: object) -> str:
    """``message`` with the unit, what it owes (``what``) and by when (``date``) filled in."""
    what = duty_name(t, facts.duty, facts.quarterly)
    return t(message, unit=facts.unit, what=what, date=month_day(t, facts.by), **more)


def reminder(t: Text, item: ItemView, facts: OwedFacts) -> str:
    """Before the date, to the contact."""
    return "\n".join(
        (
            header(t, item),
            _owed(t, facts, N_("⏰ {unit}: {what} is due by {date}.")),
            t(N_("Send it with /report {ref}."), ref=item.ref),
        )
    )


def chase(t: Text, item: ItemView, facts: OwedFacts, *, to_head: bool) -> str:
    """催报: the date has passed, to the contact and the unit head."""
    lines = [
        header(t, item),
        _owed(t, facts, N_("⚠️ Chase (催报): {unit} owed {what} by {date}; it has not come.")),
    ]
    if to_head:
        lines.append(t(N_("Please see that your contact sends it today.")))
    else:
        lines.append(t(N_("Send it now with /report {ref}."), ref=item.ref))
    lines.append(
        t(
            N_("Still missing on {date}, it goes to the leader in charge."),
            date=month_day(t, facts.notify_on),
        )
    )
    return "\n".join(lines)


def notice(t: Text, item: ItemView, facts: OwedFacts) -> str:
    """Still missing after the chase, to the deputy leader and the office."""
    return "\n".join(
        (
            header(t, item),
            _owed(
                t,
                facts,
                N_("🔺 {unit} owed {what} by {date}; chased on {chased}, it is still missing."),
                chased=month_day(t, facts.chase_on),
            ),
            t(N_("Please urge the unit.")),
        )
    )


def late_mark(t: Text, duty: Duty, by: date, quarterly: bool = False) -> str:
    """The line a report that came after its date carries (timeline, item page)."""
    return t(
        N_("{what} was due by {date}: sent late."),
        what=duty_name(t, duty, quarterly),
        date=month_day(t, by),
    )


# --- several to one person, listed (domain.listing: texts.reminders.item_listing) -------------


def reminder_heading(t: Text, unit: str) -> str:
    """Over a list of reminders before the date: the words of :func:`reminder`."""
    return t(N_("⏰ {unit}: these are due soon. Send each with /report:"), unit=unit)


def chase_heading(t: Text, unit: str, *, to_head: bool) -> str:
    """Over a list of chases (催报): the words of :func:`chase`."""
    if to_head:
        return t(
            N_(
                "⚠️ Chase (催报): {unit} has not sent what these items required. Please see that "
                "your contact sends it today; what is still missing goes to the leader in charge:"
            ),
            unit=unit,
        )
    return t(
        N_(
            "⚠️ Chase (催报): {unit} has not sent what these items required. Send it now with "
            "/report; what is still missing goes to the leader in charge:"
        ),
        unit=unit,
    )


def notice_heading(t: Text, unit: str) -> str:
    """Over a list of notices that a chased report is still missing: the words of
    :func:`notice`."""
    return t(
        N_(
            "🔺 {unit} has still not sent what these items required, though chased. Please urge "
            "the unit:"
        ),
        unit=unit,
    )


def owed_said(t: Text, facts: OwedFacts, late_days: int | None = None) -> str:
    """What a list says of an item's deadline: what is owed and by when, and (a chase) how many
    days late."""
    what = duty_name(t, facts.duty, facts.quarterly)
    if late_days is None:
        return t(N_("{what} (due {date})"), what=what, date=month_day(t, facts.by))
    return t(
        N_("{what} (due {date}, {days} days late)"),
        what=what,
        date=month_day(t, facts.by),
        days=late_days,
    )
