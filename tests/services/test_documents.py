"""Official documents on a real database: each kind issued from an item, opened with python-docx
and checked against GB/T 9704-2012 and the item's facts; hard titles; the numbers' sequences
(per kind, gap-free under concurrency and rollback); templates refused at start-up."""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Mm
from sqlalchemy import select

from domain import documents as rules
from domain.clock import FakeClock
from domain.documents import ITEM_KINDS, DocumentKind
from domain.vocabulary import Source, TimeClass
from services.documents.access import (
    DocumentNotFound,
    document_file,
    issue_for_item,
    list_documents,
)
from services.documents.issue import issue_document
from services.documents.shipped import SHIPPED
from services.documents.templates import TemplateError, load_templates
from services.items import ItemDraft, Origin, register_item
from services.media import media_path
from services.runtime import Runtime
from services.sweep import run_sweep
from services.views import find_item, load_item
from storage.models import Document, TimelineEvent
from tests.conftest import SHANGHAI

API = Origin(None, via_api=True)


async def dispatched(
    rt: Runtime,
    title: str = "推进校园安全隐患排查整治",
    time_class: TimeClass = TimeClass.GENERAL,
) -> str:
    draft = ItemDraft(
        title=title,
        body="全面排查全县中小学校舍安全隐患。\n建立问题清单，逐项整改。",
        source=Source.MEETING,
        time_class=time_class,
        lead_unit="edu",
        co_units=("health",),
        leader="wang",
    )
    return (await register_item(rt, API, draft, dispatch=True)).ref


def text_of(doc: DocxDocument) -> str:
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        lines.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(lines)


def check_layout(doc: DocxDocument) -> None:
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1)
    assert abs(section.page_height - Mm(297)) < Mm(0.1)
    for edge, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert abs(getattr(section, f"{edge}_margin") - Mm(mm)) < Mm(0.1), edge
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    assert int(grid.get(qn("w:linePitch"))) == rules.line_pitch_twips() == 579  # 22 lines
    # 28 characters of the 16 pt body fill the 156 mm line, a 29th does not fit
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))[0]
    assert defaults.find(qn("w:sz")).get(qn("w:val")) == "32"
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == rules.BODY_FONT
    pitch_pt = rules.BODY_PT + int(defaults.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert 28 * pitch_pt <= 156 / 25.4 * 72 < 29 * pitch_pt
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "— " in section.footer.paragraphs[0].text
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            if run.text.strip():
                fonts = run._element.rPr.rFonts
                assert fonts.get(qn("w:eastAsia")), run.text
                assert fonts.get(qn("w:ascii")), run.text


async def open_issued(rt: Runtime, ref: str, kind: DocumentKind) -> tuple[str, DocxDocument]:
    info, data = await issue_for_item(rt, ref, kind)
    assert hashlib.sha256(data).hexdigest() == info.sha256
    return info.number, open_docx(io.BytesIO(data))


async def test_each_kind_is_laid_out_and_says_what_the_item_and_policy_say(
    county: Runtime, clock: FakeClock
) -> None:
    ref = await dispatched(county)
    clock.advance(timedelta(days=13))  # 2026-12-06, due 2026-12-03: three days late
    numbers = {}
    for kind in ITEM_KINDS:
        number, doc = await open_issued(county, ref, kind)
        numbers[kind] = number
        check_layout(doc)
        text = text_of(doc)
        assert number in text
        assert "推进校园安全隐患排查整治" in text
        if kind is not DocumentKind.REGISTER:
            assert doc.paragraphs[1].text == "××县人民政府督查室"
            assert str(doc.paragraphs[1].runs[0].font.color.rgb) == rules.RED
            assert "2026年12月6日" in text  # 成文日期 written out
        if kind in (DocumentKind.DISPATCH, DocumentKind.URGING):
            assert "县教育局、县卫生健康局：" in text
    assert numbers == {
        DocumentKind.DISPATCH: "督办〔2026〕2号",  # 1号 went out with the dispatch
        DocumentKind.URGING: "催〔2026〕1号",
        DocumentKind.TALK: "约谈〔2026〕1号",
        DocumentKind.CRITICISM: "督通〔2026〕1号",
        DocumentKind.REGISTER: "督登〔2026〕1号",
    }


async def test_the_urging_notice_names_due_lateness_and_reply_by_from_the_policy(
    county: Runtime, clock: FakeClock
) -> None:
    ref = await dispatched(county)
    clock.advance(timedelta(days=13))
    _, doc = await open_issued(county, ref, DocumentKind.URGING)
    text = text_of(doc)
    assert "要求于2026年12月3日前办结" in text
    assert "已逾期3天" in text
    assert "于2026年12月9日前将办理情况书面报送××县人民政府督查室" in text  # reply_days 3


async def test_the_dispatch_sheet_lists_the_class_deadlines_by_date(county: Runtime) -> None:
    ref = await dispatched(county)
    _, doc = await open_issued(county, ref, DocumentKind.DISPATCH)
    text = text_of(doc)
    assert "2026年11月24日前签收、研究部署；" in text
    assert "2026年11月30日前反馈办理情况；" in text
    assert "2026年12月3日前办结。" in text
    assert "建立问题清单，逐项整改。" in text  # the item's body, paragraph by paragraph


@pytest.mark.parametrize(
    ("time_class", "lines"),
    [
        (TimeClass.ROUTINE, ["2026年11月24日前签收；", "每月25日前报送办理情况。"]),
        (
            TimeClass.ANNUAL,
            [
                "2026年11月24日前签收；",
                "2026年12月31日前办结；",
                "每年1月15日、4月15日、7月15日、10月15日前报告上一季度工作进展情况。",
            ],
        ),
        (
            TimeClass.PROPOSAL,
            [
                "2026年11月24日前签收；",
                "2027年2月23日前答复建议提案人；",
                "答复建议提案人后20日内向交办单位报告办理情况。",
            ],
        ),
    ],
)
async def test_the_dispatch_sheet_lists_the_reports_the_class_owes(
    county: Runtime, time_class: TimeClass, lines: list[str]
) -> None:
    """The sheet names the same steps as the chat's notice: the periodic reports by the
    policy's rule, a proposal's answer and the report after it."""
    ref = await dispatched(county, time_class=time_class)
    _, doc = await open_issued(county, ref, DocumentKind.DISPATCH)
    paragraphs = [p.text for p in doc.paragraphs]
    start = paragraphs.index(lines[0])
    assert paragraphs[start : start + len(lines)] == lines


async def test_the_notice_of_criticism_goes_to_all_units_with_the_copy_list(
    county: Runtime, clock: FakeClock
) -> None:
    ref = await dispatched(county)
    clock.advance(timedelta(days=20))
    await issue_for_item(county, ref, DocumentKind.URGING)
    _, doc = await open_issued(county, ref, DocumentKind.CRITICISM)
    text = text_of(doc)
    assert "各乡镇人民政府，县直各单位：" in text
    assert "经催〔2026〕1号书面催办" in text
    assert "抄送：县委办公室、县人大常委会办公室、县政协办公室。" in text


async def test_the_registration_sheet_records_the_timeline(county: Runtime) -> None:
    ref = await dispatched(county)
    await issue_for_item(county, ref, DocumentKind.URGING)
    _, doc = await open_issued(county, ref, DocumentKind.REGISTER)
    rows = [[cell.text for cell in row.cells] for row in doc.tables[1].rows]
    assert rows[0] == ["日期", "办理情况"]
    assert ["2026年11月23日", "交办（督办〔2026〕1号）"] in rows
    assert ["2026年11月23日", "印发催办通知（催〔2026〕1号）"] in rows


@pytest.mark.parametrize(
    "title",
    [
        "整治“城关镇”🏫 garbage 站 'A' & <B> \"quoted\"",
        "𠀀𪚥龘䲜的村道硬化",
        "关于" + "全面推进乡村振兴重点工作" * 8,  # far longer than one line
    ],
)
async def test_hard_titles_make_valid_documents_whole(county: Runtime, title: str) -> None:
    ref = await dispatched(county, title)
    for kind in ITEM_KINDS:
        _, doc = await open_issued(county, ref, kind)
        assert title in text_of(doc)


async def test_the_document_is_stored_with_its_hash_and_on_the_timeline(county: Runtime) -> None:
    ref = await dispatched(county)
    info, data = await issue_for_item(county, ref, DocumentKind.TALK)
    async with county.db.session() as session:
        document = await session.get(Document, info.id)
        assert document is not None
        assert media_path(county, document.path).read_bytes() == data
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        item = await find_item(session, ref)
        event = await session.scalar(
            select(TimelineEvent)
            .where(TimelineEvent.item_id == item.id, TimelineEvent.kind == "document_issued")
            .order_by(TimelineEvent.id.desc())
        )
        assert event is not None and event.data["document"] == info.id
        assert event.detail == "约谈〔2026〕1号"
        view = await load_item(session, ref, county.clock.now(), county.policy)
    listed = await list_documents(county, ref, None)
    assert [d.number for d in listed] == ["督办〔2026〕1号", "约谈〔2026〕1号"]
    assert view.ref == ref


async def test_numbers_are_gap_free_when_issued_at_once(county: Runtime) -> None:
    ref = await dispatched(county)
    issued = await asyncio.gather(
        *(issue_for_item(county, ref, DocumentKind.URGING) for _ in range(8))
    )
    assert sorted(info.number for info, _ in issued) == [f"催〔2026〕{n}号" for n in range(1, 9)]


async def test_a_rolled_back_act_gives_its_number_back(county: Runtime) -> None:
    ref = await dispatched(county)
    async with county.db.session() as session:
        item = await find_item(session, ref)
        document = await issue_document(
            session, county, item, DocumentKind.URGING, county.clock.now()
        )
        assert document.number == "催〔2026〕1号"
        await session.rollback()  # the act failed (or the process died) before its commit
    info, _ = await issue_for_item(county, ref, DocumentKind.URGING)
    assert info.number == "催〔2026〕1号"
    again, _ = await issue_for_item(county, ref, DocumentKind.URGING)
    assert again.number == "催〔2026〕2号"


def own_folder(tmp_path: Path, kind: str, replace: tuple[str, str]) -> Path:
    """A deployment's template folder: the shipped ``kind`` template with one text replaced."""
    from docx import Document as load

    folder = tmp_path / "templates"
    folder.mkdir()
    doc = load(str(SHIPPED / f"{kind}.docx"))
    old, new = replace
    changed = False
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            if old in run.text:
                run.text = run.text.replace(old, new)
                changed = True
    assert changed
    doc.save(str(folder / f"{kind}.docx"))
    return folder


def test_a_misspelt_field_is_refused_naming_template_and_field(tmp_path: Path) -> None:
    folder = own_folder(tmp_path, "urging", ("{{ reply_by }}", "{{ reply_bye }}"))
    with pytest.raises(TemplateError) as refused:
        load_templates(folder)
    assert "urging.docx" in str(refused.value) and "'reply_bye'" in str(refused.value)


def test_a_missing_field_is_refused_naming_template_and_field(tmp_path: Path) -> None:
    folder = own_folder(tmp_path, "talk", ("{{ attend_by }}", "三日内"))
    with pytest.raises(TemplateError) as refused:
        load_templates(folder)
    assert "talk.docx" in str(refused.value) and "missing field 'attend_by'" in str(refused.value)


def test_a_broken_tag_or_file_is_refused(tmp_path: Path) -> None:
    folder = own_folder(tmp_path, "criticism", ("{{ units }}", "{{ units "))
    with pytest.raises(TemplateError, match=r"criticism\.docx"):
        load_templates(folder)
    (folder / "criticism.docx").write_bytes(b"not a zip")
    with pytest.raises(TemplateError, match=r"not a readable \.docx"):
        load_templates(folder)
    with pytest.raises(TemplateError, match="does not exist"):
        load_templates(tmp_path / "nowhere")


async def test_a_deployment_template_changes_the_wording(county: Runtime, tmp_path: Path) -> None:
    folder = own_folder(tmp_path, "urging", ("现下达书面通知，进行催办", "特此催办"))
    for kind in ITEM_KINDS:  # the other kinds fall back to the shipped ones
        assert (folder / f"{kind.value}.docx").exists() == (kind is DocumentKind.URGING)
    own = Runtime(
        db=county.db,
        clock=county.clock,
        tz=county.tz,
        media_dir=county.media_dir,
        templates=load_templates(folder),
    )
    ref = await dispatched(own)
    _, doc = await open_issued(own, ref, DocumentKind.URGING)
    assert "特此催办" in text_of(doc)
    shutil.rmtree(folder)


def test_an_urging_template_that_cannot_list_items_is_refused_when_notices_go_per_unit(
    tmp_path: Path,
) -> None:
    """A deployment's own urging template from before notices listed a unit's items: fine
    with one notice per item, refused at start-up when the policy asks for one per unit."""
    folder = tmp_path / "templates"
    folder.mkdir()
    doc = open_docx()
    doc.add_paragraph("{{ number }} {{ recipient }}：关于催办“{{ item_title }}”的通知")
    doc.add_paragraph("请于{{ reply_by }}前书面报送。{{ date }}")
    doc.save(str(folder / "urging.docx"))
    load_templates(folder)  # one notice per item: it names the one item
    with pytest.raises(TemplateError) as refused:
        load_templates(folder, listed_urging=True)
    assert "urging.docx" in str(refused.value)
    assert "'items'" in str(refused.value) and "documents.urging_per_unit" in str(refused.value)


async def test_a_units_urging_notice_is_among_each_listed_items_documents(
    county: Runtime, clock: FakeClock
) -> None:
    """One urging notice to a unit lists its overdue items; it is kept under the first of them,
    and every item it lists shows it and serves it; another unit's item does neither."""
    first, second = (
        await dispatched(county, "校园安全排查"),
        await dispatched(county, "食堂卫生整治"),
    )
    for day in (4, 7):  # level 1, then level 2 (the written urging notice)
        clock.set(datetime(2026, 12, day, 8, tzinfo=SHANGHAI))
        await run_sweep(county)
    async with county.db.session() as session:
        notices = list(
            await session.scalars(select(Document).where(Document.kind == DocumentKind.URGING))
        )
    assert len(notices) == 2  # one to each unit (县教育局, 县卫生健康局), each listing both items
    assert {notice.item_id for notice in notices} == {await item_id(county, first)}
    for ref in (first, second):
        listed = [info.number for info in await list_documents(county, ref, None)]
        for notice in notices:
            assert notice.number in listed, ref
            found = await document_file(county, notice.id, None, item_id=await item_id(county, ref))
            assert found.name.endswith(f"{notice.number}.docx")
    draft = ItemDraft("道路养护", "", Source.MEETING, TimeClass.GENERAL, lead_unit="civil")
    other = await register_item(county, API, draft, dispatch=True)
    assert not {n.number for n in notices} & {
        d.number for d in await list_documents(county, other.ref, None)
    }
    with pytest.raises(DocumentNotFound):
        await document_file(county, notices[0].id, None, item_id=other.id)


async def item_id(rt: Runtime, ref: str) -> int:
    async with rt.db.session() as session:
        return (await find_item(session, ref)).id
