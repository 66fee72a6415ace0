"""Texts of the web console, the Excel export, statistics and bulletins."""

from __future__ import annotations

from domain.assessment import Stats, StatsRow
from domain.i18n import N_
from domain.satisfaction import Rating
from domain.scoring import EventKind
from domain.vocabulary import Light
from texts import Markup, Text
from texts.satisfaction import satisfaction_line

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
    (N_("Talks (约谈)"), 10),
    (N_("Notices of criticism"), 10),
    (N_("Notices of praise"), 10),
    (N_("Referrals for accountability"), 10),
]

# The assessment's event kinds (domain.scoring), as the console, the export and /stats name them.
SCORE_KIND_NAMES: dict[EventKind, str] = {
    EventKind.DAY_LATE: N_("Days late"),
    EventKind.LATE_FEEDBACK: N_("Plan or first feedback late"),
    EventKind.LATE_REPORT: N_("Periodic report late or missing"),
    EventKind.ESCALATION: N_("Escalated"),
    EventKind.RETURN: N_("Returned for rework"),
    EventKind.EXTENSION: N_("Extension approved"),
    EventKind.REOPENING: N_("Reopened for rectification"),
    EventKind.TALK: N_("Talk held (约谈)"),
    EventKind.CRITICISM: N_("Notice of criticism"),
    EventKind.REFERRAL: N_("Referral for accountability"),
    EventKind.SATISFACTION: N_("Complainant not satisfied"),
    EventKind.PRAISE: N_("Notice of praise"),
    EventKind.ON_TIME: N_("Closed on time"),
}

SCORES_SHEET = N_("Scores")
DEDUCTIONS_SHEET = N_("Deductions")
OF_UNIT = N_("unit")
OF_LEADER = N_("leader")
SCORE_COLUMNS: list[tuple[str, int]] = [
    (N_("Rank"), 8),
    (N_("Name"), 18),
    (N_("Unit or leader"), 10),
    (N_("Base"), 8),
    (N_("Points deducted"), 10),
    (N_("Points added"), 10),
    (N_("Score"), 10),
]
DEDUCTION_COLUMNS: list[tuple[str, int]] = [
    (N_("Name"), 18),
    (N_("Unit or leader"), 10),
    (N_("Event"), 24),
    (N_("Code"), 18),
    (N_("Ref"), 10),
    (N_("Date"), 12),
    (N_("Days late"), 8),
    (N_("Points"), 8),
    (N_("Cap reached"), 8),
]
YES = N_("yes")

# --- chat: /web and /stats --------------------------------------------------------------------

WEB_LINK = N_(
    "🖥 Your sign-in link to the web console:\n{link}\n\n"
    "It works once, for you only, within {minutes} minutes. Do not forward it."
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
STATS_SCORES = N_("🏅 Scores (考核): {units}")
STATS_SCORES_TOP = N_("🏅 Highest scores: {units}")
STATS_SCORES_BOTTOM = N_("Lowest scores: {units}")
STATS_SCORE_ENTRY = N_("{rank}. {name} {score}")
STATS_SCORE_HOW = N_("Every deduction, with its item: the console's statistics (/web).")
SHOWN_AT_EACH_END = 3
STATS_USAGE = N_("Send /stats, or /stats FROM TO with dates like 2026-11-01.")

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

# --- the web console --------------------------------------------------------------------------

FORBIDDEN = N_("You may not see or do this.")
NOT_FOUND = N_("Not found, or not yours to see.")
TOO_LARGE = N_("The file is too large.")
SOMETHING_WRONG = N_("Something went wrong. Please try again.")
NOTHING_DUE = N_("nothing due")
BAD_PERIOD = N_("The dates were not understood; showing this year so far.")
BAD_DATE = N_("The date was not understood: use YYYY-MM-DD.")
BAD_TIME = N_("The time was not understood: use HH:MM.")
BAD_MONTH = N_("The month was not understood, or has not begun: use YYYY-MM.")
BAD_CLASS = N_("Unknown time-limit class.")
IMPORTED = N_("{count} items imported.")

REPORT_STATUSES: dict[str, str] = {
    "submitted": N_("submitted"),
    "confirmed": N_("confirmed by the head"),
    "declined": N_("sent back by the head"),
    "accepted": N_("accepted"),
    "returned": N_("returned"),
    "approved": N_("approved"),
    "refused": N_("refused"),
}

LABELS: dict[str, str] = {
    "app": N_("Duban"),
    "console": N_("Console"),
    "dashboard": N_("Dashboard"),
    "ledger": N_("Ledger"),
    "statistics": N_("Statistics"),
    "complaints": N_("Complaints"),
    "batch_import": N_("Batch registration"),
    "batch_import_help": N_(
        "Upload a list of items (督办事项清单) in the same Excel form as "
        "`duban items import`. Every row is checked; a list with any problem imports nothing."
    ),
    "units": N_("Units and people"),
    "sign_in": N_("Sign in"),
    "sign_out": N_("Sign out"),
    "sign_in_as": N_("Sign in to the console as"),
    "signed_out": N_("You have signed out."),
    "how_to_sign_in": N_(
        "To sign in, send /web to the bot in Telegram and open the link it sends."
    ),
    "link_invalid": N_(
        "This sign-in link is used, expired or unknown. Send /web to the bot for a new one."
    ),
    "error": N_("Cannot do that"),
    "back_to_dashboard": N_("Back to the dashboard"),
    "open_red": N_("open items overdue"),
    "open_yellow": N_("open items at risk"),
    "open_green": N_("open items on track"),
    "by_status": N_("Items by status"),
    "no_items": N_("No items."),
    "overdue": N_("Overdue"),
    "no_overdue": N_("No item is overdue."),
    "on_time_by_unit": N_("On-time rate by unit (this year)"),
    "light": N_("Light"),
    "code": N_("Code"),
    "title": N_("Title"),
    "body": N_("Text"),
    "lead_unit": N_("Lead unit"),
    "status": N_("Status"),
    "due": N_("Due"),
    "leader": N_("Leader"),
    "search": N_("Search"),
    "all": N_("All"),
    "not_archived": N_("All but archived"),
    "open": N_("Open"),
    "unit": N_("Unit"),
    "time_class": N_("Class"),
    "source": N_("Source"),
    "sort": N_("Sort by"),
    "sort_code": N_("code"),
    "sort_due": N_("due date"),
    "sort_light": N_("light"),
    "sort_status": N_("status"),
    "sort_dispatched": N_("dispatch time"),
    "sort_title": N_("title"),
    "order": N_("Order"),
    "descending": N_("descending"),
    "ascending": N_("ascending"),
    "apply": N_("Apply"),
    "reset": N_("Reset"),
    "items_found": N_("items"),
    "download_excel": N_("Download Excel"),
    "previous": N_("Previous"),
    "next": N_("Next"),
    "dispatched": N_("Dispatched"),
    "closed": N_("Closed"),
    "escalation": N_("Escalation level"),
    "inspection": N_("formal inspection item"),
    "decisions": N_("The office's decision"),
    "closing_answer": N_("Closing note (optional; also the answer to complaints)"),
    "close_item": N_("Close the item (销号)"),
    "return_reason": N_("Reason for returning"),
    "return_item": N_("Return for rework"),
    "extension_pending": N_("The unit asks for an extension."),
    "new_due": N_("New due date (empty: as requested)"),
    "reason_optional": N_("Reason (required to refuse)"),
    "approve_extension": N_("Approve the extension"),
    "refuse_extension": N_("Refuse"),
    "done_closed": N_("The item is closed."),
    "done_returned": N_("The completion was returned to the unit."),
    "done_extension_approved": N_("The extension is approved."),
    "done_extension_refused": N_("The extension is refused."),
    "done_steps_moved": N_("The new dates are set; the units are told."),
    "move_steps": N_("Move the plan or feedback dates"),
    "plan_by": N_("Plan (研究部署) by"),
    "first_feedback_by": N_("First feedback (首次反馈) by"),
    "confidential": N_("🔒 Internal (内部): never sent to a work group"),
    "make_confidential": N_("🔒 Make internal (内部)"),
    "make_open": N_("🔓 Not internal"),
    "done_confidential": N_("The item is internal now: it goes to no work group."),
    "done_not_confidential": N_("The item is no longer internal."),
    "assignments": N_("Units"),
    "role": N_("Role"),
    "unit_status": N_("Unit's status"),
    "acknowledged": N_("Acknowledged"),
    "last_report": N_("Last report"),
    "reports": N_("Reports and evidence"),
    "no_reports": N_("No reports yet."),
    "requested_due": N_("Requested new due date:"),
    "photo": N_("Photo"),
    "file": N_("File"),
    "verify_evidence": N_("Photos are supporting evidence only; please verify with the unit."),
    "timeline": N_("Timeline"),
    "owed": N_("Deadlines before the due date (应报事项)"),
    "talks": N_("Talks (约谈)"),
    "talk_ordered": N_("Ordered"),
    "talk_held": N_("Held"),
    "talk_place": N_("Place"),
    "talk_attendees": N_("Attendees"),
    "talk_commitment": N_("Committed to"),
    "talk_not_held": N_("Not recorded yet"),
    "talk_record": N_("Record the talk"),
    "talk_held_on": N_("Held on"),
    "talk_held_time": N_("At (optional)"),
    "talk_commit_by": N_("Committed by (date)"),
    "done_talk_recorded": N_("The talk is recorded; the commitment is now a deadline."),
    "owed_what": N_("What"),
    "owed_by": N_("By"),
    "owed_state": N_("State"),
    "problems": N_("Problems found (问题清单) and their rectification"),
    "problems_answered": N_("Answered: {answered} of {count}"),
    "problem_number": N_("No."),
    "problem": N_("Problem"),
    "problem_answer": N_("Rectification (整改情况)"),
    "problem_answered_at": N_("Answered"),
    "problem_report": N_("Report"),
    "problem_unanswered": N_("Not answered yet"),
    "problem_see_report": N_("See the report"),
    "documents": N_("Official documents"),
    "no_documents": N_("No documents yet."),
    "system": N_("system"),
    "date_from": N_("From"),
    "date_to": N_("To"),
    "rate_definition": N_(
        "On-time rate (按期办结率) = items closed on or before their due date ÷ items whose "
        "due date fell in the period and has passed or that were closed. Items not yet due "
        "are not counted."
    ),
    "by_unit": N_("By unit"),
    "monthly_report": N_("Supervision report (督查专报)"),
    "monthly_report_hint": N_(
        "Issue the month's report now, numbered and stored, with its figures as they stand; "
        "the report on last month also goes out by itself on the month's first working day."
    ),
    "month": N_("Month"),
    "issue_report": N_("Issue and download"),
    "by_leader": N_("By leader"),
    "name": N_("Name"),
    "items_dispatched": N_("Items dispatched"),
    "items_due": N_("Items due"),
    "closed_on_time": N_("Closed on time"),
    "on_time_rate": N_("On-time rate"),
    "mean_ack_hours": N_("Mean hours to acknowledge"),
    "late_feedbacks": N_("Late feedbacks"),
    "escalations": N_("Escalations"),
    "level": N_("level "),
    "returns": N_("Returns"),
    "extensions": N_("Extensions"),
    "score": N_("Score"),
    "rank": N_("Rank"),
    "score_detail": N_("How each unit's score was reached"),
    "score_definition": N_(
        "Score (考核得分) = the base, minus or plus the points of each event in the period as "
        "the policy's scheme weighs it; a capped kind stops at its cap."
    ),
    "score_base": N_("Base"),
    "score_event": N_("Event"),
    "score_item": N_("Item"),
    "score_day": N_("Date"),
    "score_days_late": N_("Days late"),
    "score_points": N_("Points"),
    "score_capped": N_("cap reached"),
    "score_floored": N_("The total stops at 0."),
    "score_nothing": N_("Nothing deducted or added."),
    "head": N_("Head"),
    "contacts": N_("Contacts"),
    "open_items": N_("Open items"),
    "not_joined": N_("not joined"),
    "work_group": N_("Work group"),
    "work_groups": N_("Work groups"),
    "group_broken": N_("bot removed"),
    "unbind": N_("Unbind"),
    "no_group": N_("none: send /bind to the bot for a group link"),
    "office_group": N_("The supervision office's group"),
    "leaders_group": N_("The leaders' group"),
    "group_unbound": N_("The group is unbound; its messages go to each person privately."),
    "unreachable": N_("unreachable"),
    "place": N_("Place"),
    "answer": N_("Answer"),
    "answer_text": N_("Answer to the complainant"),
    "accept": N_("Accept as an item"),
    "reject": N_("Reject"),
    "reject_reason": N_("Reason (the complainant reads it)"),
    "no_complaints": N_("No complaints."),
    "triaged_accept": N_("The complaint is now an item."),
    "triaged_reject": N_("The complaint is rejected."),
    "triaged_answer": N_("The answer is saved for the complainant."),
    "rating": N_("Complainant's rating"),
    "review": N_("Request for review"),
    "review_reason": N_("Why not satisfied"),
    "review_reply": N_("The office's reason for upholding"),
    "review_reopen": N_("Review fails: rectify again"),
    "review_assign": N_("Review fails: assign to a unit"),
    "review_uphold": N_("Uphold the answer"),
    "review_due": N_("New due date"),
    "review_problems": N_("More problems, one per line (the complainant's reason is the first)"),
    "review_uphold_reason": N_("Reason for upholding (the complainant reads it)"),
    "triaged_reopen": N_("The item is reopened for rectification."),
    "triaged_uphold": N_("The answer is upheld."),
    "triaged_assign": N_("The complaint is now an item for the unit."),
    "excel_file": N_("Excel file (.xlsx)"),
    "dispatch_now": N_("Dispatch the items at once (otherwise they are kept as drafts)"),
    "upload": N_("Upload and register"),
}


def labels(t: Text) -> dict[str, str]:
    """The console's labels in one language, for the templates."""
    return {key: t.raw(message) for key, message in LABELS.items()}


def points(value: float) -> str:
    """A score or a number of points as people write it: 94.5, 100, 0.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def signed_points(value: float) -> str:
    """A deduction or an addition: -2.5, +2."""
    return f"+{points(value)}" if value > 0 else points(value)


def kind_names(t: Text) -> dict[EventKind, str]:
    return {kind: t.raw(name) for kind, name in SCORE_KIND_NAMES.items()}


def percent(t: Text, rate: float | None) -> str:
    if rate is None:
        return t.raw(NO_RATE)
    return f"{rate * 100:.0f}%"


def stats_text(t: Text, stats: Stats, units: list[str] | None) -> str:
    """``/stats``: the period, the scope, the totals and a line per unit."""
    total = stats.total
    lines = [
        t(STATS_TITLE, start=stats.period.start, end=stats.period.end),
        t(STATS_SCOPE_ALL)
        if units is None
        else t(STATS_SCOPE_UNITS, units=t.raw(SEPARATOR).join(units)),
        t(
            STATS_TOTALS,
            items=total.items,
            due=total.due,
            on_time=total.closed_on_time,
            rate=percent(t, total.on_time_rate),
        ),
        satisfaction_line(
            t,
            total.ratings.get(Rating.SATISFIED, 0),
            total.ratings.get(Rating.BASIC, 0),
            total.ratings.get(Rating.DISSATISFIED, 0),
            percent(t, total.satisfaction_rate),
        ),
        "",
    ]
    for row in stats.units:
        if row.due:
            lines.append(
                t(
                    STATS_LINE,
                    name=row.name,
                    due=row.due,
                    on_time=row.closed_on_time,
                    rate=percent(t, row.on_time_rate),
                )
            )
        else:
            lines.append(t(STATS_NONE_DUE, name=row.name))
    return "\n".join(lines + score_lines(t, stats))


def score_lines(t: Text, stats: Stats) -> list[str]:
    """The units' scores: all of them when few, else the highest and the lowest three."""
    ranked = [row for row in stats.by_score(stats.units) if row.score is not None]
    if not ranked:
        return []

    def listed(rows: list[StatsRow]) -> str:
        return t.raw(SEPARATOR).join(
            t(STATS_SCORE_ENTRY, rank=row.rank, name=row.name, score=points(row.score.total))
            for row in rows
            if row.score is not None
        )

    if len(ranked) <= 2 * SHOWN_AT_EACH_END:
        found = [t(STATS_SCORES, units=Markup(listed(ranked)))]
    else:
        found = [
            t(STATS_SCORES_TOP, units=Markup(listed(ranked[:SHOWN_AT_EACH_END]))),
            t(STATS_SCORES_BOTTOM, units=Markup(listed(ranked[-SHOWN_AT_EACH_END:]))),
        ]
    return ["", *found, t(STATS_SCORE_HOW)]
