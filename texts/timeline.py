"""How a timeline entry's detail reads to a person (the console's item page).

The stored detail of the sweep's and the deliverer's entries is written for the log and the
API ("escalation → 王五 (late)", "level 2", "remind → 李四 (not_joined)"); a person reads
it in their language from the entry's kind and data instead, with no codes. Details that are a
person's own words (a reason, a report's excerpt, a title) read as they were typed.
"""

from __future__ import annotations

from domain.i18n import N_
from domain.views import TimelineEntry
from texts import Markup, Text, escape
from texts.items import EVENT_NAMES

ARROW = " → "
LATE = " (late)"

# What a notification was, by its kind (the outbox's ``kind`` column).
NOTIFICATION_NAMES: dict[str, str] = {
    "receipt_chase": N_("the reminder to acknowledge (催签收)"),
    "before_due": N_("the reminder before the due date"),
    "report_due_soon": N_("the reminder of the periodic report"),
    "escalation": N_("the overdue notice (督办)"),
    "duty_reminder": N_("the reminder of a deadline (研究部署/首次反馈)"),
    "duty_chase": N_("the chase of a missed report (催报)"),
    "duty_notice": N_("the notice of a report still missing"),
    "digest": N_("the morning summary"),
    "urge": N_("the urging notice (催办通知)"),
    "talk": N_("the talk notice (约谈)"),
    "criticism": N_("the notice of criticism (通报批评)"),
    "referral": N_("the accountability notice (问责)"),
    "forwarded": N_("the forwarded notice"),
    "office_alert": N_("the alert to the office"),
    "dispatch": N_("the dispatch notice (交办)"),
    "dispatch_copy": N_("the copy of the dispatch"),
    "dispatch_leader_copy": N_("the leader's copy of the dispatch"),
    "approval": N_("the request for approval"),
}
A_NOTICE = N_("a notice")

REASONS: dict[str, str] = {
    "not_joined": N_("has not joined the bot yet"),
    "blocked": N_("has blocked the bot"),
    "chat_not_found": N_("the chat no longer exists"),
}


def notification_name(t: Text, kind: str) -> str:
    """What a notification of ``kind`` was, in the reader's language."""
    name = NOTIFICATION_NAMES.get(kind) or EVENT_NAMES.get(kind)
    return t.raw(name) if name is not None else t.raw(A_NOTICE)


def entry_detail(t: Text, entry: TimelineEntry) -> str:
    """The entry's detail as a person reads it ("" when there is nothing to add), HTML-escaped
    like every message."""
    kind, detail, data = entry.kind, entry.detail, entry.data
    if kind in ("reminded", "chased", "escalated"):
        return _queued(t, detail, data)
    if kind == "inspection_item":
        return t(N_("overdue: reported to the principal leader and listed for inspection"))
    if kind == "delivered":
        what = notification_name(t, detail.removesuffix(LATE))
        if data.get("late"):
            return t(N_("{what}, delivered late"), what=what)
        return what
    if kind == "delivery_failed":
        what, _, name = detail.partition(ARROW)
        return t(N_("{what} to {name}"), what=notification_name(t, what), name=name)
    if kind == "unreachable":
        return _unreachable(t, detail, data)
    return escape(detail)


def _queued(t: Text, detail: str, data: dict[str, object]) -> str:
    """A reminder, chase or level queued: to whom, and whether it went late."""
    _, _, names = detail.partition(ARROW)
    names = names.removesuffix(LATE).replace(", ", "、")
    line = t(N_("sent to {names}"), names=names) if names else ""
    if data.get("notice"):
        line = t(N_("{line} (notice {code})"), line=Markup(line), code=data["notice"])
    if data.get("late"):
        line = t(N_("{line}, sent late (catching up)"), line=Markup(line))
    return line


def _unreachable(t: Text, detail: str, data: dict[str, object]) -> str:
    """Who could not be reached with what, why, and who was told instead."""
    head, _, instead = detail.partition(" ⇒ ")
    what, _, rest = head.partition(ARROW)
    name = rest.rsplit(" (", 1)[0]
    reason = REASONS.get(str(data.get("reason", "")))
    line = t(N_("{what} did not reach {name}"), what=notification_name(t, what), name=name)
    if reason is not None:
        line = t(N_("{line}: {reason}"), line=Markup(line), reason=t.raw(reason))
    if instead:
        names = instead.replace(", ", "、")
        line = t(N_("{line}; sent instead to {names}"), line=Markup(line), names=names)
    return line
