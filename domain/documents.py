"""Official documents (公文): their kinds, the fields a template fills, and the layout rules of
GB/T 9704-2012 (党政机关公文格式) as numbers.

Pure values and functions: ``services/documents/`` builds the .docx from them. A document is
always Chinese: it is the paper the office files, whatever language its people chat in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from domain.deadlines import ReportTerms
from domain.vocabulary import Source, TimeClass


class DocumentKind(StrEnum):
    """The kinds of document the office issues; the value is what the CLI and the API name."""

    DISPATCH = "dispatch"  # 督办通知单, with each dispatch
    URGING = "urging"  # 催办通知, the ladder's written urging notice
    TALK = "talk"  # 约谈通知
    CRITICISM = "criticism"  # 通报 (批评)
    REGISTER = "register"  # 督办事项办理情况登记表, into the archive
    REPORT = "report"  # 督查专报, the month's report to the principal leader (no one item's)
    PRAISE = "praise"  # 通报 (表扬) of units the office chose (no one item's)


NO_ITEM_KINDS = frozenset({DocumentKind.REPORT, DocumentKind.PRAISE})
ITEM_KINDS = tuple(kind for kind in DocumentKind if kind not in NO_ITEM_KINDS)
"""The kinds issued about one item (``duban document REF KIND``)."""


KIND_NAMES: dict[DocumentKind, str] = {
    DocumentKind.DISPATCH: "督办通知单",
    DocumentKind.URGING: "催办通知",
    DocumentKind.TALK: "约谈通知",
    DocumentKind.CRITICISM: "通报",
    DocumentKind.REGISTER: "督办事项办理情况登记表",
    DocumentKind.REPORT: "督查专报",
    DocumentKind.PRAISE: "通报",
}

SEQUENCES: dict[DocumentKind, DocumentKind] = {DocumentKind.PRAISE: DocumentKind.CRITICISM}
"""Kinds numbered in another kind's yearly sequence: every 通报, of criticism or of praise, takes
the next 通报 number."""

SOURCE_NAMES: dict[str, str] = {
    Source.SUPERIOR: "上级交办",
    Source.DECISION: "重大决策部署",
    Source.WORK_REPORT: "政府工作报告",
    Source.MEETING: "会议议定事项",
    Source.INSTRUCTION: "领导批示",
    Source.PROPOSAL: "建议提案",
    Source.COMPLAINT: "群众投诉",
    Source.OTHER: "其他",
}

CLASS_NAMES: dict[str, str] = {
    TimeClass.GENERAL: "一般事项",
    TimeClass.MAJOR: "重大复杂事项",
    TimeClass.ROUTINE: "常态化事项",
    TimeClass.INSTRUCTION: "领导批示事项",
    TimeClass.PROPOSAL: "建议提案",
    TimeClass.MEETING: "重要会议文件事项",
    TimeClass.ANNUAL: "年度重点工作",
    TimeClass.CUSTOM: "限时事项",
}


# --- the layout (GB/T 9704-2012) -----------------------------------------------------------------

PAGE_WIDTH_MM = 210.0  # A4
PAGE_HEIGHT_MM = 297.0


@dataclass(frozen=True)
class Margins:
    top: float
    bottom: float
    left: float
    right: float


MARGINS_MM = Margins(top=37.0, bottom=35.0, left=28.0, right=26.0)  # 版心 156 mm × 225 mm
CHARS_PER_LINE = 28
LINES_PER_PAGE = 22
BODY_PT = 16.0  # 3号
TITLE_PT = 22.0  # 2号
PAGE_NUMBER_PT = 14.0  # 4号
ISSUER_MAX_PT = 36.0  # 发文机关标志: as large as one line of the text width allows, at most this
RED = "FF0000"

BODY_FONT = "仿宋_GB2312"  # 仿宋 3号
TITLE_FONT = "方正小标宋简体"  # 小标宋 2号
HEADING_FONT = "黑体"  # 一级标题
LATIN_FONT = "Times New Roman"
PAGE_NUMBER_FONT = "宋体"

_TWIPS_PER_MM = 1440 / 25.4
_TWIPS_PER_PT = 20


def text_width_mm() -> float:
    return PAGE_WIDTH_MM - MARGINS_MM.left - MARGINS_MM.right


def text_height_mm() -> float:
    return PAGE_HEIGHT_MM - MARGINS_MM.top - MARGINS_MM.bottom


def line_pitch_twips() -> int:
    """The grid's line pitch: 22 lines fill the text height (rounded down so that all fit)."""
    return int(text_height_mm() * _TWIPS_PER_MM / LINES_PER_PAGE)


def char_spacing_twips() -> int:
    """The spacing added to every character (negative: taken away), in twentieths of a point,
    so that 28 characters of the 16 pt body fill the 156 mm line and a 29th does not fit. The
    grid's lines are Word's ``docGrid``; its characters are this spacing, which Word, WPS and
    LibreOffice all lay out alike (LibreOffice gives a character wider than a character grid's
    cell two cells)."""
    pitch_pt = text_width_mm() * _TWIPS_PER_MM / _TWIPS_PER_PT / CHARS_PER_LINE
    return math.floor((pitch_pt - BODY_PT) * _TWIPS_PER_PT)


def issuer_size_pt(issuer: str) -> float:
    """The issuing body's name fits on one line: at most 36 pt, smaller for a long name."""
    width_pt = text_width_mm() * _TWIPS_PER_MM / _TWIPS_PER_PT
    units = sum(0.5 if ch.isascii() else 1.0 for ch in issuer) or 1.0
    return max(min(ISSUER_MAX_PT, int(width_pt / units * 2) / 2), 12.0)


def page_number(page: int) -> str:
    """A page number as the standard writes it: ``— 1 —``."""
    return f"— {page} —"


def written_date(day: date) -> str:
    """A date written out as documents do: ``2026年12月3日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def file_name(kind: str, number: str, extension: str = "docx") -> str:
    """The name a document is sent and downloaded under: its kind's name and its number,
    ``催办通知催〔2026〕3号.docx`` (``督查专报〔2026〕1号.docx``: a number that names its kind
    already)."""
    name = KIND_NAMES[DocumentKind(kind)]
    return f"{'' if number.startswith(name) else name}{number}.{extension}"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` without the control characters an XML document cannot hold."""
    return _NOT_XML.sub("", text)


# --- fields ------------------------------------------------------------------------------------

COMMON_FIELDS = frozenset(
    {
        "issuer",
        "number",
        "recipient",
        "date",
        "copy_to",
        "item_code",
        "item_title",
        "item_body",
        "source",
        "time_class",
        "lead_unit",
        "co_units",
        "units",
        "leader",
        "dispatched",
        "due",
    }
)

KIND_FIELDS: dict[DocumentKind, frozenset[str]] = {
    DocumentKind.PRAISE: frozenset(
        {"issuer", "number", "recipient", "date", "copy_to", "units", "notice_text"}
    ),
    DocumentKind.DISPATCH: COMMON_FIELDS | {"deadlines"},
    DocumentKind.URGING: COMMON_FIELDS | {"overdue_days", "reply_by", "items"},
    DocumentKind.TALK: COMMON_FIELDS | {"overdue_days", "attend_by", "urging_numbers"},
    DocumentKind.CRITICISM: COMMON_FIELDS
    | {"overdue_days", "urging_numbers", "reply_by", "notice_text"},
    DocumentKind.REGISTER: COMMON_FIELDS | {"status", "closed", "archived", "events"},
    DocumentKind.REPORT: frozenset(
        {
            "issuer",
            "number",
            "recipient",
            "date",
            "copy_to",
            "month",
            "period",
            "total",
            "unit_rows",
            "leader_rows",
            "chart",
            "overdue",
            "inspections",
        }
    ),
}
"""The fields a template of each kind may use; any other name is a misspelling."""

REQUIRED_FIELDS: dict[DocumentKind, frozenset[str]] = {
    DocumentKind.PRAISE: frozenset({"number", "units", "notice_text", "date"}),
    DocumentKind.DISPATCH: frozenset(
        {"number", "recipient", "item_title", "due", "deadlines", "date"}
    ),
    DocumentKind.URGING: frozenset({"number", "recipient", "item_title", "reply_by", "date"}),
    DocumentKind.TALK: frozenset({"number", "recipient", "item_title", "attend_by", "date"}),
    DocumentKind.CRITICISM: frozenset({"number", "item_title", "date"}),
    DocumentKind.REGISTER: frozenset({"number", "item_code", "item_title", "events"}),
    DocumentKind.REPORT: frozenset(
        {"number", "recipient", "month", "unit_rows", "chart", "overdue", "inspections", "date"}
    ),
}
"""The fields a template of each kind must show: without them it is not that document."""


def template_problem(kind: DocumentKind, used: set[str]) -> str | None:
    """What is wrong with a template of ``kind`` that uses the fields ``used``, or None."""
    unknown = sorted(used - KIND_FIELDS[kind])
    if unknown:
        return f"unknown field {unknown[0]!r}"
    missing = sorted(REQUIRED_FIELDS[kind] - used)
    if missing:
        return f"missing field {missing[0]!r}"
    return None


@dataclass(frozen=True)
class Picture:
    """An image a template shows where its field stands (the report's chart): PNG bytes at
    ``width_mm`` wide."""

    data: bytes
    width_mm: float


@dataclass(frozen=True)
class Event:
    """One line of the registration sheet's record: when, and what happened."""

    date: str
    text: str


@dataclass(frozen=True)
class DocumentFacts:
    """What a document says, already written as text (dates written out); ``context`` gives
    the template's fields."""

    kind: DocumentKind
    issuer: str
    number: str
    recipient: str
    issued: date
    item_code: str = ""
    item_title: str = ""
    item_body: str = ""
    source: str = ""
    time_class: str = ""
    lead_unit: str = ""
    co_units: tuple[str, ...] = ()
    leader: str = ""
    dispatched: date | None = None
    due: date | None = None
    copy_to: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(u for u in (self.lead_unit, *self.co_units) if u)

    def context(self) -> dict[str, Any]:
        """The template's fields: every text cleaned of what XML cannot hold."""
        fields: dict[str, Any] = {
            "issuer": self.issuer,
            "number": self.number,
            "recipient": self.recipient,
            "date": written_date(self.issued),
            "copy_to": "、".join(self.copy_to),
            "item_code": self.item_code,
            "item_title": self.item_title,
            "item_body": [p for p in self.item_body.splitlines() if p.strip()],
            "source": SOURCE_NAMES.get(self.source, self.source),
            "time_class": CLASS_NAMES.get(self.time_class, self.time_class),
            "lead_unit": self.lead_unit,
            "co_units": "、".join(self.co_units),
            "units": "、".join(self.units),
            "leader": self.leader,
            "dispatched": written_date(self.dispatched) if self.dispatched else "",
            "due": written_date(self.due) if self.due else "长期",
        }
        fields.update(self.extra)
        cleaned: dict[str, Any] = _cleaned(fields)
        return cleaned


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: _cleaned(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(inner) for inner in value]
    if isinstance(value, Event):
        return Event(clean(value.date), clean(value.text))
    return value


def overdue_days(due: date | None, today: date) -> int:
    """Whole days past the due date (0 when not yet due or open-ended)."""
    if due is None:
        return 0
    return max((today - due).days, 0)


def reply_by(issued_on: date, days: int) -> date:
    """The day a notice issued on ``issued_on`` asks its written answer by (``reply_days``): the
    one date its document and every chat message that names the notice state."""
    return issued_on + timedelta(days=days)


def overdue_entry(code: str, title: str, due: date | None, today: date) -> dict[str, Any]:
    """One overdue item as an urging notice that lists several names it (``items``)."""
    return {
        "code": code,
        "title": title,
        "due": written_date(due) if due else "长期",
        "overdue_days": overdue_days(due, today),
    }


def deadline_lines(
    steps: list[tuple[date | None, str]], reports: ReportTerms | None = None
) -> list[str]:
    """The dispatch sheet's time limits, one line per date, steps due on one day named together:
    ``2026年11月24日前签收、研究部署；``, then the reports the class owes by the policy's rule
    (``每月25日前报送办理情况；``); the last line ends with ``。``."""
    grouped: list[tuple[date, list[str]]] = []
    for day, step in steps:
        if day is None:
            continue
        if grouped and grouped[-1][0] == day:
            grouped[-1][1].append(step)
        else:
            grouped.append((day, [step]))
    lines = [f"{written_date(day)}前{'、'.join(names)}；" for day, names in grouped]
    if reports is not None:
        lines.append(f"{reports_rule(reports)}；")
    if lines:
        lines[-1] = lines[-1][:-1] + "。"
    return lines


def reports_rule(terms: ReportTerms) -> str:
    """The reports of a class as the regulations word them: ``每月25日前报送办理情况``,
    ``每年1月15日、4月15日、7月15日、10月15日前报告上一季度工作进展情况``,
    ``答复后20日内向交办单位报告办理情况``."""
    if terms.monthly_day is not None:
        return f"每月{terms.monthly_day}日前报送办理情况"
    if terms.quarterly_on:
        dates = "、".join(f"{month}月{day}日" for month, day in terms.quarterly_on)
        return f"每年{dates}前报告上一季度工作进展情况"
    unit = "个工作日" if terms.working_days else "日"
    return f"答复建议提案人后{terms.after_answer_days}{unit}内向交办单位报告办理情况"


EVENT_NAMES: dict[str, str] = {
    "registered": "立项",
    "submitted_for_approval": "提交审核",
    "approved": "审核通过",
    "dispatched": "交办",
    "acknowledged": "签收",
    "reported": "反馈办理情况",
    "extension_requested": "申请延期",
    "extension_approved": "同意延期",
    "extension_refused": "不同意延期",
    "completion_submitted": "报送办结报告",
    "confirmed": "单位负责人核签",
    "closed": "核验销号",
    "returned": "退回重办",
    "followed_up": "回头看",
    "reopened": "重新整改",
    "instructed": "领导批示",
    "urged": "分管领导督办",
    "urging_notice": "下达书面催办通知",
    "inspection_item": "列入督查事项",
    "talk_ordered": "决定约谈",
    "criticism_ordered": "决定通报批评",
    "document_issued": "印发",
    "archived": "立卷归档",
}
"""The timeline's events the registration sheet records, in the office's words; others are
left out (reminders, deliveries: the chat's bookkeeping, not the item's history)."""
