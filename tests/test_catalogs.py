"""Every message id in the code has a Chinese translation, and every translation keeps its
placeholders, so no user ever sees English by accident or a broken message."""

from __future__ import annotations

import string

from texts import LOCALE_DIR, Translator, load_catalog
from texts.catalogs import message_ids, untranslated


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_a_chinese_translation() -> None:
    missing = untranslated("zh_CN")
    assert not missing, "\n".join(f"{f}:{line}: {m!r}" for m, f, line in missing)


def test_translations_keep_their_placeholders() -> None:
    catalog = load_catalog("zh_CN", LOCALE_DIR)
    wrong = [
        message.id
        for message in catalog
        if message.id and placeholders(str(message.id)) != placeholders(str(message.string))
    ]
    assert not wrong


def test_english_is_the_message_id_and_parameters_are_escaped() -> None:
    translator = Translator()
    ids = {m for m, _, _ in message_ids()}
    assert "Unknown person: {keys}" in ids
    en = translator.text("en")
    assert en("Unknown person: {keys}", keys="<b>x</b>") == "Unknown person: &lt;b&gt;x&lt;/b&gt;"
    zh = translator.text("zh_CN")
    assert zh("Unknown person: {keys}", keys="a&b") == "名册中没有此人：a&amp;b"
