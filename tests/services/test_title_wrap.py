"""Long titles in the rendered .docx: broken into even lines with explicit line breaks (no lone
last character, no word cut, nothing lost), for titles with emoji, Latin words, ASCII quotes and
characters outside GB 2312; and, where LibreOffice is installed, laid out as those very lines in
the PDF (pdftotext), page 1 rendered under ``test-artifacts/`` for a person to look at."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from domain.documents import DocumentFacts, DocumentKind
from domain.title_lines import char_width, title_capacity, title_lines
from services.documents.pdf import convert, find_soffice
from services.documents.templates import shipped_templates
from tests.services.test_documents_pdf import ARTIFACTS, run

TITLES = {
    "short": "推进校园安全排查整治",
    "lone": "推进校园安全隐患排查整治",  # 关于催办“…”的通知: 21 characters, one too many
    "two": "整治县城背街小巷环境卫生并建立长效管理机制确保群众满意",
    "latin": '推进5G基站建设和"Smart City"项目落地及Digital Government示范',
    "emoji": "😀🎉群众满意度提升工程👨‍👩‍👧及背街小巷整治",
    "rare": "𠀀𪚥𰻞𰻞面馆所在的𡈽𡈽巷及周边老旧小区改造提升",
    "long": "加快推进全县农村人居环境整治提升行动，全面完成改厕任务，" * 3,
}


def facts(title: str) -> DocumentFacts:
    return DocumentFacts(
        kind=DocumentKind.URGING,
        issuer="××县人民政府督查室",
        number="催〔2026〕1号",
        recipient="县教育局",
        issued=date(2026, 12, 7),
        item_code="DB-2026-001",
        item_title=title,
        dispatched=date(2026, 11, 20),
        due=date(2026, 12, 3),
        extra={"overdue_days": 4, "reply_by": "2026年12月10日"},
    )


def title_paragraph(data: bytes) -> Paragraph:
    doc = open_docx(io.BytesIO(data))
    return next(p for p in doc.paragraphs if p.text.startswith("关于催办"))


@pytest.mark.parametrize("key", list(TITLES))
def test_the_title_is_broken_into_even_lines_in_the_docx(key: str) -> None:
    full = f"关于催办“{TITLES[key]}”的通知"
    paragraph = title_paragraph(shipped_templates().render(facts(TITLES[key])))
    lines = paragraph.text.split("\n")
    breaks = paragraph._p.findall(f".//{qn('w:br')}")
    assert len(breaks) == len(lines) - 1
    assert lines == title_lines(full, title_capacity())
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", full)
    if key == "short":
        assert lines == [full]
    else:
        assert len(lines) >= 2
        for line in lines:
            assert sum(char_width(ch) for ch in line) >= 3, lines
    for piece in paragraph.runs:  # the title's font in both slots, as the template set it
        fonts = piece._element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "方正小标宋简体"


SOFFICE = find_soffice()


@pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed",
)
@pytest.mark.parametrize("key", ["lone", "two", "latin", "rare"])
def test_libreoffice_lays_the_title_out_as_those_lines(key: str) -> None:
    assert SOFFICE is not None
    full = f"关于催办“{TITLES[key]}”的通知"
    data = shipped_templates().render(facts(TITLES[key]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"title-{key}.pdf"
    pdf.write_bytes(convert(SOFFICE, data))
    text = run("pdftotext", "-layout", str(pdf), "-")
    printed = [re.sub(r"\s", "", line) for line in text.splitlines() if line.strip()]
    wanted = [re.sub(r"\s", "", line) for line in title_lines(full, title_capacity())]
    at = printed.index(wanted[0]) if wanted[0] in printed else -1
    if key == "rare":  # the fonts here may lack a 生僻字: pdftotext then drops or swaps it
        assert at >= 0 or any(wanted[-1] in line for line in printed), printed[:12]
    else:
        assert printed[at : at + len(wanted)] == wanted, printed[:12]  # no line re-wrapped
    png = ARTIFACTS / f"title-{key}"
    run("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png))
