"""Validation and normalisation of message content the bot sends (text, captions, markup)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .models import Button
from .params import Params, bad_request
from .tghtml import HtmlParseError, parse_html, strip_markdown_v2, utf16_len

__all__ = [
    "MAX_CALLBACK_ANSWER_LENGTH",
    "Content",
    "Markup",
    "format_caption",
    "format_text",
    "image_size",
    "parse_markup",
    "photo_dimensions",
    "text_content",
]

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_PHOTO_SIDES = (90, 320, 800, 1280)


@dataclass
class Markup:
    """A parsed ``reply_markup``."""

    inline: JSONDict | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False


@dataclass
class Content:
    """Text/caption plus media of a message about to be recorded."""

    text: str = ""
    parse_mode: str | None = None
    plain: str = ""
    entities: list[JSONDict] = field(default_factory=list)
    photo: bytes | None = None
    photo_sizes: list[JSONDict] | None = None
    document: tuple[bytes, str] | None = None
    document_info: JSONDict | None = None
    file_id: str | None = None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image, or None if Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return int(width), int(height)


def photo_dimensions(width: int, height: int) -> list[tuple[int, int]]:
    """Sizes of the PhotoSize list Telegram would generate, smallest first."""
    longest = max(width, height, 1)
    dims: list[tuple[int, int]] = []
    for side in _PHOTO_SIDES:
        if side < longest:
            scale = side / longest
            dims.append((max(1, round(width * scale)), max(1, round(height * scale))))
    final = min(longest, 2560) / longest
    dims.append((max(1, round(width * final)), max(1, round(height * final))))
    return dims[-4:]


def format_text(
    text: str, parse_mode: str | None, entities: Any, *, what: str = "text"
) -> tuple[str, list[JSONDict]]:
    """Plain text and entities of a text as Telegram would display it."""
    mode = (parse_mode or "").strip().lower()
    if entities:
        if not isinstance(entities, list):
            raise bad_request(f"can't parse {what} entities JSON object")
        return text, list(entities)
    if mode == "html":
        try:
            return parse_html(text)
        except HtmlParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
    if mode == "markdownv2":
        return strip_markdown_v2(text), []
    if mode in ("", "markdown"):
        return text, []
    raise bad_request("unsupported parse_mode")


def text_content(params: Params) -> Content:
    """The ``text``/``parse_mode``/``entities`` parameters of sendMessage-like calls."""
    text = params.get_str("text") or ""
    parse_mode = params.get_str("parse_mode")
    plain, entities = format_text(text, parse_mode, params.get_json("entities"))
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return Content(text=text, parse_mode=parse_mode, plain=plain, entities=entities)


def format_caption(
    caption: str | None, parse_mode: str | None, entities: Any
) -> tuple[str, list[JSONDict]]:
    """Plain text and entities of a media caption."""
    if not caption:
        return "", []
    plain, parsed = format_text(caption, parse_mode, entities, what="caption")
    if utf16_len(plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return plain, parsed


def _inline_button(button: Any) -> Button:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text is not a String")
    actions = [action for action in _BUTTON_ACTIONS if action in button]
    if len(actions) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = str(button["callback_data"])
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
        return Button(button["text"], data)
    return Button(button["text"], str(button.get("url", "")))


def parse_markup(params: Params) -> Markup:
    """The ``reply_markup`` parameter, validated like Telegram does."""
    raw = params.get_json("reply_markup")
    if raw is None or raw == "":
        return Markup()
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: field is not an array")
        buttons = [[_inline_button(button) for button in row] for row in rows]
        inline = {"inline_keyboard": rows} if any(buttons) else None
        return Markup(inline=inline, buttons=buttons if inline else [])
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        keyboard = [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows
        ]
        return Markup(keyboard=keyboard)
    if raw.get("remove_keyboard"):
        return Markup(remove_keyboard=True)
    return Markup()
