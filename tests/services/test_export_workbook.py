"""The exported ledger: one row per item and unit, lights as fills, real dates, a stats sheet."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from domain.assessment import Period
from services.export import LIGHT_FILLS, export_file
from services.runtime import Runtime
from services.stats import compute_stats
from storage.models import Assignment
from tests.services.console_scenario import build

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


async def test_workbook_rows_colours_and_statistics(county: Runtime, tmp_path: Path) -> None:
    scenario = await build(county)
    path = tmp_path / "ledger.xlsx"
    summary = await export_file(county, path, period=NOVEMBER)
    async with county.db.session() as session:
        assignments = await session.scalar(select(func.count()).select_from(Assignment))
    assert summary.rows == assignments == 5 and summary.items == 4

    book = load_workbook(path)
    assert book.sheetnames == ["台账", "统计", "考核得分", "扣分明细"]
    ledger = book["台账"]
    header = [cell.value for cell in ledger[1]]
    assert header[:3] == ["编号", "编号（简）", "标题"] and "承办单位" in header
    assert ledger.freeze_panes == "A2"
    assert ledger.auto_filter.ref == f"A1:Q{ledger.max_row}"
    assert ledger.column_dimensions["C"].width == 40
    rows = [[cell for cell in row] for row in ledger.iter_rows(min_row=2)]
    assert len(rows) == 5
    by_ref_unit = {(row[1].value, row[10].value): row for row in rows}
    assert set(by_ref_unit) == {
        (scenario.a, "县教育局"),
        (scenario.a, "县卫生健康局"),
        (scenario.b, "县交通运输局"),
        (scenario.c, "县教育局"),
        (scenario.d, "县卫生健康局"),
    }
    b_row = by_ref_unit[(scenario.b, "县交通运输局")]
    assert b_row[6].value == "红"
    assert b_row[6].fill.fgColor.rgb == LIGHT_FILLS["red"]
    d_row = by_ref_unit[(scenario.d, "县卫生健康局")]  # not acknowledged after a day
    assert d_row[6].value == "黄" and d_row[6].fill.fgColor.rgb == LIGHT_FILLS["yellow"]
    a_row = by_ref_unit[(scenario.a, "县卫生健康局")]  # closed
    assert a_row[6].value == "绿" and a_row[6].fill.fgColor.rgb == LIGHT_FILLS["green"]
    # Dates are real Excel dates in local time, with a date format.
    assert isinstance(b_row[7].value, datetime) and b_row[7].value == datetime(2026, 11, 2, 10, 0)
    assert b_row[7].number_format == "yyyy-mm-dd hh:mm"
    assert b_row[8].value == datetime(2026, 11, 12, 0, 0)  # openpyxl reads dates back as datetime
    assert b_row[8].number_format == "yyyy-mm-dd"
    a_edu = by_ref_unit[(scenario.a, "县教育局")]
    assert a_edu[12].value == datetime(2026, 11, 1, 12, 0)  # acknowledged after 2 hours
    assert a_edu[14].value == datetime(2026, 11, 10, 10, 0)  # closed

    stats_sheet = book["统计"]
    assert stats_sheet["A1"].value == "统计期间：2026-11-01 至 2026-11-30"
    stats = await compute_stats(county, NOVEMBER)
    table = {row[0].value: row for row in stats_sheet.iter_rows(min_row=4)}
    for unit in stats.units:
        row = table[unit.name]
        assert [c.value for c in row[1:4]] == [unit.items, unit.due, unit.closed_on_time]
        assert row[4].value == unit.on_time_rate
        assert row[4].number_format == "0.0%"
        assert row[5].value == unit.mean_ack_hours
        assert row[6].value == unit.late_feedbacks
        assert [c.value for c in row[7:10]] == [unit.escalations.get(n, 0) for n in (1, 2, 3)]
        assert [c.value for c in row[10:12]] == [unit.returns, unit.extensions]
    assert table["县教育局"][4].value == 0.5
    assert table["合计"][1].value == 4
