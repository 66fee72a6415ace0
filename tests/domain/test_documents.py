"""The documents' pure rules: dates written out, the grid, the issuer's size, deadline lines,
template field checks, text an XML file cannot hold."""

from __future__ import annotations

from datetime import date

from domain import documents as rules
from domain.documents import DocumentKind


def test_dates_are_written_out() -> None:
    assert rules.written_date(date(2026, 12, 3)) == "2026年12月3日"


def test_the_grid_gives_28_characters_and_22_lines() -> None:
    assert rules.text_width_mm() == 156 and rules.text_height_mm() == 225
    assert rules.line_pitch_twips() * 22 <= 225 / 25.4 * 1440 < (rules.line_pitch_twips() + 1) * 22
    pitch = rules.BODY_PT + rules.char_spacing_twips() / 20
    assert 28 * pitch <= 156 / 25.4 * 72 < 29 * pitch


def test_the_issuer_fits_one_line() -> None:
    assert rules.issuer_size_pt("××县人民政府督查室") == 36
    long = "某某自治州某某县人民政府办公室督查室"  # 18 characters
    assert rules.issuer_size_pt(long) * 18 <= 156 / 25.4 * 72
    assert rules.page_number(3) == "— 3 —"


def test_deadlines_on_one_day_are_named_together() -> None:
    lines = rules.deadline_lines(
        [
            (date(2026, 11, 24), "签收"),
            (date(2026, 11, 24), "研究部署"),
            (None, "反馈办理情况"),
            (date(2026, 12, 3), "办结"),
        ]
    )
    assert lines == ["2026年11月24日前签收、研究部署；", "2026年12月3日前办结。"]


def test_template_fields_are_checked() -> None:
    needed = set(rules.REQUIRED_FIELDS[DocumentKind.URGING])
    assert rules.template_problem(DocumentKind.URGING, needed) is None
    assert rules.template_problem(DocumentKind.URGING, needed | {"reply_bye"}) == (
        "unknown field 'reply_bye'"
    )
    assert rules.template_problem(DocumentKind.URGING, needed - {"reply_by"}) == (
        "missing field 'reply_by'"
    )


def test_control_characters_are_taken_out() -> None:
    assert rules.clean("a\x00b\x07c\td\ne") == "abc\td\ne"
    assert rules.overdue_days(date(2026, 12, 3), date(2026, 12, 6)) == 3
    assert rules.overdue_days(None, date(2026, 12, 6)) == 0
