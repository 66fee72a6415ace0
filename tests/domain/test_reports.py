"""What a unit may report, and the checks a report passes before it is sent (no I/O)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.lifecycle import AssignmentAction, ItemAction
from domain.reports import (
    TEXT_MAX,
    assignment_action,
    check_report,
    check_requested_due,
    item_action,
    report_kinds,
)
from domain.text import TextTooLong
from domain.vocabulary import ReportKind, TimeClass

K = ReportKind
TODAY = date(2026, 5, 10)


def check(
    kind: ReportKind,
    text: str = "进展顺利",
    *,
    time_class: TimeClass = TimeClass.GENERAL,
    files: int = 0,
    requested_due: date | None = None,
    due_date: date | None = date(2026, 6, 1),
) -> str:
    return check_report(
        kind,
        time_class=time_class,
        text=text,
        files=files,
        requested_due=requested_due,
        today=TODAY,
        due_date=due_date,
    )


def test_every_item_takes_plan_progress_completion_and_extension_in_menu_order() -> None:
    assert report_kinds(TimeClass.GENERAL) == (K.PLAN, K.PROGRESS, K.COMPLETION, K.EXTENSION)


def test_routine_items_add_a_monthly_report_and_annual_ones_a_quarterly() -> None:
    assert report_kinds(TimeClass.ROUTINE) == (
        K.PLAN,
        K.PROGRESS,
        K.MONTHLY,
        K.COMPLETION,
        K.EXTENSION,
    )
    assert report_kinds(TimeClass.ANNUAL) == (
        K.PLAN,
        K.PROGRESS,
        K.QUARTERLY,
        K.COMPLETION,
        K.EXTENSION,
    )
    for time_class in TimeClass:
        if time_class not in (TimeClass.ROUTINE, TimeClass.ANNUAL):
            assert K.MONTHLY not in report_kinds(time_class)
            assert K.QUARTERLY not in report_kinds(time_class)


def test_a_report_returns_its_text_stripped() -> None:
    assert check(K.PROGRESS, "  已部署  \n") == "已部署"


def test_a_kind_that_does_not_fit_the_item_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check(K.MONTHLY, time_class=TimeClass.GENERAL)
    assert refused.value.key == "This kind of report does not fit this item."


def test_an_empty_report_is_refused_unless_it_carries_files() -> None:
    with pytest.raises(InvalidInput) as refused:
        check(K.PROGRESS, "   ")
    assert refused.value.key == "The report is empty: add text, a photo or a file."
    assert check(K.PROGRESS, "  ", files=1) == ""


def test_the_text_is_limited_as_telegram_counts_it() -> None:
    assert check(K.PROGRESS, "字" * TEXT_MAX) == "字" * TEXT_MAX
    with pytest.raises(TextTooLong):
        check(K.PROGRESS, "😀" * (TEXT_MAX // 2 + 1))


def test_an_extension_request_needs_a_date_after_today_and_the_due_date() -> None:
    due = date(2026, 6, 1)
    with pytest.raises(InvalidInput) as missing:
        check(K.EXTENSION, due_date=due)
    assert missing.value.key.startswith("An extension request needs the new date")
    for too_early in (TODAY, due, date(2026, 5, 20)):
        with pytest.raises(InvalidInput) as refused:
            check(K.EXTENSION, requested_due=too_early, due_date=due)
        assert refused.value.params == {"date": too_early.isoformat()}
    assert check(K.EXTENSION, requested_due=date(2026, 6, 2), due_date=due) == "进展顺利"


def test_an_item_without_a_due_date_needs_only_a_date_after_today() -> None:
    check_requested_due(date(2026, 5, 11), today=TODAY, due_date=None)
    with pytest.raises(InvalidInput):
        check_requested_due(TODAY, today=TODAY, due_date=None)


def test_only_extension_requests_carry_a_requested_date_check() -> None:
    assert check(K.PROGRESS, requested_due=date(2020, 1, 1)) == "进展顺利"


def test_the_lifecycle_moves_of_each_kind() -> None:
    assert item_action(K.EXTENSION) is ItemAction.REQUEST_EXTENSION
    assert assignment_action(K.EXTENSION) is AssignmentAction.REQUEST_EXTENSION
    assert item_action(K.COMPLETION) is ItemAction.REPORT
    assert assignment_action(K.COMPLETION) is AssignmentAction.SUBMIT_COMPLETION
    for kind in (K.PLAN, K.PROGRESS, K.MONTHLY, K.QUARTERLY):
        assert item_action(kind) is ItemAction.REPORT
        assert assignment_action(kind) is AssignmentAction.REPORT


@pytest.mark.parametrize(("text", "files"), [("", 1), ("  \n ", 0), ("", 0)])
def test_an_answer_c_without_its_reason_is_refused_for_the_reason(text: str, files: int) -> None:
    """留作参考 needs the reason in words: a photo alone or blank text is refused with that,
    not as an empty report."""
    with pytest.raises(InvalidInput) as refused:
        check(K.ANSWER_C, text, time_class=TimeClass.PROPOSAL, files=files)
    assert refused.value.key == "An answer C (kept for reference) needs the reason in text."
    assert check(K.ANSWER_C, "编制所限，留作参考", time_class=TimeClass.PROPOSAL) == (
        "编制所限，留作参考"
    )
    assert check(K.ANSWER_A, "", time_class=TimeClass.PROPOSAL, files=1) == ""
