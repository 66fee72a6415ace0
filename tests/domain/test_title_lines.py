"""A long document title wrapped as GB/T 9704-2012 asks: even lines, none of one or two
characters, no Latin word cut, every character kept, for titles of every length with emoji,
Latin words, ASCII quotes and characters outside GB 2312."""

from __future__ import annotations

import re

import pytest

from domain.title_lines import char_width, title_capacity, title_lines

CAP = title_capacity()
SUBJECTS = [
    "推进校园安全隐患排查整治",
    "整治县城背街小巷环境卫生并建立长效管理机制确保群众满意",
    "加快推进全县农村人居环境整治提升行动，全面完成改厕任务",
    "推进5G基站建设和Smart City项目落地",
    '"Hello World"示范项目与“互联网+政务服务”平台建设',
    "😀🎉👨‍👩‍👧 群众满意度提升工程 🇨🇳",
    "𠀀𪚥𰻞𰻞面馆所在的𡈽𡈽巷改造",
    "Implementation of the county's rural revitalization strategy and infrastructure",
    "很长的标题" * 30,
    "A",
    "",
]


def width(line: str) -> float:
    return sum(char_width(ch) for ch in line)


def squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("frame", ["关于催办“{}”的通知", "关于“{}”逾期未办结情况的通报", "{}"])
def test_every_length_wraps_into_even_lines_keeping_every_character(
    subject: str, frame: str
) -> None:
    title = frame.format(subject)
    lines = title_lines(title, CAP)
    assert squeezed("".join(lines)) == squeezed(title)  # nothing cut, nothing added
    assert " ".join(lines).split() == title.split() or len(lines) > 1
    for line in lines:
        assert width(line) <= CAP, line
        assert line == line.strip()
    if len(lines) > 1:
        assert all(width(line) >= 3 for line in lines), lines  # no lone last character
        widths = [width(line) for line in lines]
        assert max(widths) - min(widths) <= 6, lines  # 梯形或菱形: lines of sensible length
    # A Latin word that fits on a line is never cut.
    words = {w for w in re.findall(r"[A-Za-z0-9']+", title) if width(w) <= CAP}
    for line in lines:
        for word in re.findall(r"[A-Za-z0-9']+", line):
            assert word in words or not words, (word, lines)
    # An emoji sequence (a family joined by ZWJ, a flag) stays on one line.
    for sequence in ("👨‍👩‍👧", "🇨🇳"):
        if sequence in title:
            assert any(sequence in line for line in lines), lines


def test_a_title_that_fits_stays_on_one_line() -> None:
    assert title_lines("关于催办“推进校园安全排查整治”的通知", CAP) == [
        "关于催办“推进校园安全排查整治”的通知"
    ]
    assert CAP == 20  # 156 mm of 2号 characters on the grid's spacing


def test_two_lines_split_near_the_middle_preferring_a_pause() -> None:
    lines = title_lines("关于“整治县城背街小巷环境卫生”逾期未办结情况的通报", CAP)
    assert lines == ["关于“整治县城背街小巷环境卫生”", "逾期未办结情况的通报"]
    subject = "整治县城背街小巷环境卫生并建立长效管理机制确保群众满意"
    lines = title_lines(f"关于催办“{subject}”的通知", CAP)
    assert [width(line) for line in lines] == [18, 18]


def test_the_lone_last_character_of_a_greedy_wrap_is_gone() -> None:
    title = "关于催办“推进校园安全隐患排查整治”的通知"  # 21: greedy wrapping leaves "知"
    lines = title_lines(title, CAP)
    assert len(lines) == 2 and min(width(line) for line in lines) >= 9


def test_quotes_stay_with_what_they_quote() -> None:
    lines = title_lines('关于推进"Smart County"数字政府示范建设工作情况的通报通知', CAP)
    for line in lines:
        assert not line.endswith(('"', "“")) and not line.startswith(("”", "，"))
    assert any('"Smart County"' in line for line in lines)
