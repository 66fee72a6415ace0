"""The grammar of typed dates (domain.dates): one for /new, follow-up, reopen and the import."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dates import NotADate, find_date, parse_day, read_date
from domain.errors import InvalidInput

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("2026/12/31", date(2026, 12, 31)),
        ("2026.12.31", date(2026, 12, 31)),
        ("2026年12月31日", date(2026, 12, 31)),
        ("2026 年 12 月 31 日", date(2026, 12, 31)),
        ("2027-1-5", date(2027, 1, 5)),
        ("  2026-12-31\n", date(2026, 12, 31)),
        ("２０２６－１２－３１", date(2026, 12, 31)),
        ("２０２６／１２／３１", date(2026, 12, 31)),
        ("1999-12-31", date(1999, 12, 31)),  # a date, if a past one
    ],
)
def test_full_dates(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected
    assert read_date(text, TODAY) == expected
    assert find_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12月31日", date(2026, 12, 31)),
        ("12月31", date(2026, 12, 31)),
        ("12-31", date(2026, 12, 31)),
        ("12/31", date(2026, 12, 31)),
        ("12.31", date(2026, 12, 31)),
        ("11-23", TODAY),  # today is still this year's
        ("11月22日", date(2027, 11, 22)),  # passed this year: next year's
        ("３月１日", date(2027, 3, 1)),
    ],
)
def test_dates_without_a_year_are_the_next_such_date(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected
    assert read_date(text, TODAY) == expected
    assert find_date(text, TODAY) == expected


def test_the_twenty_ninth_of_february() -> None:
    assert parse_day("2-29", date(2027, 1, 1)) is None  # 2027 is not a leap year
    assert parse_day("2-29", date(2028, 1, 1)) == date(2028, 2, 29)
    assert parse_day("2024-02-29", TODAY) == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "下周五", "明天", "31", "2026", "2026-02-30", "2026-13-01", "13-01", "12-32",
     "0-5", "2026-12-31 前完成", "12月31日前", "20261231", "abc"],
)  # fmt: skip
def test_what_is_not_a_date(text: str) -> None:
    assert parse_day(text, TODAY) is None
    with pytest.raises(NotADate) as raised:
        read_date(text, TODAY)
    assert isinstance(raised.value, InvalidInput)  # answered politely, with its message key
    assert "12月31日" in raised.value.key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-31 前完成：部分隐患出现反弹。", date(2027, 3, 31)),
        ("整改期限 2027年3月31日，重点整改3-5项问题", date(2027, 3, 31)),
        ("原定 2026-2-30 有误，改为 2027.1.10", date(2027, 1, 10)),  # the first real date
        ("12月31日前完成整改", date(2026, 12, 31)),
        ("请于 3 月 1 日前完成", date(2027, 3, 1)),
        ("回头看：2027-03-01", date(2027, 3, 1)),
        ("整改3-5项问题，2027年6月30日前完成", date(2027, 6, 30)),  # full dates come first
    ],
)
def test_a_date_within_an_answer(text: str, expected: date) -> None:
    assert find_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    ["部分隐患出现反弹", "整改3-5项问题", "1998-2000年的台账", "第12-31号文件", "2026-02-30 前"],
)
def test_an_answer_without_a_date(text: str) -> None:
    with pytest.raises(NotADate):
        find_date(text, TODAY)
