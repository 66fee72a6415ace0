"""Messages of the sweep: reminders, the escalation ladder, the leaders' measures, delivery alerts.

Every message starts with the item's light, code and title (``texts.items.header``), says what
happened and what to do next; buttons carry the action.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.buttons import Button
from domain.i18n import N_
from domain.listing import Listing
from domain.recipients import Audience
from domain.views import ItemView
from domain.vocabulary import Light
from texts import Markup, Text, escape
from texts.items import LIGHTS, day, header, moment, month_day

URGE = N_("📣 Urge")
INSTRUCT = N_("✍️ Instruction")
TALK = N_("🗣 Order a talk")
CRITICISM = N_("📢 Notice of criticism")

SEPARATOR = "\n\n"


def _join(*lines: str | None) -> str:
    return "\n".join(line for line in lines if line is not None)


def _names(t: Text, names: Sequence[str]) -> str:
    return t.raw(N_(", ")).join(names)


# --- before the deadline ---------------------------------------------------------------------


def receipt_chase(
    t: Text, item: ItemView, unit: str, tz: ZoneInfo, *, to_head: bool, hours: int
) -> str:
    dispatched = moment(t, item.dispatched_at, tz) if item.dispatched_at else ""
    if to_head:
        what = t(
            N_(
                "⏰ {unit} has still not acknowledged this item, dispatched {time}. Please see "
                "that your contact acknowledges it today."
            ),
            unit=unit,
            time=dispatched,
        )
    else:
        what = t(
            N_(
                "⏰ Not acknowledged yet: dispatched to {unit} {time}. Please press Acknowledge "
                "now."
            ),
            unit=unit,
            time=dispatched,
        )
    return _join(header(t, item), what)


def before_due(t: Text, item: ItemView, unit: str, days: int) -> str:
    due = day(t, item.due) if item.due else ""
    if days == 0:
        what = t(N_("⏰ Due today ({date}) for {unit}."), date=due, unit=unit)
    else:
        what = t(N_("⏰ Due in {days} days ({date}) for {unit}."), days=days, date=due, unit=unit)
    return _join(
        header(t, item),
        what,
        t(
            N_(
                "Report progress with /report {ref}; if it cannot be finished in time, ask for "
                "an extension with a time node and a plan before the date."
            ),
            ref=item.ref,
        ),
    )


def report_due(t: Text, item: ItemView, unit: str, report_on: date, quarterly: bool) -> str:
    what = (
        t(
            N_("📅 The quarterly report of {unit} is due on {date}."),
            unit=unit,
            date=day(t, report_on),
        )
        if quarterly
        else t(
            N_("📅 The monthly report of {unit} is due on {date}."),
            unit=unit,
            date=day(t, report_on),
        )
    )
    return _join(header(t, item), what, t(N_("Send it with /report {ref}."), ref=item.ref))


# --- the ladder --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LadderFacts:
    """What an escalation message says, whoever it goes to. The level's number is kept for the
    record only: people read what the level does, in the words of the rules."""

    level: int
    overdue_days: int
    units: tuple[str, ...]
    leader: str | None
    notice_code: str | None
    inspection: bool
    told: tuple[str, ...]
    makes_inspection: bool = False  # this level lifts the item into formal inspection
    after_talk: bool = False  # this level comes only after a talk (约谈): accountability
    reply_by: date | None = None  # the urging notice asks for a written answer by this day


def _ladder_headline(t: Text, item: ItemView, facts: LadderFacts, audience: Audience) -> str:
    """What the level does, as the rules say it: 提请督办, 催办通知, 列入督查, 约谈后仍未办结."""
    due = day(t, item.due) if item.due else ""
    days = facts.overdue_days
    if facts.after_talk:
        return t(
            N_(
                "⚖️ Overdue by {days} days (due {date}) and still not done after the talk "
                "(约谈). Under the rules a referral for accountability (问责) may be proposed."
            ),
            days=days,
            date=due,
        )
    if facts.notice_code:
        by = t(N_("by {date}"), date=month_day(t, facts.reply_by)) if facts.reply_by else ""
        if audience is Audience.UNIT:
            return t(
                N_(
                    "📄 Written urging notice of the supervision office ({code}): this item of "
                    "your unit is overdue by {days} days (due {date}). Report in writing how it "
                    "is being handled {by}."
                ),
                code=facts.notice_code,
                days=days,
                date=due,
                by=by,
            )
        return t(
            N_(
                "📄 Written urging notice {code} issued: overdue by {days} days (due {date}); "
                "the units are to report in writing {by}."
            ),
            code=facts.notice_code,
            days=days,
            date=due,
            by=by,
        )
    if facts.makes_inspection:
        return t(
            N_(
                "🔴 Overdue by {days} days (due {date}): reported to the principal leader and "
                "made a formal inspection item (列入督查)."
            ),
            days=days,
            date=due,
        )
    if audience is Audience.LEADER:
        return t(
            N_("🔺 Overdue by {days} days (due {date}). Under the rules it is put to you to urge."),
            days=days,
            date=due,
        )
    if audience is Audience.OFFICE and facts.leader:
        return t(
            N_("🔺 Overdue by {days} days (due {date}): put to {leader} to urge."),
            days=days,
            date=due,
            leader=facts.leader,
        )
    return t(N_("🔺 Overdue by {days} days (due {date})."), days=days, date=due)


def escalation(
    t: Text, item: ItemView, facts: LadderFacts, *, audience: Audience, actions: bool
) -> str:
    """``audience``: a leader (can act), a unit (must act), the office (informed)."""
    lines = [
        header(t, item),
        _ladder_headline(t, item, facts, audience),
        t(N_("Units: {units}"), units=_names(t, facts.units)),
    ]
    if facts.leader:
        lines.append(t(N_("Leader in charge: {name}"), name=facts.leader))
    if facts.inspection and not facts.makes_inspection:
        lines.append(t(N_("🔴 A formal inspection item.")))
    if audience is Audience.UNIT:
        lines.append(
            t(
                N_(
                    "Finish it without delay and report with /report {ref}; if it cannot be "
                    "finished, give the office a time node and a plan."
                ),
                ref=item.ref,
            )
        )
    elif audience is Audience.LEADER and actions:
        lines.append(t(N_("You can act on it with the buttons below.")))
    elif facts.told:
        lines.append(t(N_("Told: {names}"), names=_names(t, facts.told)))
    return _join(*lines)


# --- several notices to one person, listed (domain.listing) -------------------------------------

SHOW_ALL = N_("📋 All overdue items")
SHOW_ITEMS = N_("📋 All my items")
LIST_TITLE_MAX = 24  # characters of an item's title in a list line


def ladder_heading(t: Text, facts: LadderFacts, audience: Audience) -> str:
    """What the level does, as a heading over the items it lists (the words of
    :func:`_ladder_headline`, without one item's days and dates)."""
    if facts.after_talk:
        return t(
            N_(
                "⚖️ Still not done after the talk (约谈); under the rules a referral for "
                "accountability (问责) may be proposed:"
            )
        )
    if facts.notice_code:
        by = t(N_("by {date}"), date=month_day(t, facts.reply_by)) if facts.reply_by else ""
        if audience is Audience.UNIT:
            return t(
                N_(
                    "📄 Written urging notice of the supervision office ({code}): these items of "
                    "your unit are overdue. Report in writing how they are being handled {by}:"
                ),
                code=facts.notice_code,
                by=by,
            )
        return t(
            N_(
                "📄 Written urging notice {code} issued: these items are overdue; the units are "
                "to report in writing {by}:"
            ),
            code=facts.notice_code,
            by=by,
        )
    if facts.makes_inspection:
        return t(
            N_(
                "🔴 Overdue: reported to the principal leader and made formal inspection items "
                "(列入督查):"
            )
        )
    if audience is Audience.LEADER:
        return t(N_("🔺 Overdue. Under the rules these are put to you to urge:"))
    if audience is Audience.OFFICE and facts.leader:
        return t(N_("🔺 Overdue: put to {leader} to urge:"), leader=facts.leader)
    return t(N_("🔺 Overdue:"))


def item_listing(t: Text, heading: str, item: ItemView, said: str, show_all: Button) -> Listing:
    """An item's place in a list of notices (``domain.listing``): under ``heading``, the item
    named by light, code and title (shortened; the short name: light and code) and ``said``."""
    title = item.title
    if len(title) > LIST_TITLE_MAX:
        title = title[: LIST_TITLE_MAX - 1] + "…"
    light = LIGHTS[item.light]
    name = t(N_("{light} <b>{code}</b> {title}"), light=light, code=item.code, title=title)
    tag = t(N_("{light} <b>{code}</b>"), light=light, code=item.code)
    return Listing.of(heading, name, tag, said, show_all)


def ladder_said(t: Text, overdue_days: int) -> str:
    """What a list of ladder notices says of an item: how many days late."""
    return t(N_("{days} days overdue"), days=overdue_days)


def receipt_heading(t: Text, unit: str, *, to_head: bool) -> str:
    """Over a list of receipt chases (催签收): the words of :func:`receipt_chase`."""
    if to_head:
        return t(
            N_(
                "⏰ {unit} has still not acknowledged these items. Please see that your contact "
                "acknowledges them today:"
            ),
            unit=unit,
        )
    return t(
        N_("⏰ Not acknowledged yet: dispatched to {unit}. Please press Acknowledge now:"),
        unit=unit,
    )


def receipt_said(t: Text, item: ItemView, tz: ZoneInfo) -> str:
    """What a list of receipt chases says of an item: when it was dispatched."""
    dispatched = moment(t, item.dispatched_at, tz) if item.dispatched_at else ""
    return t(N_("dispatched {time}"), time=dispatched)


def urged(t: Text, item: ItemView, leader: str) -> str:
    return _join(
        header(t, item),
        t(
            N_(
                "📣 {leader} urges: this item is overdue. Finish it at once and report with "
                "/report {ref}."
            ),
            leader=leader,
            ref=item.ref,
        ),
    )


def urge_done(t: Text, item: ItemView, units: Sequence[str]) -> str:
    return _join(
        header(t, item),
        t(N_("📣 Your urging has been sent to {units}."), units=_names(t, units)),
    )


def measure_done(t: Text, item: ItemView) -> str:
    return _join(header(t, item), t(N_("Done: the units and the office have been told.")))


def measure_already(t: Text, item: ItemView, when: datetime, tz: ZoneInfo) -> str:
    return _join(
        header(t, item), t(N_("This was already ordered on {time}."), time=moment(t, when, tz))
    )


NOT_OVERDUE = N_("This item is not overdue, or it is closed: nothing to do.")
ONLY_LEADERS = N_("Only the leaders and the supervision office can do that.")


# --- delivery --------------------------------------------------------------------------------


def forwarded(t: Text, name: str, original: str) -> str:
    return (
        t(N_("↪️ For {name}, whom the bot cannot reach:"), name=name) + SEPARATOR + Markup(original)
    )


def unreachable_alert(t: Text, name: str, blocked: bool, next_name: str | None) -> str:
    why = (
        t(N_("⚠️ {name} has blocked the bot."), name=name)
        if blocked
        else t(N_("⚠️ {name} has not opened a chat with the bot yet."), name=name)
    )
    lines = [why]
    if next_name:
        lines.append(t(N_("Their messages go to {next} instead."), next=next_name))
    lines.append(t(N_("Please ask them to open the bot and press Start.")))
    return _join(*lines)


def failed_alert(t: Text, name: str, code: str | None, attempts: int) -> str:
    if code:
        return t(
            N_(
                "⚠️ A message to {name} about {code} could not be delivered after "
                "{attempts} attempts."
            ),
            name=name,
            code=code,
            attempts=attempts,
        )
    return t(
        N_("⚠️ A message to {name} could not be delivered after {attempts} attempts."),
        name=name,
        attempts=attempts,
    )


# --- the morning digest ------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestLine:
    light: Light
    code: str
    title: str
    due: date | None
    unit: str


DIGEST_MAX_LINES = 30


def digest(t: Text, name: str, lines: Sequence[DigestLine], today: date) -> str:
    out = [t(N_("☀️ Good morning, {name}. Your open items ({count}):"), name=name, count=len(lines))]
    for line in lines[:DIGEST_MAX_LINES]:
        if line.due is None:
            when = t(N_("open-ended"))
        else:
            left = (line.due - today).days
            if left > 0:
                when = t(N_("{days} days left"), days=left)
            elif left == 0:
                when = t(N_("due today"))
            else:
                when = t(N_("overdue by {days} days"), days=-left)
        out.append(
            t(
                N_("{light} <b>{code}</b> {title} · {unit} · {when}"),
                light=LIGHTS[line.light],
                code=line.code,
                title=line.title,
                unit=line.unit,
                when=Markup(escape(when)),
            )
        )
    if len(lines) > DIGEST_MAX_LINES:
        out.append(t(N_("… and {more} more."), more=len(lines) - DIGEST_MAX_LINES))
    out.append(t(N_("Send /items for the list, /report REF to report.")))
    return _join(*out)
