"""What a unit may report on an item (反馈), and what a report does to the lifecycle.

Every item takes a plan (研究部署), progress, a completion report (办结) and an extension
request (延期申请); routine items add a monthly report, annual ones a quarterly report, proposals
the answer to the proposer (答复) of class A, B or C (``domain.proposals``; C gives its reason). A
report carries text or files; an extension request names a new date after today and after the
current due date. A report implies receipt (签收); a completion report then waits for the unit
head's sign-off (核签), an extension request for the office's decision.
"""

from __future__ import annotations

from datetime import date

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction
from domain.text import check_length
from domain.vocabulary import ReportKind, TimeClass

TEXT_MAX = 4000  # a report's, a reason's or an instruction's text, counted as Telegram does
MAX_FILES = 20  # photos and files on one report


def report_kinds(time_class: str) -> tuple[ReportKind, ...]:
    """The kinds of report an item of this time class takes, in menu order."""
    kinds = [ReportKind.PLAN, ReportKind.PROGRESS]
    if time_class == TimeClass.ROUTINE:
        kinds.append(ReportKind.MONTHLY)
    if time_class == TimeClass.ANNUAL:
        kinds.append(ReportKind.QUARTERLY)
    if time_class == TimeClass.PROPOSAL:  # 答复建议提案人, with the result class
        kinds += [ReportKind.ANSWER_A, ReportKind.ANSWER_B, ReportKind.ANSWER_C]
    kinds += [ReportKind.COMPLETION, ReportKind.EXTENSION]
    return tuple(kinds)


def check_report(
    kind: ReportKind,
    *,
    time_class: str,
    text: str,
    files: int,
    requested_due: date | None,
    today: date,
    due_date: date | None,
) -> str:
    """The report's text, stripped, when the report may be sent; otherwise why not."""
    if kind not in report_kinds(time_class):
        raise InvalidInput(N_("This kind of report does not fit this item."))
    text = text.strip()
    if kind == ReportKind.ANSWER_C and not text:  # said first: files alone give no reason
        raise InvalidInput(N_("An answer C (kept for reference) needs the reason in text."))
    if not text and not files:
        raise InvalidInput(N_("The report is empty: add text, a photo or a file."))
    check_length(text, TEXT_MAX)
    if kind == ReportKind.EXTENSION:
        check_requested_due(requested_due, today=today, due_date=due_date)
    return text


def check_requested_due(requested: date | None, *, today: date, due_date: date | None) -> None:
    """An extension request names a new date later than today and than the current due date."""
    if requested is None:
        raise InvalidInput(N_("An extension request needs the new date, e.g. 2026-12-31."))
    if requested <= today or (due_date and requested <= due_date):
        raise InvalidInput(
            N_("The new date {date} must be later than the current due date."),
            date=requested.isoformat(),
        )


def item_action(kind: ReportKind) -> ItemAction:
    """The item's lifecycle move for a report of this kind."""
    return ItemAction.REQUEST_EXTENSION if kind == ReportKind.EXTENSION else ItemAction.REPORT


def assignment_action(kind: ReportKind) -> AssignmentAction:
    """The unit's share's lifecycle move for a report of this kind."""
    if kind == ReportKind.EXTENSION:
        return AssignmentAction.REQUEST_EXTENSION
    if kind == ReportKind.COMPLETION:
        return AssignmentAction.SUBMIT_COMPLETION
    return AssignmentAction.REPORT
