"""The ledger (台账) as an Excel workbook: one row per item and unit, a statistics sheet, the
assessment's scores (考核得分) and every deduction behind them (扣分明细).

Lights are cell fills (green, yellow, red), the header is frozen with an auto-filter, dates
are real Excel dates in the deployment's zone, and columns have sensible widths.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from domain.assessment import Period, Stats, StatsRow, year_to_date
from domain.satisfaction import Rating
from domain.scoring import EventKind
from domain.views import ItemView
from domain.vocabulary import Light
from services.ledger import LedgerQuery, Scope, ledger_views
from services.runtime import Runtime
from services.stats import compute_stats
from texts import Text
from texts import console as texts
from texts import items as item_texts
from texts import satisfaction as satisfaction_texts

if TYPE_CHECKING:  # openpyxl is imported where a workbook is made: ~30 MB few processes need
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

LIGHT_FILLS = {
    Light.GREEN: "FFC6EFCE",
    Light.YELLOW: "FFFFEB9C",
    Light.RED: "FFFFC7CE",
}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
HEADER_FILL = "FFD9E1F2"


@dataclass(frozen=True)
class ExportSummary:
    items: int
    rows: int
    period: Period


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Excel has no time zones: the local wall time, naive."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None)


def _header(sheet: Worksheet, labels: list[str], widths: list[int]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append(labels)
    for index, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def ledger_sheet(sheet: Worksheet, t: Text, views: list[ItemView], tz: ZoneInfo) -> int:
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    columns = texts.LEDGER_COLUMNS
    _header(sheet, [t.raw(label) for label, _ in columns], [width for _, width in columns])
    rows = 0
    date_columns = {9: DATE_FORMAT}
    datetime_columns = {column: DATETIME_FORMAT for column in (8, 13, 14, 15)}
    for view in views:
        for assignment in view.assignments or ():
            sheet.append(
                [
                    view.code,
                    view.ref,
                    view.title,
                    t.raw(item_texts.SOURCE_NAMES.get(view.source, view.source)),
                    t.raw(item_texts.CLASS_NAMES.get(view.time_class, view.time_class)),
                    t.raw(item_texts.STATUS_NAMES[view.status]),
                    t.raw(texts.LIGHT_NAMES[view.light]),
                    _local(view.dispatched_at, tz),
                    view.due,
                    view.leader.name if view.leader else "",
                    assignment.unit_name,
                    t.raw(item_texts.ROLE_NAMES[assignment.role]),
                    _local(assignment.acknowledged_at, tz),
                    _local(assignment.last_report_at, tz),
                    _local(view.closed_at, tz),
                    t.raw(item_texts.ASSIGNMENT_STATUS_NAMES[assignment.status]),
                    view.escalation_level,
                ]
            )
            rows += 1
            row = sheet.max_row
            sheet.cell(row=row, column=7).fill = PatternFill(
                "solid", fgColor=LIGHT_FILLS[view.light]
            )
            for column, number_format in (date_columns | datetime_columns).items():
                sheet.cell(row=row, column=column).number_format = number_format
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    return rows


def stats_sheet(sheet: Worksheet, t: Text, stats: Stats) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = [*texts.STATS_COLUMNS, *satisfaction_texts.SATISFACTION_COLUMNS]
    sheet.append([t(texts.STATS_PERIOD, start=stats.period.start, end=stats.period.end)])
    sheet.append([])
    labels = [t.raw(label) for label, _ in columns]
    sheet.append(labels)
    for index, (_, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    for row in [*stats.units, stats.total]:
        name = row.name if row is not stats.total else t.raw(texts.TOTAL)
        sheet.append(
            [
                name,
                row.items,
                row.due,
                row.closed_on_time,
                row.on_time_rate,
                row.mean_ack_hours,
                row.late_feedbacks,
                row.escalations.get(1, 0),
                row.escalations.get(2, 0),
                row.escalations.get(3, 0),
                row.returns,
                row.extensions,
                row.talks,
                row.criticisms,
                row.praises,
                row.referrals,
                *(row.ratings.get(r, 0) for r in Rating),
                row.satisfaction_rate,
            ]
        )
        sheet.cell(row=sheet.max_row, column=5).number_format = PERCENT_FORMAT
        sheet.cell(row=sheet.max_row, column=len(columns)).number_format = PERCENT_FORMAT
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)


def _scored_rows(t: Text, stats: Stats) -> list[tuple[str, StatsRow]]:
    """The units, then the leaders, each best score first, with what they are."""
    return [
        (t.raw(of), row)
        for of, rows in ((texts.OF_UNIT, stats.units), (texts.OF_LEADER, stats.leaders))
        for row in stats.by_score(rows)
        if row.score is not None
    ]


def scores_sheet(sheet: Worksheet, t: Text, stats: Stats) -> None:
    """考核得分: one row per unit and leader: rank, base, points off and on, the score."""
    columns = texts.SCORE_COLUMNS
    _header(sheet, [t.raw(label) for label, _ in columns], [width for _, width in columns])
    for of, row in _scored_rows(t, stats):
        assert row.score is not None
        score = row.score
        sheet.append([row.rank, row.name, of, score.base, score.deducted, score.added, score.total])


def deductions_sheet(sheet: Worksheet, t: Text, stats: Stats) -> None:
    """扣分明细: every deduction and addition, with its item, date and points."""
    columns = texts.DEDUCTION_COLUMNS
    _header(sheet, [t.raw(label) for label, _ in columns], [width for _, width in columns])
    names = texts.kind_names(t)
    for of, row in _scored_rows(t, stats):
        assert row.score is not None
        for line in row.score.lines:
            o = line.occurrence
            sheet.append(
                [
                    row.name,
                    of,
                    names[o.kind],
                    o.item_code or "",
                    o.item_ref or "",
                    o.on,
                    o.days if o.kind is EventKind.DAY_LATE else None,
                    line.points,
                    t.raw(texts.YES) if line.capped else "",
                ]
            )
            sheet.cell(row=sheet.max_row, column=6).number_format = DATE_FORMAT


async def build_workbook(
    rt: Runtime,
    *,
    scope: Scope | None = None,
    query: LedgerQuery | None = None,
    period: Period | None = None,
    locale: str | None = None,
) -> tuple[Workbook, ExportSummary]:
    from openpyxl import Workbook

    scope = scope or Scope.everything()
    t = rt.text(locale)
    whole = LedgerQuery(status="all", sort="code", descending=False)
    views = await ledger_views(rt, scope, query or whole)
    today = rt.clock.now().astimezone(rt.tz).date()
    period = period or year_to_date(today)
    stats = await compute_stats(rt, period, unit_ids=scope.units)
    book = Workbook()
    ledger = book.active
    assert ledger is not None
    ledger.title = t.raw(texts.LEDGER_SHEET)
    rows = ledger_sheet(ledger, t, views, rt.tz)
    stats_sheet(book.create_sheet(t.raw(texts.STATS_SHEET)), t, stats)
    scores_sheet(book.create_sheet(t.raw(texts.SCORES_SHEET)), t, stats)
    deductions_sheet(book.create_sheet(t.raw(texts.DEDUCTIONS_SHEET)), t, stats)
    return book, ExportSummary(items=len(views), rows=rows, period=period)


async def export_file(rt: Runtime, path: Path, *, period: Period | None = None) -> ExportSummary:
    """The whole ledger and the statistics (this year so far, unless a period is given)."""
    book, summary = await build_workbook(rt, period=period)
    book.save(path)
    return summary


async def export_bytes(
    rt: Runtime, *, scope: Scope, query: LedgerQuery | None = None, locale: str | None = None
) -> bytes:
    book, _ = await build_workbook(rt, scope=scope, query=query, locale=locale)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
