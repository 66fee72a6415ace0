"""The shipped templates: one .docx per kind, laid out after GB/T 9704-2012, with the words of the
regulations and the fields (``{{ number }}``, ``{{ reply_by }}``, ...) the renderer fills.

``python -m services.documents.shipped [FOLDER]`` writes them (default: the package's
``templates/`` folder, where they are kept in the repository). An office edits a copy in Word
or WPS and points ``documents.templates`` in the policy at its folder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH

from domain import documents as rules
from domain.documents import DocumentKind
from services.documents import layout

SHIPPED = Path(__file__).resolve().parent / "templates"


FIGURES = [
    "交办",
    "到期",
    "按期办结",
    "按期办结率",
    "反馈逾期",
    "升级督办",
    "约谈",
    "通报批评",
    "问责建议",
]
FIGURE_FIELDS = ["dispatched", "due", "on_time", "rate", "late", "escalations", "talks"]
FIGURE_FIELDS += ["criticisms", "referrals"]
# The name, then two characters a line for each figure but the rate, which has its five.
FIGURE_WIDTHS = [28.0, 13.0, 13.0, 13.0, 23.0, 13.0, 13.0, 13.0, 14.0, 13.0]


TEXT_FIELDS = ("item", "measures")  # columns of text, set flush left


@dataclass(frozen=True)
class Each:
    """A paragraph for each element of ``items`` (a docxtpl paragraph loop)."""

    name: str
    items: str
    text: str = ""

    def write(self, doc: DocumentObject) -> None:
        layout.tag(doc, f"{{%p for {self.name} in {self.items} %}}")
        layout.body(doc, self.text or f"{{{{ {self.name} }}}}")
        layout.tag(doc, "{%p endfor %}")


@dataclass(frozen=True)
class Either:
    """The blocks of ``then`` where ``condition`` holds, else those of ``otherwise``."""

    condition: str
    then: tuple[Block, ...]
    otherwise: tuple[Block, ...]

    def write(self, doc: DocumentObject) -> None:
        layout.tag(doc, f"{{%p if {self.condition} %}}")
        _write(doc, self.then)
        layout.tag(doc, "{%p else %}")
        _write(doc, self.otherwise)
        layout.tag(doc, "{%p endif %}")


@dataclass(frozen=True)
class Heading:
    text: str

    def write(self, doc: DocumentObject) -> None:
        layout.heading(doc, self.text)


@dataclass(frozen=True)
class Picture:
    field: str

    def write(self, doc: DocumentObject) -> None:
        layout.picture(doc, self.field)


@dataclass(frozen=True)
class Gap:
    """An empty line before a heading that follows a table."""

    def write(self, doc: DocumentObject) -> None:
        layout.paragraph(doc)


@dataclass(frozen=True)
class Figures:
    """A table of the month's figures, one row per entry of ``rows`` (and the total)."""

    first: str
    rows: str
    total: bool

    def write(self, doc: DocumentObject) -> None:
        row = [f"{{{{ r.{name} }}}}" for name in ["name", *FIGURE_FIELDS]]
        body = [[f"{{%tr for r in {self.rows} %}}"] + [""] * len(FIGURES), row]
        body.append(["{%tr endfor %}"] + [""] * len(FIGURES))
        if self.total:
            body.append([f"{{{{ total.{name} }}}}" for name in ["name", *FIGURE_FIELDS]])
        layout.grid_table(doc, [self.first, *FIGURES], body, FIGURE_WIDTHS)


@dataclass(frozen=True)
class Listing:
    """A table of ``rows`` (header, field, width), or one line saying there are none."""

    rows: str
    columns: tuple[tuple[str, str, float], ...]
    empty: str

    def write(self, doc: DocumentObject) -> None:
        blank = [""] * (len(self.columns) - 1)
        body = [[f"{{%tr for r in {self.rows} %}}", *blank]]
        body.append([f"{{{{ r.{field} }}}}" for _, field, _ in self.columns])
        body.append(["{%tr endfor %}", *blank])
        text_columns = tuple(
            i for i, (_, field, _) in enumerate(self.columns) if field in TEXT_FIELDS
        )
        headers = [header for header, _, _ in self.columns]
        widths = [width for _, _, width in self.columns]
        layout.tag(doc, f"{{%p if {self.rows} %}}")
        layout.grid_table(doc, headers, body, widths, left=text_columns)
        layout.tag(doc, "{%p else %}")
        layout.body(doc, self.empty)
        layout.tag(doc, "{%p endif %}")


# A block of a letter: a body paragraph (a string), or one of the blocks above.
Block = str | Each | Either | Heading | Picture | Gap | Figures | Listing


def _write(doc: DocumentObject, blocks: tuple[Block, ...]) -> None:
    for block in blocks:
        if isinstance(block, str):
            layout.body(doc, block)
        else:
            block.write(doc)


def letter(title: str, *blocks: Block) -> Callable[[DocumentObject], None]:
    """A letter of the office: masthead, title, addressee, the blocks, signature and record."""

    def build(doc: DocumentObject) -> None:
        layout.masthead(doc)
        layout.title(doc, title)
        layout.paragraph(doc, "{{ recipient }}：")
        _write(doc, blocks)
        layout.signature(doc)
        layout.record(doc)

    return build


ITEM_BODY = Each("para", "item_body")

dispatch = letter(
    "督办通知单",
    "现将“{{ item_title }}”（{{ item_code }}，{{ source }}，{{ time_class }}）交你单位办理，"
    "办结时限为{{ due }}。牵头单位：{{ lead_unit }}"
    "{% if co_units %}；配合单位：{{ co_units }}{% endif %}"
    "{% if leader %}；责任领导：{{ leader }}{% endif %}。",
    ITEM_BODY,
    "请单位主要负责同志按照任务要求和单位职责，认真研究办理，确定专人负责，"
    "按以下时限办理并及时书面回复：",
    Each("line", "deadlines"),
    "确实解决不了的，要拿出解决的时间节点和方案，做到事事有回音、件件有落实。",
)

urging = letter(
    "{% if items|length > 1 %}关于催办逾期督办事项的通知"
    "{% else %}关于催办“{{ item_title }}”的通知{% endif %}",
    Either(
        "items|length > 1",
        (
            "交办你单位的下列督办事项，截至{{ date }}均已逾期，经分管领导督办，仍未办结。"
            "根据督查工作有关规定，现下达书面通知，进行催办：",
            Each(
                "it",
                "items",
                "{{ loop.index }}．“{{ it.title }}”（{{ it.code }}），要求于{{ it.due }}前办结，"
                "已逾期{{ it.overdue_days }}天。",
            ),
        ),
        (
            "{{ dispatched }}交办你单位的“{{ item_title }}”（{{ item_code }}），"
            "要求于{{ due }}前办结。截至{{ date }}，该事项已逾期{{ overdue_days }}天，"
            "经分管领导督办，仍未办结。根据督查工作有关规定，现下达书面通知，进行催办。",
        ),
    ),
    "请你单位主要负责同志高度重视，认真研究办理，于{{ reply_by }}前将办理情况书面报送"
    "{{ issuer }}；确实解决不了的，要拿出解决的时间节点和方案。仍不能完成的，"
    "将报告主要领导，列入督查事项。",
)

talk = letter(
    "约谈通知",
    "你单位承办的“{{ item_title }}”（{{ item_code }}），要求于{{ due }}前办结，"
    "现已逾期{{ overdue_days }}天{% if urging_numbers %}，经{{ urging_numbers }}书面催办"
    "{% endif %}，仍未完成工作任务。根据督查工作有关规定，决定对你单位主要负责人进行约谈。",
    "请你单位主要负责人于{{ attend_by }}前到{{ issuer }}接受约谈，"
    "书面说明未按期完成的原因、下一步工作措施和办结时限。",
)

criticism = letter(
    "关于“{{ item_title }}”逾期未办结情况的通报",
    # The text the principal leader confirmed (edited or not), else the regulation's words.
    Either(
        "notice_text",
        (Each("para", "notice_text"),),
        (
            "{{ dispatched }}，{{ issuer }}将“{{ item_title }}”（{{ item_code }}）交"
            "{{ units }}办理，要求于{{ due }}前办结。截至{{ date }}，"
            "该事项已逾期{{ overdue_days }}天"
            "{% if urging_numbers %}，经{{ urging_numbers }}书面催办{% endif %}，仍未办结，"
            "影响了工作任务的落实。",
            "根据督查工作有关规定，经主要领导同意，现对{{ lead_unit }}予以通报批评。"
            "请{{ units }}认真反思，切实整改，于{{ reply_by }}前将整改情况书面报送{{ issuer }}。"
            "各单位要引以为戒，对交办事项做到件件有着落、事事有回音。",
        ),
    ),
)

praise = letter(
    "关于对{{ units }}予以通报表扬的通报",
    # The text the office confirmed (edited or not), after the draft's heading.
    Each("para", "notice_text"),
    "希望受到表扬的单位珍惜荣誉，保持成绩；各单位要以先进为榜样，对交办事项做到件件有着落、"
    "事事有回音。",
)

report = letter(
    "{{ month }}督办事项办理情况专报",
    "现将{{ period }}督办事项办理情况报告如下：",
    Heading("一、总体情况"),
    "{{ period }}，新交办督办事项{{ total.dispatched }}件；到期{{ total.due }}件，"
    "按期办结{{ total.on_time }}件，按期办结率{{ total.rate }}。反馈逾期{{ total.late }}次，"
    "升级督办{{ total.escalations }}次，约谈{{ total.talks }}次，通报批评{{ total.criticisms }}"
    "次，提出问责建议{{ total.referrals }}件。逾期事项{{ overdue|length }}件，"
    "列入督查事项{{ inspections|length }}件。",
    Heading("二、各单位办理情况"),
    Figures("单位", "unit_rows", total=True),
    Picture("{{ chart }}"),
    Heading("三、县政府领导分管事项办理情况"),
    Figures("责任领导", "leader_rows", total=False),
    Gap(),
    Heading("四、逾期事项及督办措施"),
    Listing(
        "overdue",
        (
            ("事项", "item", 42),
            ("牵头单位", "unit", 24),
            ("逾期天数", "days", 19),
            ("办理状态", "state", 19),
            ("督办措施", "measures", 52),
        ),
        "本月没有逾期事项。",
    ),
    Gap(),
    Heading("五、列入督查事项"),
    Listing(
        "inspections",
        (
            ("事项", "item", 64),
            ("牵头单位", "unit", 32),
            ("列入日期", "day", 30),
            ("办理状态", "state", 30),
        ),
        "本月没有新列入督查事项的事项。",
    ),
)


def register(doc: DocumentObject) -> None:
    layout.paragraph(doc, "{{ number }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    layout.title(doc, "督办事项办理情况登记表")
    layout.form_table(
        doc,
        [
            ("事项编号", "{{ item_code }}"),
            ("事项名称", "{{ item_title }}"),
            ("事项来源", "{{ source }}"),
            ("时限类别", "{{ time_class }}"),
            ("牵头单位", "{{ lead_unit }}"),
            ("配合单位", "{{ co_units }}"),
            ("责任领导", "{{ leader }}"),
            ("交办日期", "{{ dispatched }}"),
            ("办结时限", "{{ due }}"),
            ("办结日期", "{{ closed }}"),
            ("办理状态", "{{ status }}"),
        ],
        (32, 124),
    )
    layout.paragraph(doc)
    layout.paragraph(doc, "办理过程", font=rules.HEADING_FONT)
    layout.form_table(
        doc,
        [
            ("日期", "办理情况"),
            ("{%tr for e in events %}", ""),
            ("{{ e.date }}", "{{ e.text }}"),
            ("{%tr endfor %}", ""),
        ],
        (42, 114),
    )
    layout.paragraph(doc)
    layout.paragraph(doc, "登记单位：{{ issuer }}　　登记日期：{{ date }}")


BUILDERS: dict[DocumentKind, Callable[[DocumentObject], None]] = {
    DocumentKind.DISPATCH: dispatch,
    DocumentKind.URGING: urging,
    DocumentKind.TALK: talk,
    DocumentKind.CRITICISM: criticism,
    DocumentKind.REGISTER: register,
    DocumentKind.REPORT: report,
    DocumentKind.PRAISE: praise,
}


def build(kind: DocumentKind) -> DocumentObject:
    doc = Document()
    layout.setup_page(doc)
    BUILDERS[kind](doc)
    return doc


def write_all(folder: Path) -> list[Path]:
    """Write every kind's template into ``folder`` as ``<kind>.docx``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in DocumentKind:
        target = folder / f"{kind.value}.docx"
        build(kind).save(str(target))
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED):
        print(path)
