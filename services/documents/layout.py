"""The page of GB/T 9704-2012 in python-docx: A4 with the standard's margins and 28 × 22 grid,
the issuing body in red over a red rule, the title, body, signature and record block, and the
page numbers ``— 1 —``; every run names its East-Asian font (``w:eastAsia``) as well as its
Latin one.

``services/documents/shipped.py`` lays the shipped templates out with these pieces.
"""

from __future__ import annotations

from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from domain import documents as rules


def set_fonts(run: Run, east_asian: str, size: float, *, latin: str = rules.LATIN_FONT) -> None:
    """Name both font slots of ``run`` (Latin and East-Asian) and its size."""
    run.font.name = latin
    run.font.size = Pt(size)
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def setup_page(doc: DocumentObject) -> None:
    """A4, the standard's margins, the 22-line grid, the body's defaults (28 characters a
    line) and page numbers."""
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(rules.PAGE_WIDTH_MM), Mm(rules.PAGE_HEIGHT_MM)
    margins = rules.MARGINS_MM
    section.top_margin, section.bottom_margin = Mm(margins.top), Mm(margins.bottom)
    section.left_margin, section.right_margin = Mm(margins.left), Mm(margins.right)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(rules.line_pitch_twips()))
    _defaults(doc)
    normal = doc.styles["Normal"]
    normal.font.name = rules.LATIN_FONT
    normal.font.size = Pt(rules.BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), rules.BODY_FONT)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Twips(rules.line_pitch_twips())
    _page_numbers(doc)


def _defaults(doc: DocumentObject) -> None:
    """The document's default run: 仿宋 3号 in both slots, Chinese, spaced for 28 a line."""
    run = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for name in ("w:rFonts", "w:spacing", "w:sz", "w:szCs", "w:lang"):
        for old in run.findall(qn(name)):
            run.remove(old)
    fonts = OxmlElement("w:rFonts")
    for slot, font in (
        ("w:ascii", rules.LATIN_FONT),
        ("w:hAnsi", rules.LATIN_FONT),
        ("w:cs", rules.LATIN_FONT),
        ("w:eastAsia", rules.BODY_FONT),
    ):
        fonts.set(qn(slot), font)
    half_points = str(int(rules.BODY_PT * 2))
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(rules.char_spacing_twips()))
    size, size_cs, lang = OxmlElement("w:sz"), OxmlElement("w:szCs"), OxmlElement("w:lang")
    size.set(qn("w:val"), half_points)
    size_cs.set(qn("w:val"), half_points)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    for element in (fonts, spacing, size, size_cs, lang):  # the schema's order
        run.append(element)


def _page_numbers(doc: DocumentObject) -> None:
    """``— N —`` in 4号 宋体: odd pages right, even pages left, one character in from the edge."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        paragraph.alignment = align
        indent = Pt(rules.PAGE_NUMBER_PT)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            paragraph.paragraph_format.right_indent = indent
        else:
            paragraph.paragraph_format.left_indent = indent
        before, after = rules.page_number(0).split("0")
        set_fonts(paragraph.add_run(before), rules.PAGE_NUMBER_FONT, rules.PAGE_NUMBER_PT)
        _page_field(paragraph)
        set_fonts(paragraph.add_run(after), rules.PAGE_NUMBER_FONT, rules.PAGE_NUMBER_PT)


def _page_field(paragraph: Paragraph) -> None:
    for part in ("begin", "instr", "separate", "1", "end"):
        run = paragraph.add_run()
        set_fonts(run, rules.PAGE_NUMBER_FONT, rules.PAGE_NUMBER_PT)
        if part == "instr":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = " PAGE "
            run._element.append(instruction)
        elif part == "1":
            run.text = "1"
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), part)
            run._element.append(char)


def paragraph(
    doc: DocumentObject,
    text: str = "",
    *,
    font: str = rules.BODY_FONT,
    size: float = rules.BODY_PT,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent_chars: float = 0,
    right_chars: float = 0,
    color: str | None = None,
    latin: str = rules.LATIN_FONT,
) -> Paragraph:
    """A paragraph of one run; ``indent_chars`` indents the first line by body characters."""
    para = doc.add_paragraph()
    if align is not None:
        para.alignment = align
    if indent_chars:
        para.paragraph_format.first_line_indent = Pt(rules.BODY_PT * indent_chars)
    if right_chars:
        para.paragraph_format.right_indent = Pt(rules.BODY_PT * right_chars)
    if size > rules.BODY_PT:
        para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    if text:
        run = para.add_run(text)
        set_fonts(run, font, size, latin=latin)
        if color is not None:
            run.font.color.rgb = RGBColor.from_string(color)
    return para


def tag(doc: DocumentObject, text: str) -> None:
    """A paragraph holding only a template tag (``{%p ... %}``), removed when rendered."""
    paragraph(doc, text)


def masthead(doc: DocumentObject) -> None:
    """The 版头: the issuing body's name in red (made smaller to fit one line by the renderer),
    the number,
    and the red rule 4 mm under the number."""
    paragraph(doc)
    top = paragraph(
        doc,
        "{{ issuer }}",
        font=rules.TITLE_FONT,
        size=rules.ISSUER_MAX_PT,
        color=rules.RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    top.paragraph_format.space_before = Pt(rules.BODY_PT)
    paragraph(doc)
    number = paragraph(doc, "{{ number }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _border(number, "bottom", color=rules.RED, eighths=12, space_pt=11)
    paragraph(doc)


def title(doc: DocumentObject, text: str) -> None:
    """The title in 小标宋 2号, centred; a long one wraps onto more lines."""
    paragraph(
        doc, text, font=rules.TITLE_FONT, size=rules.TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    paragraph(doc)


def body(doc: DocumentObject, text: str) -> Paragraph:
    """A body paragraph: 仿宋 3号, first line indented two characters."""
    return paragraph(doc, text, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)


def signature(doc: DocumentObject) -> None:
    """The issuing body and the date (成文日期), right-aligned four characters in."""
    paragraph(doc)
    paragraph(doc)
    paragraph(doc, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    paragraph(doc, "{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)


def record(doc: DocumentObject) -> None:
    """The 版记: copies (抄送) when there are any, and who printed it when, between rules."""
    paragraph(doc)
    tag(doc, "{%p if copy_to %}")
    copies = paragraph(doc, "抄送：{{ copy_to }}。", size=14, indent_chars=0.5)
    _border(copies, "top", color="000000", eighths=4, space_pt=1)
    tag(doc, "{%p endif %}")
    printed = paragraph(doc, "{{ issuer }}", size=14, indent_chars=0.5)
    _border(printed, "top", color="000000", eighths=4, space_pt=1)
    _border(printed, "bottom", color="000000", eighths=8, space_pt=1)
    run = printed.add_run("\t{{ date }}印发")
    set_fonts(run, rules.BODY_FONT, 14)
    printed.paragraph_format.tab_stops.add_tab_stop(
        Mm(rules.text_width_mm() - 4), alignment=WD_TAB_ALIGNMENT.RIGHT
    )


def _border(para: Paragraph, side: str, *, color: str, eighths: int, space_pt: int) -> None:
    """A rule along one side of ``para`` (``eighths``: its width in eighths of a point)."""
    properties = para._p.get_or_add_pPr()
    borders = properties.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        properties.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(eighths))
    line.set(qn("w:space"), str(space_pt))
    line.set(qn("w:color"), color)
    borders.append(line)


def form_table(
    doc: DocumentObject, rows: list[tuple[str, str]], widths_mm: tuple[int, int]
) -> Table:
    """A two-column form of labels and fields, in 仿宋 at 14 pt, ruled all round."""
    table: Table = doc.add_table(rows=0, cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for label, value in rows:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]
        for cell, text, width, font in (
            (cells[0], label, widths_mm[0], rules.HEADING_FONT),
            (cells[1], value, widths_mm[1], rules.BODY_FONT),
        ):
            cell.width = Mm(width)
            run = cell.paragraphs[0].add_run(text)
            set_fonts(run, font, 14)
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    return table


TABLE_PT = 10.5  # 五号: the figures' tables
TABLE_LINE_PT = 15.0


def heading(doc: DocumentObject, text: str) -> None:
    """A first-level heading (一、…) in 黑体 3号, indented two characters as the body."""
    paragraph(doc, text, font=rules.HEADING_FONT, indent_chars=2)


def picture(doc: DocumentObject, field: str) -> None:
    """A centred paragraph holding an image field (``{{ chart }}``), off the line grid so the
    image keeps its height."""
    para = paragraph(doc, field, align=WD_ALIGN_PARAGRAPH.CENTER)
    para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _off_grid(para)


def _off_grid(para: Paragraph) -> None:
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    para._p.get_or_add_pPr().append(snap)


def grid_table(
    doc: DocumentObject,
    header: list[str],
    rows: list[list[str]],
    widths_mm: list[float],
    *,
    left: tuple[int, ...] = (0,),
) -> Table:
    """A ruled table of figures in 五号: the header in 黑体, the ``rows`` in 仿宋 (a row whose
    first cell is a ``{%tr ... %}`` tag repeats or ends the rows after it), lines set tight and
    off the page's grid; the columns ``left`` (text) are set flush left, the others centred."""
    table: Table = doc.add_table(rows=0, cols=len(widths_mm))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for values, font in [(header, rules.HEADING_FONT)] + [(row, rules.BODY_FONT) for row in rows]:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]
        for column, (cell, text, width) in enumerate(zip(cells, values, widths_mm, strict=True)):
            cell.width = Mm(width)
            para = cell.paragraphs[0]
            if font == rules.HEADING_FONT or column not in left:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            para.paragraph_format.line_spacing = Pt(TABLE_LINE_PT)
            _off_grid(para)
            set_fonts(para.add_run(text), font, TABLE_PT)
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    return table
