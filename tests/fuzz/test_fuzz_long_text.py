"""Lengths as Telegram counts them (UTF-16 units after the HTML is parsed): shortening plain
text and cutting rendered HTML always fit, never split a tag, an entity or a joined emoji, and
what they keep is the start of the original. The fake Bot API's own HTML parser checks."""

from __future__ import annotations

import html

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.text import (
    ELLIPSIS,
    TextTooLong,
    check_length,
    clip_html,
    shorten,
    utf16_len,
    visible_len,
)
from testbench.tghtml import parse_html
from testbench.tghtml import utf16_len as telegram_len
from tests.fuzz.strategies import FUZZ, odd_text
from texts import Translator, escape
from texts.items import NOTICE_TEXT_MAX, user_text

FAMILY = "👨\u200d👩\u200d👧"
PIECES = ["😀", FAMILY, "\u202e", "\u200b", "e\u0301\u0323", "长", "𠀀", "<b>", "&amp;", " "]
long_text = st.lists(st.sampled_from(PIECES) | odd_text, max_size=80).map("".join)


@FUZZ
@given(text=long_text, limit=st.integers(min_value=1, max_value=400))
@example(text=FAMILY * 3, limit=12)
@example(text="e\u0301" * 5, limit=4)
def test_shorten_fits_and_keeps_the_start(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert utf16_len(short) <= limit
    if utf16_len(text) <= limit:
        assert short == text
        return
    assert short.endswith(ELLIPSIS)
    kept = short.removesuffix(ELLIPSIS)
    assert text.startswith(kept)
    assert not kept.endswith("\u200d")  # a joined sequence is kept whole or dropped whole
    rest = text[len(kept) :].lstrip()
    assert not rest or rest[0] not in "\u0301\u0323\u200d"


@FUZZ
@given(
    parts=st.lists(long_text, min_size=1, max_size=4),
    limit=st.integers(min_value=1, max_value=300),
)
def test_clip_html_fits_and_stays_valid_html(parts: list[str], limit: int) -> None:
    markup = f"<b>{escape(parts[0])}</b>\n" + "\n".join(
        f"<i>{escape(part)}</i> &lt;" for part in parts[1:]
    )
    clipped = clip_html(markup, limit)
    plain, _entities = parse_html(clipped)  # raises on a cut tag or entity
    assert telegram_len(plain) == visible_len(clipped) <= max(limit, 1)
    full, _ = parse_html(markup)
    if telegram_len(full) <= limit:
        assert clipped == markup
    else:
        assert plain.endswith(ELLIPSIS)
        assert full.startswith(plain.removesuffix(ELLIPSIS))


@FUZZ
@given(text=long_text)
def test_check_length_counts_like_telegram(text: str) -> None:
    limit = 40
    if telegram_len(text) <= limit:
        assert check_length(text, limit) == text
    else:
        with pytest.raises(TextTooLong) as raised:
            check_length(text, limit)
        assert raised.value.params == {"max": limit, "length": telegram_len(text)}


@pytest.mark.parametrize("units", [NOTICE_TEXT_MAX, NOTICE_TEXT_MAX + 1, 10_000])
def test_a_persons_text_in_a_notice_fits_with_its_pointer(units: int) -> None:
    t = Translator().text("zh_CN")
    text = ("😀<&" + FAMILY + "\u202e")[: units % 7 + 1] + "😀" * units
    rendered = user_text(t, text)
    plain = html.unescape(rendered)
    assert visible_len(rendered) <= NOTICE_TEXT_MAX + 40
    assert "网页控制台" in plain  # longer than the budget: shortened, and says where it is
    assert plain.startswith(shorten(text, NOTICE_TEXT_MAX).removesuffix(ELLIPSIS))


def test_chinese_error_names_the_limit_and_the_length() -> None:
    t = Translator().text("zh_CN")
    with pytest.raises(TextTooLong) as raised:
        check_length("😀" * 1501, 3000)
    assert t(raised.value.key, **raised.value.params) == (
        "内容有 3002 个字，超过了 3000 个字的上限（表情符号和生僻字各按两个字计）。"
    )
