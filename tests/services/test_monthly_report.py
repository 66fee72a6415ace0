"""The monthly supervision report (督查专报) on a real database: the month's figures by unit and
by leader, the chart embedded as an image, the overdue items with their lateness and the
measures taken (the urging notice by its number), the items made formal inspection items; laid
out as GB/T 9704-2012 asks and numbered in its own sequence."""

from __future__ import annotations

import io
from datetime import date, datetime

from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Mm

from domain.clock import FakeClock
from domain.monthly_report import month_period, parse_month, previous_month, working_day_of_month
from services.documents.report import report_now
from services.runtime import Runtime
from services.sweep import run_sweep
from tests.conftest import SHANGHAI
from tests.services.test_documents import check_layout, dispatched, text_of


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def overdue_through_the_ladder(rt: Runtime, clock: FakeClock) -> str:
    """An item due 2026-12-03 taken up the ladder: urged, the urging notice, inspection."""
    ref = await dispatched(rt)
    for day in (4, 7, 10, 14):
        clock.set(local(12, day, 8))
        await run_sweep(rt)
    return ref


def table_rows(doc: DocxDocument) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]


async def test_the_report_says_the_months_figures_overdue_and_measures(
    county: Runtime, clock: FakeClock
) -> None:
    await overdue_through_the_ladder(county, clock)
    clock.set(local(12, 31, 18))
    info, data = await report_now(county, month_period(2026, 12))
    assert info.number == "督查专报〔2026〕1号" and info.kind == "report"
    assert info.name == "督查专报〔2026〕1号.docx"
    doc = open_docx(io.BytesIO(data))
    check_layout(doc)  # A4, margins, the 22-line grid, East-Asian fonts on every run
    text = text_of(doc)
    assert doc.paragraphs[1].text == "××县人民政府督查室"
    assert "督查专报〔2026〕1号" in text
    assert "2026年12月督办事项办理情况专报" in text
    assert "县政府主要领导：" in text  # 主送, from the policy
    assert "现将2026年12月1日至12月31日督办事项办理情况报告如下" in text
    assert "到期1件，按期办结0件，按期办结率0%" in text
    assert "逾期事项1件，列入督查事项1件" in text
    assert "2026年12月31日" in text  # 成文日期 written out
    rows = table_rows(doc)
    assert ["县教育局", "0", "1", "0", "0%", "0", "3", "0", "0", "0"] in rows
    assert ["合计", "0", "1", "0", "0%", "0", "3", "0", "0", "0"] in rows
    assert ["王立新", "0", "1", "0", "0%", "0", "3", "0", "0", "0"] in rows  # by leader
    overdue = next(row for row in rows if row[0].startswith("督〔2026〕1号") and "天" in row[2])
    assert overdue[1:4] == ["县教育局", "28天", "未办结"]
    assert overdue[4] == (
        # one urging notice to each of the item's two units, on one line
        "12月4日提请分管领导督办；12月7日下达书面催办通知（催〔2026〕1号、催〔2026〕2号）；"
        "12月14日报县政府主要领导并列入督查事项"
    )
    assert ["督〔2026〕1号 推进校园安全隐患排查整治", "县教育局", "12月14日", "已交办"] in rows
    for table in doc.tables:
        for run in (
            r for row in table.rows for c in row.cells for p in c.paragraphs for r in p.runs
        ):
            assert run._element.rPr.rFonts.get(qn("w:eastAsia")), run.text
    # the chart, embedded as a PNG image
    images = [rel for rel in doc.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 1 and images[0].target_part.blob.startswith(b"\x89PNG")
    assert doc.inline_shapes[0].width > Mm(140)


async def test_a_quiet_month_says_there_was_nothing_overdue(county: Runtime) -> None:
    _, data = await report_now(county, month_period(2026, 10))
    text = text_of(open_docx(io.BytesIO(data)))
    assert "本月没有逾期事项。" in text and "本月没有新列入督查事项的事项。" in text
    _, again = await report_now(county, month_period(2026, 10))
    assert "督查专报〔2026〕2号" in text_of(open_docx(io.BytesIO(again)))  # its own sequence


def test_months_and_the_first_working_day() -> None:
    assert parse_month("2026-11") == month_period(2026, 11)
    assert month_period(2026, 12).end == date(2026, 12, 31)
    assert month_period(2027, 2).end == date(2027, 2, 28)
    for bad in ("2026-13", "2026-00", "26-11", "2026/11", "", "2026-1"):
        assert parse_month(bad) is None, bad
    assert previous_month(date(2027, 1, 4)) == month_period(2026, 12)
    weekdays = lambda day: day.weekday() < 5  # noqa: E731
    assert working_day_of_month(2026, 11, 1, weekdays) == date(2026, 11, 2)  # 1 Nov: a Sunday
    assert working_day_of_month(2026, 11, 2, weekdays) == date(2026, 11, 3)
