"""Registration rules: typed dates, Chinese names, load warnings (no I/O)."""

from __future__ import annotations

from datetime import date

from domain.dates import parse_day
from domain.registration import (
    UnitLoad,
    load_warnings,
    parse_class,
    parse_source,
    title_similarity,
)
from domain.vocabulary import Source, TimeClass

TODAY = date(2026, 11, 23)


def test_typed_dates() -> None:
    assert parse_day("2026-12-31", TODAY) == date(2026, 12, 31)
    assert parse_day("2027年1月5日", TODAY) == date(2027, 1, 5)
    assert parse_day("12月31日", TODAY) == date(2026, 12, 31)
    assert parse_day("12-31", TODAY) == date(2026, 12, 31)
    assert parse_day("３月１日", TODAY) == date(2027, 3, 1)  # passed this year: next year's
    assert parse_day("11-23", TODAY) == TODAY
    for text in ("下周五", "2026-02-30", "13-01", "", "31"):
        assert parse_day(text, TODAY) is None


def test_names() -> None:
    assert parse_source("会议议定事项") is Source.MEETING
    assert parse_source("superior") is Source.SUPERIOR
    assert parse_source("随便") is None
    assert parse_class("年度重点工作") is TimeClass.ANNUAL
    assert parse_class("GENERAL") is TimeClass.GENERAL
    assert parse_class("很急") is None


def test_load_warnings() -> None:
    busy = UnitLoad("edu", "县教育局", {f"2026-{n}": f"事项{n}" for n in range(3)})
    similar = UnitLoad("health", "县卫生健康局", {"2026-9": "开展城区燃气管道安全隐患排查"})
    quiet = UnitLoad("eco", "县生态环境分局", {"2026-8": "秸秆禁烧"})
    warnings = load_warnings(
        "开展城区燃气管道安全隐患排查整治", [busy, similar, quiet], max_open=3, similarity=0.8
    )
    assert [(w.unit_key, w.too_many, w.similar_ref) for w in warnings] == [
        ("edu", True, None),
        ("health", False, "2026-9"),
    ]
    assert load_warnings("x", [busy], max_open=4, similarity=0.8) == []
    assert title_similarity("校园 安全", "校园安全") == 1.0
    assert title_similarity("", "校园安全") == 0.0
