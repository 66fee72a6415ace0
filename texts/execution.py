"""Messages of an item's execution: receipts, reports, the head's and the office's decisions,
follow-up checks, leaders' instructions, and the item lists and card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.i18n import N_
from domain.rectification import Problem
from domain.text import shorten
from domain.views import ItemView, TimelineEntry
from domain.vocabulary import Duty, ReportKind
from texts import Markup, Text, escape
from texts.chases import duty_name
from texts.items import (
    ASSIGNMENT_STATUS_NAMES,
    CLASS_NAMES,
    CONFIDENTIAL,
    LIGHTS,
    ROLE_NAMES,
    STATUS_NAMES,
    day,
    due_phrase,
    header,
    month_day,
    timeline_line,
    units_line,
    user_text,
)

EXCERPT = 300

# Button labels (t.raw).
REPORT = N_("📝 Report")
SUBMIT = N_("✅ Submit the report")
CANCEL = N_("Cancel")
CONFIRM = N_("✅ Confirm")
DECLINE = N_("↩️ Send back")
CLOSE = N_("✅ Close the item")
RETURN = N_("↩️ Return for rework")
APPROVE_EXTENSION = N_("✅ Approve the extension")
REFUSE_EXTENSION = N_("❌ Refuse")
FOLLOW_UP_NONE = N_("No follow-up")
FOLLOW_UP_1M = N_("In 1 month")
FOLLOW_UP_3M = N_("In 3 months")
FOLLOW_UP_DATE = N_("Type a date")
FOLLOW_UP_OK = N_("✅ Verified, all good")
FOLLOW_UP_REOPEN = N_("🔁 Reopen for rectification")
INSTRUCT = N_("✍️ Write an instruction")
PREVIOUS = N_("◀ Previous")
NEXT = N_("Next ▶")

KIND_NAMES: dict[str, str] = {
    ReportKind.PLAN: N_("plan deployed"),
    ReportKind.PROGRESS: N_("progress"),
    ReportKind.COMPLETION: N_("completion report"),
    ReportKind.EXTENSION: N_("extension request"),
    ReportKind.MONTHLY: N_("monthly report"),
    ReportKind.QUARTERLY: N_("quarterly report"),
    ReportKind.ANSWER_A: N_("answered A: solved or adopted"),
    ReportKind.ANSWER_B: N_("answered B: in plan, step by step"),
    ReportKind.ANSWER_C: N_("answered C: kept for reference"),
}


def kind_name(t: Text, kind: str) -> str:
    return t.raw(KIND_NAMES.get(kind, kind))


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of a text (at most ``limit`` UTF-16 units, as Telegram counts), plain."""
    return shorten(text.strip(), limit)


def files_line(t: Text, photos: int, documents: int) -> str | None:
    if not photos and not documents:
        return None
    return t(N_("📎 {photos} photo(s), {documents} file(s)"), photos=photos, documents=documents)


def _join(lines: Sequence[str | None]) -> str:
    return "\n".join(line for line in lines if line is not None)


# --- to the office, the head, the units (outbox) ----------------------------------------------


@dataclass(frozen=True)
class SentReport:
    """A unit's report as the notices about it show it."""

    unit: str
    author: str
    kind: str
    text: str
    photos: int
    documents: int
    requested_due: date | None


def report_notice(t: Text, item: ItemView, report: SentReport, *, warnings: int) -> str:
    lines: list[str | None] = [
        header(t, item),
        t(
            N_("📝 {unit} ({author}) sent a {kind}:"),
            unit=report.unit,
            author=report.author,
            kind=kind_name(t, report.kind),
        ),
        escape(excerpt(report.text)) if report.text.strip() else None,
        files_line(t, report.photos, report.documents),
    ]
    if report.requested_due is not None:
        lines.append(
            t(N_("Asks to move the due date to {date}."), date=day(t, report.requested_due))
        )
        lines.append(t(N_("Approve or refuse the extension.")))
    if warnings:
        lines.append(
            t(N_("⚠️ {count} evidence warning(s): see the item's timeline."), count=warnings)
        )
    return _join(lines)


def confirm_request(t: Text, item: ItemView, report: SentReport) -> str:
    return _join(
        [
            header(t, item),
            t(
                N_("📋 {author} submitted {unit}'s completion report:"),
                author=report.author,
                unit=report.unit,
            ),
            escape(excerpt(report.text)) if report.text.strip() else None,
            files_line(t, report.photos, report.documents),
            "",
            t(N_("Please confirm it (核签) so that it goes to the office, or send it back.")),
        ]
    )


def completion_to_office(
    t: Text, item: ItemView, *, unit: str, head: str, text: str, lead: bool
) -> str:
    lines: list[str | None] = [
        header(t, item),
        t(N_("📋 {unit}'s completion report, confirmed by {head}:"), unit=unit, head=head),
        escape(excerpt(text)) if text.strip() else None,
        "",
    ]
    if lead:
        lines.append(t(N_("Verify it, then close the item or return it with a reason.")))
    else:
        lines.append(t(N_("A co-unit's share; the item closes with the lead unit's completion.")))
    return _join(lines)


def declined_notice(t: Text, item: ItemView, *, head: str, reason: str) -> str:
    return _join(
        [
            header(t, item),
            t(N_("↩️ {head} sent the completion report back:"), head=head),
            user_text(t, reason),
            t(N_("Revise it and submit again with /report {ref}."), ref=item.ref),
        ]
    )


def returned_notice(t: Text, item: ItemView, *, reason: str) -> str:
    return _join(
        [
            header(t, item),
            t(N_("↩️ The office returned the completion report for rework:")),
            user_text(t, reason),
            t(N_("Continue the work and submit again with /report {ref}."), ref=item.ref),
        ]
    )


def closed_notice(t: Text, item: ItemView) -> str:
    return _join([header(t, item), t(N_("✅ The office has closed this item. Thank you."))])


def extension_decided_notice(
    t: Text, item: ItemView, tz: ZoneInfo, now: datetime, *, approved: bool, reason: str
) -> str:
    if approved:
        line = t(
            N_("✅ Extension approved. New due date: {due}"),
            due=Markup(escape(due_phrase(t, item, tz, now))),
        )
    else:
        line = t(
            N_("❌ Extension refused; the due date stays {due}."), due=due_phrase(t, item, tz, now)
        )
    return _join([header(t, item), line, user_text(t, reason) if reason else None])


def follow_up_due_notice(t: Text, item: ItemView) -> str:
    return _join(
        [
            header(t, item),
            t(N_("🔍 Follow-up check (回头看) is due today: verify that the result holds.")),
            t(N_("Closed on {date}."), date=day(t, item.closed_at.date()))
            if item.closed_at
            else None,
        ]
    )


def reopened_notice(
    t: Text, item: ItemView, tz: ZoneInfo, now: datetime, *, reason: str, plan_by: date
) -> str:
    """整改: the problems found (``reason``, one per line), numbered, and what to send by when."""
    problems = [
        t(N_("{number}. {problem}"), number=n, problem=p)
        for n, p in enumerate(reason.splitlines(), start=1)
    ]
    return _join(
        [
            header(t, item),
            t(N_("🔁 The follow-up check found problems: the item is reopened for rectification.")),
            *problems,
            t(N_("Send the rectification plan (整改方案) by {date}."), date=day(t, plan_by)),
            t(N_("New due date: {due}"), due=Markup(escape(due_phrase(t, item, tz, now)))),
            t(
                N_("Report with /report {ref}, one line per problem: 1. … 2. …"),
                ref=item.ref,
            ),
        ]
    )


def instruction_notice(t: Text, item: ItemView, *, leader: str, text: str) -> str:
    return _join(
        [
            header(t, item),
            t(N_("✍️ Instruction from {leader}:"), leader=leader),
            user_text(t, text),
        ]
    )


def direct_extension_notice(
    t: Text, item: ItemView, tz: ZoneInfo, now: datetime, *, reason: str
) -> str:
    return _join(
        [
            header(t, item),
            t(
                N_("📅 The office moved the due date: {due}"),
                due=Markup(escape(due_phrase(t, item, tz, now))),
            ),
            user_text(t, reason) if reason else None,
        ]
    )


def steps_moved_notice(t: Text, item: ItemView, tz: ZoneInfo, *, reason: str) -> str:
    """To the item's people: the office moved the plan and/or first-feedback dates (调整时限)."""
    steps = [
        t(
            N_("{step} by {date}"),
            step=t.raw(name),
            date=month_day(t, moment.astimezone(tz).date()),
        )
        for name, moment in (
            (PLAN_STEP, item.plan_by),
            (FEEDBACK_STEP, item.first_feedback_by),
        )
        if moment is not None
    ]
    return _join(
        [
            header(t, item),
            t(
                N_("🗓 The office set new dates: {steps}."),
                steps=Markup(t.raw(N_(", ")).join(steps)),
            ),
            user_text(t, reason) if reason else None,
        ]
    )


PLAN_STEP = N_("plan deployment (研究部署)")
FEEDBACK_STEP = N_("the first feedback (首次反馈)")


# --- chat replies ---------------------------------------------------------------------------


def acknowledged_answer(t: Text) -> str:
    return t(N_("Acknowledged."))


def already_acknowledged(t: Text) -> str:
    return t(N_("Already acknowledged."))


def choose_kind(t: Text, item: ItemView) -> str:
    return _join([header(t, item), t(N_("What are you reporting? Choose the kind:"))])


def content_prompt(t: Text, item: ItemView, kind: str, problems: Sequence[Problem] = ()) -> str:
    lines: list[str | None] = [
        header(t, item),
        t(
            N_("Reply to this message with the {kind}: text, photos, an album or a file."),
            kind=kind_name(t, kind),
        ),
    ]
    if kind == ReportKind.EXTENSION:
        lines.append(t(N_("Write the new date (e.g. 2026-12-31), the plan and the time nodes.")))
    if kind == ReportKind.ANSWER_C:
        lines.append(t(N_("Write what was answered and why it is kept for reference.")))
    return _join(lines + problems_to_answer(t, problems))


def problems_to_answer(t: Text, problems: Sequence[Problem]) -> list[str | None]:
    """整改: the problems still unanswered, and how to answer them in one message."""
    open_ = [p for p in problems if p.answer is None]
    if not open_:
        return []
    return [
        t(N_("Problems to answer, one numbered line each (1. …):")),
        *(t(N_("{number}. {problem}"), number=p.number, problem=p.text) for p in open_),
    ]


def draft_preview(
    t: Text,
    item: ItemView,
    *,
    kind: str | None,
    text: str,
    photos: int,
    documents: int,
    requested_due: date | None,
) -> str:
    lines: list[str | None] = [header(t, item)]
    if kind is not None:
        lines.append(t(N_("Kind: {kind}"), kind=kind_name(t, kind)))
    if text.strip():
        lines.append(escape(excerpt(text, 800)))
    lines.append(files_line(t, photos, documents))
    if kind == ReportKind.EXTENSION:
        if requested_due is None:
            lines.append(t(N_("⚠️ No new date found: add one, e.g. 2026-12-31.")))
        else:
            lines.append(t(N_("New date asked for: {date}"), date=day(t, requested_due)))
    lines.append("")
    if kind is None:
        lines.append(t(N_("Choose the kind of report:")))
    else:
        lines.append(t(N_("Add more by replying to this message, or submit.")))
    return _join(lines)


def report_submitted(
    t: Text,
    item: ItemView,
    kind: str,
    warnings: list[str],
    problems: Sequence[Problem] = (),
    owes: Sequence[tuple[Duty, date]] = (),
) -> str:
    lines: list[str | None] = [
        header(t, item),
        t(N_("✅ Your {kind} has been submitted."), kind=kind_name(t, kind)),
    ]
    lines += [
        t(N_("Next: send {what} by {date}."), what=duty_name(t, duty), date=day(t, by))
        for duty, by in owes
    ]
    if problems:
        answered = sum(p.answer is not None for p in problems)
        lines.append(
            t(
                N_("Problems answered: {answered} of {count}."),
                answered=answered,
                count=len(problems),
            )
        )
        lines += problems_to_answer(t, problems)
    if kind == ReportKind.COMPLETION:
        lines.append(
            t(N_("It goes to your unit head for confirmation (核签), then to the office."))
        )
    if warnings:
        lines.append(
            t(
                N_("The office has been told about {count} evidence warning(s)."),
                count=len(warnings),
            )
        )
    return _join(lines)


def draft_cancelled(t: Text) -> str:
    return t(N_("The report was discarded."))


def no_item_for_reply(t: Text) -> str:
    return t(
        N_(
            "I could not tell which item this is about: the message you replied to may have "
            "expired. To report on an item, send /report followed by its number; for anything "
            "else, press the button again."
        )
    )


def answer_in_words(t: Text) -> str:
    return t(N_("Please answer this question in words, replying to it."))


def report_usage(t: Text) -> str:
    return t(N_("Send /report followed by the item number, e.g. /report 2026-17."))


def item_usage(t: Text) -> str:
    return t(N_("Send /item followed by the item number, e.g. /item 2026-17."))


def reason_prompt(t: Text, item: ItemView, what: str) -> str:
    return _join([header(t, item), what])


def return_reason_question(t: Text) -> str:
    return t(N_("Reply to this message with the reason for returning the completion report."))


def refuse_reason_question(t: Text) -> str:
    return t(N_("Reply to this message with the reason for refusing the extension."))


def decline_reason_question(t: Text) -> str:
    return t(N_("Reply to this message with what must change before you confirm."))


def instruction_question(t: Text) -> str:
    return t(N_("Reply to this message with your instruction (批示)."))


def follow_up_question(t: Text, item: ItemView) -> str:
    return _join([header(t, item), t(N_("✅ Closed. Set a follow-up check (回头看)?"))])


def follow_up_date_question(t: Text) -> str:
    return t(N_("Reply to this message with the follow-up date, e.g. 2027-03-01."))


def reopen_question(t: Text) -> str:
    return t(
        N_(
            "Reply with the new due date (e.g. 2027-03-31) on the first line, then the problems "
            "found, one per line."
        )
    )


def done(t: Text, item: ItemView, what: str) -> str:
    return _join([header(t, item), what])


def closed_done(t: Text) -> str:
    return t(N_("✅ Closed."))


def returned_done(t: Text) -> str:
    return t(N_("↩️ Returned for rework; the unit has been told."))


def confirmed_done(t: Text) -> str:
    return t(N_("✅ Confirmed; the report has gone to the office."))


def declined_done(t: Text) -> str:
    return t(N_("↩️ Sent back to the contact."))


def extension_approved_done(t: Text, due: date) -> str:
    return t(N_("✅ Extension approved: new due date {date}."), date=day(t, due))


def extension_refused_done(t: Text) -> str:
    return t(N_("❌ Extension refused; the unit has been told."))


def instruction_done(t: Text) -> str:
    return t(N_("✍️ Your instruction has been sent to the units."))


def follow_up_set_done(t: Text, on: date) -> str:
    return t(N_("🔍 Follow-up check set for {date}."), date=day(t, on))


def reopened_done(t: Text, due: date) -> str:
    return t(
        N_("🔁 Reopened for rectification, due {date}; the units have been told."), date=day(t, due)
    )


def decided_already(t: Text) -> str:
    return t(N_("This has already been decided."))


# --- lists and the card ---------------------------------------------------------------------


def list_line(t: Text, item: ItemView, tz: ZoneInfo, now: datetime) -> str:
    return t(
        N_("{light} <b>{code}</b> {title}\n    {due} · /item_{ref}"),
        light=LIGHTS[item.light],
        code=item.code,
        title=item.title,
        due=due_phrase(t, item, tz, now),
        ref=item.ref.replace("-", "_"),
    )


def item_list(
    t: Text,
    items: list[ItemView],
    tz: ZoneInfo,
    now: datetime,
    *,
    overdue: bool,
    page: int,
    pages: int,
    total: int,
) -> str:
    if not items:
        return t(N_("No overdue items.")) if overdue else t(N_("No open items."))
    title = (
        t(N_("🔴 Overdue items ({total}):"), total=total)
        if overdue
        else t(N_("📋 Open items ({total}):"), total=total)
    )
    lines = [title, ""] + [list_line(t, item, tz, now) for item in items]
    if pages > 1:
        lines.append("")
        lines.append(t(N_("Page {page} of {pages}"), page=page, pages=pages))
    return "\n".join(lines)


def item_card(
    t: Text, item: ItemView, entries: list[TimelineEntry], tz: ZoneInfo, now: datetime
) -> str:
    lines: list[str | None] = [
        header(t, item),
        t(CONFIDENTIAL) if item.confidential else None,
        t(
            N_("Status: {status} · {kind}"),
            status=t.raw(STATUS_NAMES.get(item.status, item.status)),
            kind=t.raw(CLASS_NAMES.get(item.time_class, item.time_class)),
        ),
        units_line(t, item),
        t(N_("Leader in charge: {name}"), name=item.leader.name) if item.leader else None,
        t(N_("Due: {due}"), due=Markup(escape(due_phrase(t, item, tz, now)))),
    ]
    if item.follow_up_on is not None:
        lines.append(t(N_("Follow-up check on {date}"), date=day(t, item.follow_up_on)))
    for assignment in item.assignments:
        lines.append(
            t(
                N_("• {unit} ({role}): {status}"),
                unit=assignment.unit_name,
                role=t.raw(ROLE_NAMES[assignment.role]),
                status=t.raw(ASSIGNMENT_STATUS_NAMES[assignment.status]),
            )
        )
    if item.body:
        lines += ["", escape(excerpt(item.body, 600))]
    if entries:
        lines += ["", t(N_("Recent:"))]
        lines += [timeline_line(t, entry, tz) for entry in entries]
    return _join(lines)
