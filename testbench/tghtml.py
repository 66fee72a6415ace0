"""Telegram-flavoured HTML parsing (``parse_mode=HTML``).

Mirrors the behaviour of Telegram's own parser closely enough to catch the mistakes that
matter in practice: unescaped ``<`` in user-supplied text, unsupported tags such as ``<br>``
or ``<p>``, and unbalanced tags. Error descriptions follow Telegram's wording (the server
prefixes them with ``"Bad Request: can't parse entities: "``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["HtmlParseError", "parse_html", "strip_markdown_v2", "utf16_len"]

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,10}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z]{1,10});")
_MDV2_ESCAPE_RE = re.compile(r"\\([\\_*\[\]()~`>#+\-=|{}.!])")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is Telegram's description."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    language: str | None = None


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _ENTITY_RE.match(text, pos)
    if match is None:
        return None
    body = match.group(1)
    if body.startswith("#"):
        try:
            code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        except ValueError:
            return None
        if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end() - pos
    named = _NAMED_ENTITIES.get(body.lower())
    if named is None:
        return None
    return named, match.end() - pos


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                i += decoded[1]
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_start_tag(text: str, begin: int) -> tuple[str, dict[str, str], int]:
    """Parse ``<name attr="v" ...>`` starting at ``begin``; return name, attrs, end index."""
    n = len(text)
    offset = _byte_offset(text, begin)
    i = begin + 1
    j = i
    while j < n and not text[j].isspace() and text[j] != ">":
        j += 1
    if j >= n:
        raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
    name = text[i:j].lower()
    if name not in _SUPPORTED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    attrs: dict[str, str] = {}
    i = j
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        if text[i] == ">":
            return name, attrs, i + 1
        k = i
        while k < n and (text[k].isalnum() or text[k] in "-_"):
            k += 1
        if k == i:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(text, i)}'
            )
        attr = text[i:k].lower()
        i = k
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        if text[i] != "=":
            attrs[attr] = ""
            continue
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        quote = text[i]
        if quote in "\"'":
            end = text.find(quote, i + 1)
            if end < 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            raw = text[i + 1 : end]
            i = end + 1
        else:
            k = i
            while k < n and not text[k].isspace() and text[k] != ">":
                k += 1
            raw = text[i:k]
            i = k
        attrs[attr] = _unescape(raw)


def _make_entity(tag: _OpenTag, length: int, offset_bytes: int) -> dict[str, Any] | None:
    if length <= 0:
        return None
    entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag.name], "offset": tag.offset}
    entity["length"] = length
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return None
        entity["url"] = href
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        emoji_id = tag.attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise HtmlParseError(
                "Custom emoji entity must contain a valid custom emoji identifier "
                f"at byte offset {offset_bytes}"
            )
        entity["custom_emoji_id"] = emoji_id
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text plus Bot API ``MessageEntity`` dicts.

    Offsets and lengths are in UTF-16 code units. Raises :class:`HtmlParseError` with
    Telegram's description on malformed input.
    """
    out: list[str] = []
    pos16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                pos16 += utf16_len(decoded[0])
                i += decoded[1]
                continue
        if char != "<":
            out.append(char)
            pos16 += utf16_len(char)
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            close = text.find(">", i)
            if close < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            name = text[i + 2 : close].strip().lower()
            if not stack:
                raise HtmlParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            top = stack.pop()
            if name != top.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top.name}>", found "</{name}>"'
                )
            i = close + 1
            language = top.attrs.get("class", "")
            if (
                top.name == "code"
                and stack
                and stack[-1].name == "pre"
                and language.startswith("language-")
            ):
                stack[-1].language = language.removeprefix("language-")
                continue
            entity = _make_entity(top, pos16 - top.offset, _byte_offset(text, begin))
            if entity is not None:
                entities.append(entity)
            continue
        name, attrs, end = _parse_start_tag(text, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            offset = _byte_offset(text, begin)
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(_OpenTag(name=name, attrs=attrs, offset=pos16))
        i = end
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def strip_markdown_v2(text: str) -> str:
    """Best-effort plain text of a MarkdownV2 message: drops backslash escapes only."""
    return _MDV2_ESCAPE_RE.sub(r"\1", text)
