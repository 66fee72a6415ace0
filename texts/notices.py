"""Notices of criticism and praise (通报批评, 通报表扬): the drafted text, its preview with the
buttons to confirm, edit or drop it, the notice as its distribution reads it, and the office's
alert when a draft expired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.i18n import N_
from domain.notices import CriticismFacts, NoticeKind, NoticeStatus, NoticeView
from texts import Markup, Text, escape
from texts.items import moment, month_day

CONFIRM = N_("✅ Confirm and send")
EDIT = N_("✏️ Edit")
DROP = N_("✖️ Do not send")
PRAISE = N_("👍 Notice of praise")
PRAISE_UNIT = N_("👍 Praise {unit}")

KIND_NAMES = {
    NoticeKind.CRITICISM: N_("📢 Notice of criticism"),
    NoticeKind.PRAISE: N_("👍 Notice of praise"),
}


def _names(t: Text, names: Sequence[str]) -> str:
    return t.raw(N_(", ")).join(names)


def heading(t: Text, kind: NoticeKind, units: Sequence[str]) -> str:
    """A drafted notice's first line, which names it (the document has its own title)."""
    if kind is NoticeKind.PRAISE:
        return t.raw(N_("Notice of praise of {unit}")).format(unit=_names(t, units))
    return t.raw(N_("Notice of criticism of {units}")).format(units=_names(t, units))


def criticism_draft(t: Text, facts: CriticismFacts) -> str:
    """The notice's text, drafted from the item; plain text (it is escaped when shown)."""
    units = _names(t, facts.units)
    done = []
    if facts.urging_notices:
        done.append(
            t.raw(N_("the supervision office issued written urging notices ({codes})")).format(
                codes=t.raw(N_(", ")).join(facts.urging_notices)
            )
        )
    if facts.talks_held:
        done.append(
            t.raw(N_("talks were held on {dates}")).format(
                dates=t.raw(N_(", ")).join(month_day(t, d) for d in facts.talks_held)
            )
        )
    lines = [
        heading(t, NoticeKind.CRITICISM, facts.units),
        t.raw(
            N_("{units} was to finish {code} “{title}” by {due}; it is now {days} days overdue.")
        ).format(
            units=units,
            code=facts.code,
            title=facts.title,
            due=month_day(t, facts.due),
            days=facts.overdue_days,
        ),
    ]
    if done:
        lines.append(
            t.raw(N_("Meanwhile {done}, and it is still not done.")).format(
                done=t.raw(N_("; ")).join(done)
            )
        )
    lines.append(
        t.raw(
            N_(
                "It is hereby criticised. {units} is to finish it by {date} and report in "
                "writing to the supervision office."
            )
        ).format(units=units, date=month_day(t, facts.reply_by))
    )
    return "\n".join(lines)


def praise_draft(t: Text, unit: str, rate: float | None) -> str:
    lines = [heading(t, NoticeKind.PRAISE, [unit])]
    if rate is not None:
        lines.append(
            t.raw(
                N_(
                    "{unit} has taken the supervised items seriously and carried them out: "
                    "{rate} of its items were finished on time this year."
                )
            ).format(unit=unit, rate=f"{rate:.0%}")
        )
    else:
        lines.append(
            t.raw(
                N_("{unit} has taken the supervised items seriously and carried them out.")
            ).format(unit=unit)
        )
    lines.append(t.raw(N_("It is hereby praised, and encouraged to keep it up.")))
    return "\n".join(lines)


def preview(t: Text, notice: NoticeView, tz: ZoneInfo) -> str:
    """To the principal leader and the office: the draft, and what to do with it."""
    return "\n".join(
        (
            t(N_("📝 Draft: {kind}"), kind=t(KIND_NAMES[notice.kind])),
            "",
            escape(notice.text),
            "",
            t(
                N_(
                    "Confirm to send it to the units' heads and 专人, the deputy leaders and "
                    "the organisations copied; edit it by pressing Edit. Unconfirmed, it "
                    "expires on {time}."
                ),
                time=moment(t, notice.expires_at, tz),
            ),
        )
    )


def sent(t: Text, notice: NoticeView, copied_as: str | None) -> str:
    """The notice as its distribution reads it; ``copied_as``: the organisation copied."""
    lines = [t(KIND_NAMES[notice.kind])]
    if copied_as:
        lines.append(t(N_("Copy to {organisation}"), organisation=copied_as))
    return "\n".join((*lines, "", Markup(escape(notice.text))))


def ordered(t: Text, notice: NoticeView, tz: ZoneInfo, *, already: bool) -> str:
    """To whoever ordered it: the draft is on its way as a preview (or was ordered before)."""
    if notice.status is NoticeStatus.SENT:
        return t(
            N_("This notice was already sent on {time}."),
            time=moment(t, notice.decided_at or notice.ordered_at, tz),
        )
    if already:
        return t(N_("A draft of this notice is already waiting for confirmation (below)."))
    return t(N_("📝 The notice is drafted: confirm, edit or drop it in the preview (below)."))


def confirmed(t: Text, people: int) -> str:
    return t(N_("✅ Sent to {count} people."), count=people)


def dropped(t: Text) -> str:
    return t(N_("✖️ Not sent: the draft is dropped."))


def edit_question(t: Text) -> str:
    return t(N_("✏️ Reply with the whole new text of the notice."))


def edited(t: Text) -> str:
    return t(N_("✏️ Edited: the new draft is shown below for confirmation."))


def expired_alert(t: Text, notice: NoticeView, when: datetime, tz: ZoneInfo) -> str:
    return "\n".join(
        (
            t(
                N_("⌛ A draft {kind} of {units} was not confirmed by {time} and has expired."),
                kind=t(KIND_NAMES[notice.kind]),
                units=_names(t, notice.units),
                time=moment(t, when, tz),
            ),
            t(N_("Order it again if it is still wanted.")),
        )
    )
