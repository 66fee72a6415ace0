"""建议提案 after the proposer is answered (答复): what the answering unit then owes.

An answer is a report of one of the answer kinds, with the result class used in proposal
handling: A (解决或采纳, solved or adopted), B (列入计划逐步解决, in plan, to be solved step by
step), C (留作参考, kept for reference, with the reason). The unit's latest answer decides:

- the report owed after the answer (:attr:`Duty.PROPOSAL_REPORT`), due the class's
  ``reports.days`` (default 20) after the answer's date; the first progress, periodic or
  completion report sent after the answer answers it;
- for an answer B, a follow-up report (:attr:`Duty.PROPOSAL_FOLLOW_UP`) every
  ``proposals.follow_up_months`` months after the answer, until the unit reports the matter
  solved: a completion report, or a later answer A. The reports after the first one answer the
  follow-ups in order, as periodic reports do (``domain.chases.period_statuses``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.chases import PeriodStatus, Reports, answers, deadline_status, period_statuses
from domain.deadlines import add_months, local_date, report_after_resolve_due
from domain.policy import Policy
from domain.vocabulary import Duty, ReportKind, TimeClass

ANSWER_KINDS = (ReportKind.ANSWER_A, ReportKind.ANSWER_B, ReportKind.ANSWER_C)
ANSWER_CLASS = {ReportKind.ANSWER_A: "A", ReportKind.ANSWER_B: "B", ReportKind.ANSWER_C: "C"}
ANSWER_KIND = {letter: kind for kind, letter in ANSWER_CLASS.items()}  # "A" -> ANSWER_A


def latest_answer(reports: Reports) -> tuple[ReportKind, datetime] | None:
    """The unit's latest answer to the proposer (kind, when), None before any."""
    found = [(kind, at) for kind, at in reports if kind in ANSWER_KINDS]
    return max(found, key=lambda one: one[1]) if found else None


def _feedback_after(reports: Reports, moment: datetime) -> list[datetime]:
    return sorted(
        at for kind, at in reports if at > moment and Duty.FIRST_FEEDBACK in answers(kind)
    )


def proposal_statuses(
    time_class: TimeClass,
    reports: Reports,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    tz: ZoneInfo,
) -> list[tuple[Duty, PeriodStatus]]:
    """What the unit owes or owed since its latest answer, each with its state: the report
    after the answer, then (answer B, not yet solved) each follow-up up to the next one."""
    answer = latest_answer(reports)
    if answer is None:
        return []
    kind, answered_at = answer
    answered_on = local_date(answered_at, tz)
    after = _feedback_after(reports, answered_at)
    statuses: list[tuple[Duty, PeriodStatus]] = []
    report_by = report_after_resolve_due(time_class, answered_on, policy, calendar)
    if report_by is not None:
        first = after[0] if after else None
        statuses.append((Duty.PROPOSAL_REPORT, deadline_status(report_by, first, now, tz)))
    solved = any(k is ReportKind.COMPLETION and at > answered_at for k, at in reports)
    if kind is not ReportKind.ANSWER_B or solved:
        return statuses
    today = local_date(now, tz)
    months = policy.proposals.follow_up_months
    dates = [add_months(answered_on, months)]
    while dates[-1] < today:  # up to the next one ahead
        dates.append(add_months(answered_on, months * (len(dates) + 1)))
    follow_ups = period_statuses(dates, answered_on, after[1:], now, tz)
    return statuses + [(Duty.PROPOSAL_FOLLOW_UP, s) for s in follow_ups]
