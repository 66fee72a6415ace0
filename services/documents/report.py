"""The monthly supervision report (督查专报) to the principal leader and the office: the month's
figures by unit and by leader (``services.stats``), the on-time-rate chart as an image, the
items overdue in the month with their lateness and what was done about them, and the items
that became formal inspection items (列入督查事项, ladder level 3).

Everything but the number is read before the issuing transaction begins (the statistics and the
chart take a while); :func:`issue_report` then numbers, renders and stores it in the caller's
transaction, as :mod:`services.documents.issue` does for an item's documents.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import monthly_report as rules
from domain.assessment import Period, Stats
from domain.deadlines import local_date
from domain.documents import DocumentFacts, DocumentKind, Picture, written_date
from domain.vocabulary import AssignmentRole, ItemStatus
from services.bulletin import render_chart
from services.documents.access import DocumentInfo, document_info
from services.documents.facts import STATUS_NAMES
from services.documents.issue import issue_numbered
from services.media import media_path
from services.runtime import Runtime
from services.stats import compute_stats
from services.timeline import Kind
from storage.models import Assignment, Document, Item, TimelineEvent, Unit

CHART_WIDTH_MM = 150.0
NOT_OUT = (ItemStatus.DRAFT, ItemStatus.PENDING_APPROVAL, ItemStatus.WITHDRAWN)


@dataclass(frozen=True)
class ReportLine:
    """One item in the report's lists, already written as text."""

    code: str
    title: str
    unit: str
    days: str = ""
    measures: str = ""
    day: str = ""
    state: str = ""

    def fields(self) -> dict[str, str]:
        return {
            "item": f"{self.code} {self.title}",
            "unit": self.unit,
            "days": self.days,
            "measures": self.measures,
            "day": self.day,
            "state": self.state,
        }


@dataclass(frozen=True)
class ReportContent:
    """What a month's report says, but its number."""

    period: Period
    stats: Stats
    overdue: list[ReportLine]
    inspections: list[ReportLine]
    chart: bytes
    issued: date

    @property
    def month(self) -> str:
        return rules.month_key(self.period)


async def report_content(rt: Runtime, period: Period) -> ReportContent:
    """The month ``period``'s report as of now (a month not over yet: so far)."""
    now = rt.clock.now()
    stats = await compute_stats(rt, period)
    stats = replace(stats, units=[r for r in stats.units if rules.has_activity(r)])
    stats = replace(stats, leaders=[r for r in stats.leaders if rules.has_activity(r)])
    low, high = period.bounds(rt.tz)
    until = min(high, now)
    async with rt.db.session() as session:
        overdue = await _overdue(session, rt, low, until)
        inspections = await _inspections(session, rt, low, high)
    chart = await asyncio.to_thread(render_chart, rt.text("zh_CN"), stats)
    return ReportContent(period, stats, overdue, inspections, chart, local_date(now, rt.tz))


def report_facts(rt: Runtime, content: ReportContent, number: str) -> DocumentFacts:
    policy = rt.policy.documents
    start, end = content.period.start, content.period.end
    return DocumentFacts(
        kind=DocumentKind.REPORT,
        issuer=policy.issuer,
        number=number,
        recipient=policy.report_recipient,
        issued=content.issued,
        copy_to=policy.copy_to,
        extra={
            "month": rules.month_label(content.period),
            "period": f"{written_date(start)}至{end.month}月{end.day}日",
            "total": rules.row_fields(content.stats.total),
            "unit_rows": [rules.row_fields(row) for row in content.stats.units],
            "leader_rows": [rules.row_fields(row) for row in content.stats.leaders],
            "chart": Picture(content.chart, CHART_WIDTH_MM),
            "overdue": [line.fields() for line in content.overdue],
            "inspections": [line.fields() for line in content.inspections],
        },
    )


async def issue_report(
    session: AsyncSession,
    rt: Runtime,
    content: ReportContent,
    now: datetime,
    *,
    actor_id: int | None = None,
) -> Document:
    """Number, render and store ``content`` in the caller's transaction."""

    async def facts(number: str) -> DocumentFacts:
        return report_facts(rt, content, number)

    return await issue_numbered(
        session, rt, DocumentKind.REPORT, now, facts, item_id=None, actor_id=actor_id
    )


async def report_now(
    rt: Runtime, period: Period, *, actor_id: int | None = None
) -> tuple[DocumentInfo, bytes]:
    """Issue the report on ``period`` now, on demand (the console, the CLI): a new number
    each time, with the figures as they stand."""
    content = await report_content(rt, period)
    async with rt.db.session() as session:
        document = await issue_report(session, rt, content, rt.clock.now(), actor_id=actor_id)
        await session.commit()
    return document_info(document), media_path(rt, document.path).read_bytes()


def _month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


async def _lead_units(session: AsyncSession, item_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Assignment.item_id, Unit.name)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.item_id.in_(item_ids), Assignment.role == AssignmentRole.LEAD)
    )
    return {item_id: name for item_id, name in rows.all()}


async def _overdue(
    session: AsyncSession, rt: Runtime, low: datetime, until: datetime
) -> list[ReportLine]:
    """The items that were overdue in the month: due before its end (or now), not closed by
    their deadline, and not closed before the month began; latest deadline last."""
    items = list(
        await session.scalars(
            select(Item)
            .where(
                Item.due_at.is_not(None),
                Item.due_at < until,
                Item.dispatched_at.is_not(None),
                Item.status.not_in(NOT_OUT),
                (Item.closed_at.is_(None)) | (Item.closed_at > Item.due_at),
                (Item.closed_at.is_(None)) | (Item.closed_at >= low),
            )
            .order_by(Item.due_at, Item.id)
        )
    )
    ids = {item.id for item in items}
    units = await _lead_units(session, ids)
    measures = await _measures(session, rt, ids, until)
    lines = []
    for item in items:
        assert item.due_date is not None
        closed = item.closed_at if item.closed_at is not None and item.closed_at < until else None
        settled = local_date(closed or until, rt.tz)
        days = rules.lateness_days(item.due_date, settled)
        state = "已办结" if closed is not None else "未办结"
        lines.append(
            ReportLine(
                item.code,
                item.title,
                units.get(item.id, ""),
                days=f"{days}天",
                state=state,
                measures=rules.measures_text(measures[item.id]),
            )
        )
    return lines


async def _measures(
    session: AsyncSession, rt: Runtime, item_ids: set[int], until: datetime
) -> dict[int, list[rules.Measure]]:
    """What was done about each item up to ``until``: the ladder's and the leaders' measures,
    an urging notice with its number."""
    rows = await session.scalars(
        select(TimelineEvent)
        .where(
            TimelineEvent.item_id.in_(item_ids),
            TimelineEvent.kind.in_([*rules.MEASURE_NAMES, rules.ESCALATED]),
            TimelineEvent.at < until,
        )
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    found: dict[int, list[rules.Measure]] = defaultdict(list)
    for event in rows:
        data = event.data or {}
        level = int(str(data.get("level", 0) or 0))
        if event.kind == rules.ESCALATED and _has_own_event(rt, level):
            continue  # the urging notice, the inspection item: named by their own events
        code = data.get("code") if event.kind == Kind.NOTICE_ISSUED else None
        day = local_date(event.at, rt.tz)
        found[event.item_id].append(rules.Measure(day, event.kind, str(code or ""), level))
    return found


def _has_own_event(rt: Runtime, level: int) -> bool:
    rung = rt.policy.ladder.get(level)
    return rung is not None and (rung.urging_notice or rung.inspection_item)


async def _inspections(
    session: AsyncSession, rt: Runtime, low: datetime, high: datetime
) -> list[ReportLine]:
    """The items made formal inspection items (列入督查事项) in the month."""
    rows = (
        await session.execute(
            select(TimelineEvent.at, Item)
            .join(Item, Item.id == TimelineEvent.item_id)
            .where(
                TimelineEvent.kind == Kind.INSPECTION,
                TimelineEvent.at >= low,
                TimelineEvent.at < high,
            )
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
    ).all()
    units = await _lead_units(session, {item.id for _, item in rows})
    return [
        ReportLine(
            item.code,
            item.title,
            units.get(item.id, ""),
            day=_month_day(local_date(at, rt.tz)),
            state=STATUS_NAMES.get(item.status, str(item.status)),
        )
        for at, item in rows
    ]
