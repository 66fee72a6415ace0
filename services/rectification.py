"""The problems a follow-up check found (问题清单) and the unit's answers to them: recorded
when the office reopens an item, answered one by one by the numbered lines of the unit's
reports (``domain.rectification``), read by the chat, the console and the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import end_of_day, local_date
from domain.rectification import Problem, numbered_answers, plan_due
from services.runtime import Runtime
from storage.models import Item, RectificationProblem, Report, Unit


async def start_rectification(
    rt: Runtime, session: AsyncSession, item: Item, now: datetime, due: date, problems: list[str]
) -> tuple[date, dict[str, Any]]:
    """The item is reopened now: the date of its rectification plan, and the problems of this
    reopening numbered from 1; that date and what the timeline records."""
    plan_by = plan_due(local_date(now, rt.tz), due, rt.policy, rt.calendar)
    item.reopened_at = now
    item.rectify_plan_by = end_of_day(plan_by, rt.tz)
    last = await session.scalar(
        select(func.max(RectificationProblem.round)).where(RectificationProblem.item_id == item.id)
    )
    round_ = (last or 0) + 1
    for number, text in enumerate(problems, start=1):
        session.add(RectificationProblem(item_id=item.id, round=round_, number=number, text=text))
    return plan_by, {"problems": problems, "plan_by": plan_by.isoformat(), "round": round_}


async def _latest(session: AsyncSession, item_id: int) -> list[RectificationProblem]:
    latest = (
        select(func.max(RectificationProblem.round))
        .where(RectificationProblem.item_id == item_id)
        .scalar_subquery()
    )
    rows = await session.scalars(
        select(RectificationProblem)
        .where(RectificationProblem.item_id == item_id, RectificationProblem.round == latest)
        .order_by(RectificationProblem.number)
    )
    return list(rows)


async def problems_of(session: AsyncSession, item_id: int) -> tuple[Problem, ...]:
    """The problems of the item's latest reopening, with their answers (none: never reopened)."""
    rows = await _latest(session, item_id)
    units = {
        unit.id: unit.name
        for unit in await session.scalars(
            select(Unit).where(Unit.id.in_({r.unit_id for r in rows if r.unit_id}))
        )
    }
    return tuple(
        Problem(r.number, r.text, r.answer, r.answered_at, units.get(r.unit_id or 0), r.report_id)
        for r in rows
    )


async def answer_problems(
    session: AsyncSession, report: Report, unit_id: int, now: datetime
) -> tuple[Problem, ...]:
    """The report's numbered lines answer the latest reopening's problems (a later answer to
    the same problem replaces the earlier); the problems as they stand after it."""
    rows = await _latest(session, report.item_id)
    for number, answer in numbered_answers(report.text, {r.number for r in rows}).items():
        row = next(r for r in rows if r.number == number)
        row.answer, row.answered_at, row.report_id, row.unit_id = answer, now, report.id, unit_id
    await session.flush()
    return await problems_of(session, report.item_id)


def problems_json(problems: tuple[Problem, ...]) -> list[dict[str, Any]]:
    """The API's problems of the latest reopening, each with its answer, when, by which unit
    and in which report (null while unanswered)."""
    return [
        {
            "number": p.number,
            "text": p.text,
            "answer": p.answer,
            "answered_at": p.answered_at.isoformat() if p.answered_at else None,
            "unit": p.unit,
            "report": p.report_id,
        }
        for p in problems
    ]
