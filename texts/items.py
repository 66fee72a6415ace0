"""Messages about items: labels, the dispatch notice, the item card."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton

from domain.deadlines import ReportTerms
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction
from domain.text import shorten
from domain.views import AssignmentView, ItemView, TimelineEntry
from domain.vocabulary import (
    AssignmentRole,
    AssignmentStatus,
    ItemStatus,
    Light,
    Source,
    TimeClass,
)
from texts import TERMS, Markup, Text, escape

ACKNOWLEDGE = N_("✅ Acknowledge")
DETAILS = N_("Details")

# UTF-16 units of one person's text inside a message, leaving the rest of a 4096-unit message
# (header, title, lines around it) room to spare.
NOTICE_TEXT_MAX = 3000

LIGHTS = {Light.GREEN: "🟢", Light.YELLOW: "🟡", Light.RED: "🔴"}

CLASS_NAMES: dict[str, str] = {
    TimeClass.GENERAL: N_("general"),
    TimeClass.MAJOR: N_("major and complex"),
    TimeClass.ROUTINE: N_("routine"),
    TimeClass.INSTRUCTION: N_("leader's instruction"),
    TimeClass.PROPOSAL: N_("proposal"),
    TimeClass.MEETING: N_("meeting or document"),
    TimeClass.ANNUAL: N_("annual key task"),
    TimeClass.CUSTOM: N_("custom"),
}

SOURCE_NAMES: dict[str, str] = {
    Source.SUPERIOR: N_("assigned by higher authorities"),
    Source.DECISION: N_("major decision"),
    Source.WORK_REPORT: N_("government work report"),
    Source.MEETING: N_("meeting decision"),
    Source.INSTRUCTION: N_("leader's instruction"),
    Source.PROPOSAL: N_("proposal"),
    Source.COMPLAINT: N_("public complaint"),
    Source.OTHER: N_("other"),
}

STATUS_NAMES: dict[str, str] = {
    ItemStatus.DRAFT: N_("draft"),
    ItemStatus.PENDING_APPROVAL: N_("awaiting approval"),
    ItemStatus.DISPATCHED: N_("dispatched"),
    ItemStatus.IN_PROGRESS: N_("in progress"),
    ItemStatus.COMPLETION_SUBMITTED: N_("completion submitted"),
    ItemStatus.CLOSED: N_("closed"),
    ItemStatus.ARCHIVED: N_("archived"),
    ItemStatus.WITHDRAWN: N_("withdrawn"),
}

ASSIGNMENT_STATUS_NAMES: dict[str, str] = {
    AssignmentStatus.DISPATCHED: N_("not acknowledged"),
    AssignmentStatus.ACKNOWLEDGED: N_("acknowledged"),
    AssignmentStatus.IN_PROGRESS: N_("in progress"),
    AssignmentStatus.COMPLETION_SUBMITTED: N_("completion awaiting the head's sign-off"),
    AssignmentStatus.CONFIRMED: N_("completion with the office"),
    AssignmentStatus.COMPLETED: N_("completed"),
}

ACTION_NAMES: dict[str, str] = {
    ItemAction.EDIT: N_("edit"),
    ItemAction.SUBMIT_FOR_APPROVAL: N_("submit for approval"),
    ItemAction.APPROVE: N_("approve"),
    ItemAction.RETURN_DRAFT: N_("return for revision"),
    ItemAction.DISPATCH: N_("dispatch"),
    ItemAction.ACKNOWLEDGE: N_("acknowledge"),
    ItemAction.REPORT: N_("report"),
    ItemAction.REQUEST_EXTENSION: N_("request an extension"),
    ItemAction.APPROVE_EXTENSION: N_("approve an extension"),
    ItemAction.MOVE_STEPS: N_("move the plan or feedback dates of"),
    ItemAction.REFUSE_EXTENSION: N_("refuse an extension"),
    ItemAction.URGE: N_("urge"),
    ItemAction.INSTRUCT: N_("instruct"),
    ItemAction.ESCALATE: N_("escalate"),
    ItemAction.SUBMIT_COMPLETION: N_("submit completion"),
    ItemAction.CLOSE: N_("close"),
    ItemAction.RETURN_COMPLETION: N_("return for rework"),
    ItemAction.FOLLOW_UP: N_("follow up"),
    ItemAction.REOPEN: N_("reopen"),
    ItemAction.ARCHIVE: N_("archive"),
    ItemAction.WITHDRAW: N_("withdraw"),
}

ASSIGNMENT_ACTION_NAMES: dict[str, str] = {
    AssignmentAction.ACKNOWLEDGE: N_("acknowledge"),
    AssignmentAction.REPORT: N_("report"),
    AssignmentAction.REQUEST_EXTENSION: N_("request an extension"),
    AssignmentAction.SUBMIT_COMPLETION: N_("submit completion"),
    AssignmentAction.CONFIRM: N_("confirm"),
    AssignmentAction.DECLINE: N_("send back to the contact"),
    AssignmentAction.CLOSE: N_("close"),
    AssignmentAction.RETURN_COMPLETION: N_("return for rework"),
    AssignmentAction.REOPEN: N_("reopen"),
}

ROLE_NAMES: dict[str, str] = {
    AssignmentRole.LEAD: N_("lead unit"),
    AssignmentRole.CO: N_("co-unit"),
}


@cache
def _babel(locale: str) -> Locale:
    """Parsed once: Babel parses a locale name on every call otherwise (~0.2 ms a date)."""
    return Locale.parse(locale)


def day(t: Text, value: date) -> str:
    return _day(t.locale, value)


@lru_cache(maxsize=4096)
def _day(locale: str, value: date) -> str:
    """Formatted once per locale and date: a sweep names the same few dates in many messages."""
    return format_date(value, format="medium", locale=_babel(locale))


def month_day(t: Text, value: date) -> str:
    """ "12月4日" / "Dec 4": a date of this year's work, without its year."""
    return format_skeleton("MMMd", value, locale=_babel(t.locale))


def steps(item: ItemView) -> list[tuple[datetime | None, str]]:
    """What a unit owes, in the order it is owed, each with the date of the item that sets it;
    a proposal's due date is the answer to the proposer (交办后3个月内答复建议提案人)."""
    due = N_("answer the proposer") if item.time_class == TimeClass.PROPOSAL else N_("complete it")
    return [
        (item.acknowledge_by, N_("acknowledge")),
        (item.plan_by, N_("deploy the work")),
        (item.first_feedback_by, N_("report on progress")),
        (item.due_at, due),
    ]


def deadlines_line(t: Text, item: ItemView, tz: ZoneInfo) -> str | None:
    """Each step the item's class owes, by its date from the policy: "请于12月4日前签收、研究部署，
    12月10日前反馈办理情况，12月13日前办结" (steps due on one day are named together), then the
    reports it owes by the policy's rule ("每月25日前报送办理情况")."""
    by_day: dict[date, list[str]] = {}
    for moment, step in steps(item):
        if moment is not None:
            by_day.setdefault(moment.astimezone(tz).date(), []).append(t.raw(step))
    clauses = [
        t(
            N_("{steps} by {date}"),
            steps=Markup(t.raw(N_(", ")).join(names)),
            date=month_day(t, when),
        )
        for when, names in sorted(by_day.items())
    ]
    if item.reports is not None:
        clauses.append(reports_clause(t, item.reports))
    if not clauses:
        return None
    return t(N_("Deadlines: {deadlines}."), deadlines=Markup(t.raw(N_("; ")).join(clauses)))


def reports_clause(t: Text, terms: ReportTerms) -> str:
    """The reports a class owes, by the policy's rule: monthly by a day, quarterly by dates of
    the year, or within days after the answer to the proposer."""
    if terms.monthly_day is not None:
        return t(N_("report on progress by day {day} of each month"), day=terms.monthly_day)
    if terms.quarterly_on:
        dates = t.raw(N_(", ")).join(
            month_day(t, date(2000, month, min(day, monthrange(2000, month)[1])))
            for month, day in terms.quarterly_on
        )
        return t(N_("report on the last quarter's progress by {dates} each year"), dates=dates)
    if terms.working_days:
        return t(
            N_("report on the handling within {days} working days after the answer"),
            days=terms.after_answer_days,
        )
    return t(
        N_("report on the handling within {days} days after the answer"),
        days=terms.after_answer_days,
    )


def moment(t: Text, value: datetime, tz: ZoneInfo) -> str:
    return format_datetime(value.astimezone(tz), format="short", locale=_babel(t.locale), tzinfo=tz)


def due_phrase(t: Text, item: ItemView, tz: ZoneInfo, now: datetime) -> str:
    """ "2026年12月3日（还剩 10 天）" — the due date with what it means today."""
    if item.due is None:
        return t(N_("open-ended"))
    today = now.astimezone(tz).date()
    left = (item.due - today).days
    when = day(t, item.due)
    if item.status in (ItemStatus.CLOSED, ItemStatus.ARCHIVED, ItemStatus.WITHDRAWN):
        return when
    if left > 0:
        return t(N_("{date} ({days} days left)"), date=when, days=left)
    if left == 0:
        return t(N_("{date} (due today)"), date=when)
    return t(N_("{date} (overdue by {days} days)"), date=when, days=-left)


def header(t: Text, item: ItemView) -> str:
    """The first line of every item message: light, code, title."""
    return t(
        N_("{light} <b>{code}</b> {title}"),
        light=LIGHTS[item.light],
        code=item.code,
        title=item.title,
    )


def user_text(t: Text, text: str, limit: int = NOTICE_TEXT_MAX) -> str:
    """Someone's text put into a message: escaped, and when it is longer than ``limit``
    UTF-16 units, shortened (before escaping) with a line saying where the whole text is."""
    text = text.strip()
    short = shorten(text, limit)
    if short == text:
        return escape(text)
    return "\n".join(
        [
            escape(short),
            t(N_("(Shortened: the whole text is on the item's page in the web console.)")),
        ]
    )


def units_line(t: Text, item: ItemView) -> str:
    lead = item.lead
    parts = []
    if lead is not None:
        parts.append(t(N_("Lead: {unit}"), unit=lead.unit_name))
    if item.co_units:
        names = t.raw(N_(", ")).join(a.unit_name for a in item.co_units)
        parts.append(t(N_("Co-units: {units}"), units=names))
    return "\n".join(parts)


def leader_copy(t: Text, item: ItemView, tz: ZoneInfo) -> str:
    """同时报分管领导: the short copy of a dispatch for the item's deputy leader."""
    lines = [
        header(t, item),
        t(N_("📋 Dispatched; copy for the leader in charge (同时报分管领导).")),
        units_line(t, item),
    ]
    if (deadlines := deadlines_line(t, item, tz)) is not None:
        lines.append(deadlines)
    return "\n".join(line for line in lines if line)


def dispatch_notice(
    t: Text,
    item: ItemView,
    assignment: AssignmentView,
    tz: ZoneInfo,
    now: datetime,
    *,
    copy: bool = False,
) -> str:
    lines = [
        header(t, item),
        t(N_("📋 Dispatched to you as: <b>{role}</b>"), role=t.raw(ROLE_NAMES[assignment.role]))
        if not copy
        else t(
            N_("📋 Copy for the unit head ({unit}, {role})"),
            unit=assignment.unit_name,
            role=t.raw(ROLE_NAMES[assignment.role]),
        ),
        units_line(t, item),
    ]
    if item.leader is not None:
        lines.append(t(N_("Leader in charge: {name}"), name=item.leader.name))
    lines.append(t(N_("Due: {due}"), due=Markup(escape(due_phrase(t, item, tz, now)))))
    if item.body:
        lines.append("")
        lines.append(user_text(t, item.body))
    lines.append("")
    if copy:
        lines.append(t(N_("Your unit's contact acknowledges and reports; you confirm completion.")))
    elif assignment.acknowledged_at is not None:
        who = assignment.acknowledged_by.name if assignment.acknowledged_by else ""
        lines.append(
            t(
                N_("✅ Acknowledged by {name} at {time}."),
                name=who,
                time=moment(t, assignment.acknowledged_at, tz),
            )
        )
    else:
        if (deadlines := deadlines_line(t, item, tz)) is not None:
            lines.append(deadlines)
        lines.append(t(N_("Report with /report {ref}."), ref=item.ref))
    return "\n".join(line for line in lines if line is not None)


def timeline_line(t: Text, entry: TimelineEntry, tz: ZoneInfo) -> str:
    who = entry.actor.name if entry.actor else t.raw(N_("system"))
    return t(
        N_("{time} {who}: {what}"),
        time=moment(t, entry.at, tz),
        who=who,
        what=t.raw(EVENT_NAMES.get(entry.kind, entry.kind)),
    )


# An internal item never goes to any work group.
CONFIDENTIAL = N_("🔒 Internal (内部): never sent to a work group")

EVENT_NAMES: dict[str, str] = {
    "registered": N_("registered"),
    "submitted_for_approval": N_("submitted for approval"),
    "approved": N_("approved"),
    "returned_draft": N_("returned for revision"),
    "dispatched": N_("dispatched"),
    "acknowledged": N_("acknowledged"),
    "reported": N_("reported"),
    "extension_requested": N_("asked for an extension"),
    "extension_approved": N_("extension approved"),
    "extension_refused": N_("extension refused"),
    "steps_moved": N_("moved the plan or feedback dates"),
    "completion_submitted": N_("submitted completion"),
    "confirmed": N_("confirmed completion"),
    "declined": N_("sent the completion back"),
    "closed": N_("closed"),
    "returned": N_("returned for rework"),
    "follow_up_set": N_("set a follow-up check"),
    "followed_up": N_("followed up"),
    "reopened": N_("reopened for rectification"),
    "instructed": N_("wrote an instruction"),
    "urged": N_("urged"),
    "reminded": N_("reminder sent"),
    "chased": N_("chased (催报)"),
    "escalated": N_("escalated"),
    "urging_notice": N_("written urging notice"),
    "document_issued": N_("official document issued"),
    "inspection_item": N_("made a formal inspection item"),
    "talk_ordered": N_("ordered a talk"),
    "talk_held": N_("recorded the talk"),
    "referred": N_("proposed accountability"),
    "criticism_issued": N_("notice of criticism sent"),
    "criticism_ordered": N_("ordered a notice of criticism"),
    "evidence_warning": N_("evidence warning"),
    "delivered": N_("message delivered"),
    "delivery_failed": N_("message not delivered"),
    "unreachable": N_("person unreachable"),
    "archived": N_("archived"),
    "withdrawn": N_("withdrew the item"),
    "confidential": N_("marked internal (内部)"),
    "not_confidential": N_("marked no longer internal"),
}


# The vocabulary a refusal names ("事项当前为“草稿”，不能反馈。"), in the reader's words: Text
# translates a parameter of these types through its table.
TERMS.update(
    {
        ItemStatus: STATUS_NAMES,
        AssignmentStatus: ASSIGNMENT_STATUS_NAMES,
        ItemAction: ACTION_NAMES,
        AssignmentAction: ASSIGNMENT_ACTION_NAMES,
    }
)
