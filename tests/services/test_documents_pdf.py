"""Each kind of document converted to PDF by LibreOffice (headless), as a leader's phone gets it:
the key lines in order (pdftotext), a sane page count, and page 1 as a PNG under
``test-artifacts/`` for a person to look at. Skipped without LibreOffice; CI installs it."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from domain.clock import FakeClock
from domain.documents import ITEM_KINDS, DocumentKind
from domain.monthly_report import month_period
from services import public_notices
from services.documents.access import document_file, issue_for_item
from services.documents.pdf import convert, find_soffice
from services.documents.report import report_now
from services.items import Origin
from services.runtime import Runtime
from tests.services.test_documents import dispatched
from tests.services.test_monthly_report import local, overdue_through_the_ladder

API = Origin(None, via_api=True)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"
SOFFICE = find_soffice()
pytestmark = pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed",
)

KEY_LINES = {
    DocumentKind.DISPATCH: [
        "××县人民政府督查室",
        "督办〔2026〕2号",
        "督办通知单",
        "县教育局",
        "2026年12月3日前办结",
        "2026年12月6日",
    ],
    DocumentKind.URGING: [
        "××县人民政府督查室",
        "催〔2026〕1号",
        "关于催办",
        "县教育局",
        "已逾期3天",
        "2026年12月9日前",
        "2026年12月6日",
    ],
    DocumentKind.TALK: [
        "××县人民政府督查室",
        "约谈〔2026〕1号",
        "约谈通知",
        "县教育局",
        "接受约谈",
        "2026年12月6日",
    ],
    DocumentKind.CRITICISM: [
        "××县人民政府督查室",
        "督通〔2026〕1号",
        "的通报",
        "各乡镇人民政府",
        "通报批评",
        "抄送",
    ],
    DocumentKind.REGISTER: [
        "督登〔2026〕1号",
        "督办事项办理情况登记表",
        "事项编号",
        "办理过程",
        "交办",
    ],
    DocumentKind.PRAISE: [
        "××县人民政府督查室",
        "督通〔2026〕1号",
        "关于对县卫生健康局予以通报表扬的通报",
        "各乡镇人民政府",
        "予以通报表扬",
        "以先进为榜样",
        "抄送",
    ],
    DocumentKind.REPORT: [
        "××县人民政府督查室",
        "督查专报〔2026〕1号",
        "2026年12月督办事项办理情况专报",
        "县政府主要领导",
        "一、总体情况",
        "按期办结率",
        "二、各单位办理情况",
        "县教育局",
        "三、县政府领导分管事项办理情况",
        "王立新",
        "四、逾期事项及督办措施",
        "督办措施",
        "五、列入督查事项",
        "2026年12月31日",
    ],
}


def squeezed(text: str) -> str:
    """pdftotext's words without the spaces and breaks the grid puts between characters."""
    return re.sub(r"\s+", "", text)


async def test_each_kind_converts_to_a_readable_pdf(county: Runtime, clock: FakeClock) -> None:
    ref = await dispatched(county, "推进“城关镇”校园安全隐患排查整治 2026")
    clock.advance(timedelta(days=13))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for kind in ITEM_KINDS:
        _, docx = await issue_for_item(county, ref, kind)
        await asyncio.to_thread(check_pdf, kind, docx)


async def test_the_monthly_report_converts_to_a_readable_pdf(
    county: Runtime, clock: FakeClock
) -> None:
    await overdue_through_the_ladder(county, clock)
    clock.set(local(12, 31, 18))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _, docx = await report_now(county, month_period(2026, 12))
    await asyncio.to_thread(check_pdf, DocumentKind.REPORT, docx)


async def test_a_praise_converts_to_a_readable_pdf(county: Runtime) -> None:
    drafted = await public_notices.draft_praise(county, API, "health")
    sent = await public_notices.confirm_notice(county, API, drafted.notice.id)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    docx = await document_file(county, sent.document_id, None)
    await asyncio.to_thread(check_pdf, DocumentKind.PRAISE, docx.data)


def check_pdf(kind: DocumentKind, docx: bytes) -> None:
    """Convert, read back in order, count the pages, render page 1 to a PNG."""
    assert SOFFICE is not None
    path = ARTIFACTS / f"{kind.value}.pdf"
    path.write_bytes(convert(SOFFICE, docx))
    text = squeezed(run("pdftotext", "-layout", str(path), "-"))
    at = 0
    for line in KEY_LINES[kind]:
        found = text.find(squeezed(line), at)
        assert found >= 0, (kind, line, text[:400])
        at = found
    pages = re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(path)))
    assert pages is not None and 1 <= int(pages.group(1)) <= 3, (kind, pages)
    png = ARTIFACTS / kind.value
    run("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(path), str(png))
    assert (ARTIFACTS / f"{kind.value}.png").stat().st_size > 1000


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout
