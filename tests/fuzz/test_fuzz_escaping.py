"""Any text a person types (tags, entities, RTL marks, zero-width, emoji, very long) put into
any chat message stays text: it cannot add or break the HTML tags of the message."""

from __future__ import annotations

import html
import string
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.strategies import FUZZ, odd_text
from texts import Translator

TRANSLATOR = Translator()
LOCALES = ("zh_CN", "en")


def templates() -> list[tuple[str, str, tuple[str, ...]]]:
    """Every message with placeholders: (locale, msgid, field names)."""
    found = []
    for locale in LOCALES:
        for message in TRANSLATOR.catalog(locale):
            if not message.id or not isinstance(message.id, str):
                continue
            template = TRANSLATOR.gettext(locale, message.id)
            try:
                fields = tuple(
                    {name for _, name, _, _ in string.Formatter().parse(template) if name}
                )
            except ValueError:
                continue  # a literal brace: not a format template
            if fields and all(name.isidentifier() for name in fields):
                found.append((locale, message.id, fields))
    return found


TEMPLATES = templates()
hostile = st.one_of(
    odd_text,
    st.sampled_from(
        [
            "<b>x</b>",
            "<a href='tg://user?id=1'>y</a>",
            "&lt;",
            "&",
            "</b><i>",
            "{title}",
            "\u202egnp.exe",
            "' OR 1=1 --",
            "😀" * 500,
            "长" * 5000,
        ]
    ),
)


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 50


@FUZZ
@given(chosen=st.sampled_from(TEMPLATES), values=st.lists(hostile, min_size=1, max_size=6))
@example(chosen=TEMPLATES[0], values=["<script>alert(1)</script>"])
def test_params_never_add_markup_to_a_message(
    chosen: tuple[str, str, tuple[str, ...]], values: list[str]
) -> None:
    locale, msgid, fields = chosen
    params: dict[str, Any] = {name: values[i % len(values)] for i, name in enumerate(fields)}
    template = TRANSLATOR.gettext(locale, msgid)
    rendered = TRANSLATOR.text(locale)(msgid, **params)
    literal = "".join(text for text, _, _, _ in string.Formatter().parse(template))
    assert rendered.count("<") == literal.count("<")
    assert rendered.count(">") == literal.count(">")
    for value in params.values():
        assert html.escape(value, quote=False) in rendered
    assert html.unescape(rendered).count("<") >= literal.count("<")
