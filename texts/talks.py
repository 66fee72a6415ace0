"""Messages about talks (约谈): ordered, the office asked to record it, recorded."""

from __future__ import annotations

from collections.abc import Sequence

from domain.i18n import N_
from domain.talks import TalkView
from domain.views import ItemView
from texts import Text
from texts.items import header, month_day, user_text

RECORD = N_("📝 Record the talk")


def _names(t: Text, names: Sequence[str]) -> str:
    return t.raw(N_(", ")).join(names)


def _who(t: Text, leader: str | None) -> str:
    return leader if leader else t(N_("The supervision office"))


def ordered(t: Text, item: ItemView, leader: str | None, units: Sequence[str]) -> str:
    """To the units talked to."""
    return "\n".join(
        (
            header(t, item),
            t(
                N_(
                    "🗣 {leader} will hold a talk (约谈) with the head of {units} about this "
                    "overdue item. The supervision office will tell you the time and place."
                ),
                leader=_who(t, leader),
                units=_names(t, units),
            ),
        )
    )


def ordered_to_office(t: Text, item: ItemView, leader: str | None, units: Sequence[str]) -> str:
    """To the office, which arranges and records it."""
    return "\n".join(
        (
            ordered(t, item, leader, units),
            t(
                N_(
                    "Arrange it, and once it is held press Record the talk: time, place, "
                    "attendees, what the unit committed to and by when."
                )
            ),
        )
    )


def record_question(t: Text, item: ItemView) -> str:
    return "\n".join(
        (
            header(t, item),
            t(N_("📝 Reply with five lines:")),
            t(N_("Time: 12月12日 15:00")),
            t(N_("Place: the meeting room")),
            t(N_("Attendees: who took part")),
            t(N_("Commitment: what the unit committed to")),
            t(N_("Date: 12月20日")),
        )
    )


def held(t: Text, item: ItemView, talk: TalkView, *, to_unit: bool) -> str:
    """The record, to the units (with what they must do) or to the leader who ordered it."""
    assert talk.held_on is not None and talk.commit_by is not None
    when = month_day(t, talk.held_on) + (f" {talk.held_time}" if talk.held_time else "")
    lines = [
        header(t, item),
        t(N_("🗣 Talk (约谈) held {when}, {place}."), when=when, place=user_text(t, talk.place)),
        t(N_("Attended: {names}"), names=user_text(t, talk.attendees)),
        t(
            N_("Committed: {what}, by {date}."),
            what=user_text(t, talk.commitment),
            date=month_day(t, talk.commit_by),
        ),
    ]
    if to_unit:
        lines.append(
            t(
                N_("Report on it with /report {ref} by {date}; if not, it is chased."),
                ref=item.ref,
                date=month_day(t, talk.commit_by),
            )
        )
    return "\n".join(lines)


def recorded_done(t: Text, talk: TalkView) -> str:
    assert talk.commit_by is not None
    return t(
        N_("✅ Talk recorded. If the unit has not reported on it by {date}, it is chased."),
        date=month_day(t, talk.commit_by),
    )


def order_done(t: Text, item: ItemView, units: Sequence[str]) -> str:
    return "\n".join(
        (
            header(t, item),
            t(
                N_("🗣 Talk with the head of {units} ordered; the office arranges and records it."),
                units=_names(t, units),
            ),
        )
    )
