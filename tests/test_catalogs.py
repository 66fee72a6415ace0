"""Every message id in the code has a Chinese translation, and every translation keeps its
placeholders, so no user ever sees English by accident or a broken message."""

from __future__ import annotations

import string

import pytest

from domain.errors import Conflict
from domain.lifecycle import ASSIGNMENTS, ITEMS, AssignmentAction, ItemAction
from domain.vocabulary import AssignmentStatus, ItemStatus
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


def test_a_refusal_names_the_status_and_the_action_in_words() -> None:
    """A lifecycle refusal carries its status and action as vocabulary, which a person reads
    in their words, never as codes such as ``draft`` or ``submit_completion``."""
    with pytest.raises(Conflict) as refused:
        ITEMS.apply(ItemStatus.DRAFT, ItemAction.REPORT)
    zh = Translator().text("zh_CN")
    assert zh(refused.value.key, **refused.value.params) == "事项当前为“草稿”，不能反馈。"
    with pytest.raises(Conflict) as refused:
        ASSIGNMENTS.apply(AssignmentStatus.COMPLETED, AssignmentAction.SUBMIT_COMPLETION)
    text = zh(refused.value.key, **refused.value.params)
    assert text == "承办任务当前为“已办结”，不能报送办结报告。"
    en = Translator().text("en")
    assert en(refused.value.key, **refused.value.params) == (
        "You cannot submit completion an assignment that is completed."
    )
