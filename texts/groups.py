"""Messages about work groups (工作群): binding, unbinding, the bot's arrival and departure,
and the line a group message gets when someone acts on it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.i18n import N_
from domain.vocabulary import GroupKind
from texts import Text

KIND_NAMES: dict[GroupKind, str] = {
    GroupKind.UNIT: N_("unit group"),
    GroupKind.OFFICE: N_("the supervision office's group"),
    GroupKind.LEADERS: N_("the leaders' group"),
}

# What a person did on a group message ("已由李四签收 12:05").
ACKNOWLEDGED = N_("acknowledged")
TRIAGED = N_("handled")
# How a complaint was triaged, as its message in the office's group then says.
TRIAGE_ACCEPTED = N_("accepted as an item")
TRIAGE_REJECTED = N_("declined to accept")
TRIAGE_ANSWERED = N_("answered directly")
TRIAGE_MERGED = N_("merged with another")
DECIDED = N_("decided")


def what(t: Text, kind: GroupKind, unit_name: str | None) -> str:
    """What a group is bound to, in words: 县教育局工作群, 督查室工作群, 领导工作群."""
    if kind is GroupKind.UNIT and unit_name:
        return t(N_("{unit}'s group"), unit=unit_name)
    return t(KIND_NAMES[kind])


def bound(t: Text, kind: GroupKind, unit_name: str | None) -> str:
    routes = {
        GroupKind.UNIT: N_("dispatch notices, reminders, chases and urging notices"),
        GroupKind.OFFICE: N_(
            "new complaints, reports awaiting verification, extension requests and delivery "
            "failures"
        ),
        GroupKind.LEADERS: N_("the weekly bulletin and the monthly report"),
    }
    return t(
        N_(
            "✅ This group is now {what}.\n"
            "It will receive {routes}. Anyone may press a button here, but what happens is "
            "decided by each person's own role. To report, reply to my message."
        ),
        what=what(t, kind, unit_name),
        routes=t.raw(routes[kind]),
    )


def unbound(t: Text, kind: GroupKind, unit_name: str | None) -> str:
    return t(
        N_("This group is no longer {what}. Messages go to each person privately again."),
        what=what(t, kind, unit_name),
    )


def bind_usage(t: Text) -> str:
    return t(
        N_(
            "Send /bind office, /bind leaders or /bind UNIT (the unit's key) in the group. "
            "A unit's head may send just /bind for their own unit."
        )
    )


def links_intro(t: Text, hours: int) -> str:
    return t(
        N_(
            "Add me to a work group with one of these links (each works once, within "
            "{hours} hours). You can also add me yourself and send /bind in the group."
        ),
        hours=hours,
    )


def link_label(t: Text, kind: GroupKind, unit_name: str | None) -> str:
    return what(t, kind, unit_name)


def bind_in_group(t: Text) -> str:
    return t(N_("/bind works in a group. Add me to the group first."))


def hello_binder(t: Text) -> str:
    return t(
        N_("Thank you for adding me. Send /bind office, /bind leaders or /bind UNIT to bind it.")
    )


def leaving(t: Text) -> str:
    return t(
        N_(
            "I serve only the work groups bound by the supervision office. "
            "Ask the office to add me. Goodbye."
        )
    )


def done_by(t: Text, name: str, action: str, at: datetime, tz: ZoneInfo) -> str:
    """The line a group message gets when someone acts on it: 已由李四签收 12:05."""
    return t(
        N_("☑️ {action} by {name} at {time}"),
        name=name,
        action=t.raw(action),
        time=at.astimezone(tz).strftime("%H:%M"),
    )


def not_on_roster(t: Text) -> str:
    return t(N_("Only people on the roster can act here. Nothing was changed."))


def lost(t: Text, what: str, title: str) -> str:
    return t(
        N_(
            "⚠️ I was removed from the group «{title}» ({what}). Its messages now go to each "
            "person privately. Add me again and send /bind there to restore it."
        ),
        title=title,
        what=what,
    )
