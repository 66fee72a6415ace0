"""Rectification (整改) after a follow-up check (回头看) reopens an item.

The office lists the problems found (问题清单), one per line; the unit owes a rectification
plan (整改方案) by a date (``rectification.plan_days`` after the reopening, never after the new
due date), chased like every deadline (:attr:`Duty.RECTIFICATION_PLAN`: a plan or a completion
report sent after the reopening answers it), and its reports answer the problems one by one: a
line that starts with a problem's number (``1. …``, ``2、…``, ``（3）…``) answers that problem.
A busy official on a phone writes one message, one numbered line per problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.chases import PeriodStatus, Reports, deadline_status
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.policy import Policy
from domain.text import check_length
from domain.vocabulary import ReportKind

PROBLEM_MAX = 500  # one problem's text
PROBLEMS_MAX = 30  # problems on one list
ANSWER_MAX = 2000  # one problem's answer
PLAN_KINDS = frozenset({ReportKind.PLAN, ReportKind.COMPLETION})  # they answer the plan

# "1. text", "1、text", "1) text", "(1) text", "（1）text", "第1条 text", "问题1：text"
_NUMBERED = re.compile(
    r"^\s*(?:问题|第)?\s*[(（]?\s*(\d{1,2})\s*(?:[)）.．、:：,，]|条|项)\s*(.*)$", re.DOTALL
)
_BULLET = re.compile(r"^\s*(?:[-•·*]|\d{1,2}\s*[.．、)）])\s*")


class NoProblems(InvalidInput):
    key = N_("List at least one problem found, one per line.")


class TooManyProblems(InvalidInput):
    key = N_("At most {max} problems on one list.")


def problem_list(lines: list[str] | str) -> list[str]:
    """The problems the office typed (one per line; a leading number or bullet is dropped),
    checked: at least one, each within :data:`PROBLEM_MAX`."""
    raw = lines.splitlines() if isinstance(lines, str) else lines
    problems = [_BULLET.sub("", line, count=1).strip() for line in raw]
    problems = [p for p in problems if p]
    if not problems:
        raise NoProblems()
    if len(problems) > PROBLEMS_MAX:
        raise TooManyProblems(max=PROBLEMS_MAX)
    return [check_length(p, PROBLEM_MAX) for p in problems]


def numbered_answers(text: str, numbers: set[int]) -> dict[int, str]:
    """The answers a report gives to problems ``numbers``: each line that starts with one of
    those numbers, with the lines after it up to the next numbered one (the last answer to a
    number wins; a number not listed is ignored)."""
    found: dict[int, list[str]] = {}
    current: int | None = None
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match:  # a numbered line starts an answer (to no listed problem: ignored)
            current = int(match.group(1)) if int(match.group(1)) in numbers else None
            if current is not None:
                found[current] = [match.group(2).strip()]
        elif current is not None and line.strip():
            found[current].append(line.strip())
    answers = {n: "\n".join(part for part in parts if part) for n, parts in found.items()}
    return {n: a[:ANSWER_MAX] for n, a in answers.items() if a}


def plan_due(reopened_on: date, due: date, policy: Policy, calendar: WorkCalendar) -> date:
    """When the rectification plan is due: ``plan_days`` after the reopening, not after ``due``."""
    rules = policy.rectification
    if rules.working_days:
        by = calendar.add_working_days(reopened_on, rules.plan_days)
    else:
        by = reopened_on + timedelta(days=rules.plan_days)
    return min(by, due)


def plan_status(
    reopened_at: datetime, plan_by: date, reports: Reports, now: datetime, tz: ZoneInfo
) -> PeriodStatus:
    """The rectification plan's state: answered by the first plan or completion report sent
    after the reopening."""
    sent = min(
        (at for kind, at in reports if kind in PLAN_KINDS and at > reopened_at), default=None
    )
    return deadline_status(plan_by, sent, now, tz)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of the list, and the unit's answer once given."""

    number: int
    text: str
    answer: str | None = None
    answered_at: datetime | None = None
    unit: str | None = None  # the unit that answered it
    report_id: int | None = None  # the report that answered it
