"""Text length as Telegram counts it, and shortening that never breaks a message.

Telegram limits a message to 4096 characters and a media caption to 1024, counted in UTF-16
code units after the HTML is parsed (tags dropped, entities decoded): an emoji or a rare CJK
character (outside the Basic Multilingual Plane) counts as two, a ZWJ family such as 👨‍👩‍👧 as
eight. The input limits people are told about count the same way (:func:`check_length`), so
what they may write is what a message can carry.

:func:`shorten` cuts plain text (before it is escaped, so never inside an entity) without
splitting a character from its combining marks or a joined emoji sequence; :func:`clip_html`
is the last resort for an already rendered HTML message: it cuts between tags and entities and
closes the tags left open.
"""

from __future__ import annotations

import html
import re
import unicodedata

from domain.errors import InvalidInput
from domain.i18n import N_

MESSAGE_MAX = 4096
CAPTION_MAX = 1024
ELLIPSIS = "…"

_ZWJ = "\u200d"
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_TOKEN = re.compile(r"<[^>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);|[^<&]+|[<&]")


class TextTooLong(InvalidInput):
    key = N_(
        "The text has {length} characters, more than the {max} allowed "
        "(an emoji or a rare character counts as two)."
    )


class TitleTooLong(TextTooLong):
    key = N_(
        "The title has {length} characters, more than the {max} allowed "
        "(an emoji or a rare character counts as two)."
    )


class ReasonTooLong(TextTooLong):
    key = N_(
        "The reason has {length} characters, more than the {max} allowed "
        "(an emoji or a rare character counts as two)."
    )


class PlaceTooLong(TextTooLong):
    key = N_(
        "The place has {length} characters, more than the {max} allowed "
        "(an emoji or a rare character counts as two)."
    )


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the length Telegram checks."""
    return len(text.encode("utf-16-le")) // 2


def check_length(
    text: str, limit: int, error: type[TextTooLong] = TextTooLong, **params: object
) -> str:
    """``text`` unchanged, or ``error`` naming the limit and the text's length."""
    length = utf16_len(text)
    if length > limit:
        raise error(max=limit, length=length, **params)
    return text


def _clings(char: str) -> bool:
    """A character that belongs to the one before it (combining mark, joiner, selector)."""
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tones
        or "\U000e0020" <= char <= "\U000e007f"  # tag sequences (flags)
    )


def _cut(text: str, budget: int) -> str:
    """The longest prefix of ``text`` within ``budget`` UTF-16 units that ends at a cluster
    boundary (approximately: not before a combining mark and not after a joiner)."""
    used = 0
    end = 0
    for index, char in enumerate(text):
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > budget:
            break
        used += size
        end = index + 1
    while 0 < end < len(text) and (_clings(text[end]) or text[end - 1] == _ZWJ):
        end -= 1
    return text[:end]


def shorten(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` itself if it fits in ``limit`` UTF-16 units, else a prefix plus ``ellipsis``
    that does. Plain text: shorten first, escape after."""
    if utf16_len(text) <= limit:
        return text
    return _cut(text, max(0, limit - utf16_len(ellipsis))).rstrip() + ellipsis


def visible_len(markup: str) -> int:
    """UTF-16 length of an HTML message as Telegram counts it (tags out, entities decoded)."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def clip_html(markup: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """An HTML message cut to ``limit`` visible UTF-16 units (with ``ellipsis``), never inside
    a tag or an entity, with every tag left open closed again."""
    if visible_len(markup) <= limit:
        return markup
    budget = max(0, limit - utf16_len(ellipsis))
    out: list[str] = []
    open_tags: list[str] = []
    used = 0
    for match in _TOKEN.finditer(markup):
        token = match.group(0)
        tag = _TAG.fullmatch(token)
        if tag is not None:
            closing, name = tag.group(1), tag.group(2).lower()
            if closing:
                if name in open_tags:
                    del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name)]
            else:
                open_tags.append(name)
            out.append(token)
            continue
        plain = html.unescape(token)
        size = utf16_len(plain)
        if used + size <= budget:
            out.append(token)
            used += size
            continue
        if not token.startswith("&"):
            out.append(_cut(token, budget - used))
        break
    return "".join(out).rstrip() + ellipsis + "".join(f"</{name}>" for name in open_tags[::-1])
