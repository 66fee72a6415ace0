"""The bot changing messages already in a chat: editMessageText, editMessageCaption,
editMessageReplyMarkup, deleteMessage and deleteMessages."""

from __future__ import annotations

from typing import Any

from ..content import Content, Markup, format_caption, parse_markup, text_content
from ..models import BotMessage
from ..params import Params, bad_request
from ..state import ChatState
from .core import BotApiCore, bot_method

__all__ = ["Editing"]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class Editing(BotApiCore):
    """Edits keep the earlier texts in ``BotMessage.edits``; deletions mark messages deleted."""

    @bot_method("editMessageText")
    async def _edit_message_text(self, params: Params) -> Any:
        message = self._message_to_edit(params)
        if message.is_photo or message.is_document:
            raise bad_request("there is no text in the message to edit")
        content = text_content(params)
        markup = parse_markup(params)
        if (
            content.plain == message.plain_text
            and content.entities == message.entities
            and markup.inline == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._apply_edit(message, markup, content)
        return self.render(message)

    @bot_method("editMessageCaption")
    async def _edit_message_caption(self, params: Params) -> Any:
        message = self._message_to_edit(params)
        if not (message.is_photo or message.is_document):
            raise bad_request("there is no caption in the message to edit")
        caption = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode")
        plain, entities = format_caption(caption, parse_mode, params.get_json("caption_entities"))
        markup = parse_markup(params)
        if (
            plain == message.plain_text
            and entities == message.entities
            and markup.inline == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        content = Content(text=caption, parse_mode=parse_mode, plain=plain, entities=entities)
        self._apply_edit(message, markup, content)
        return self.render(message)

    @bot_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, params: Params) -> Any:
        message = self._message_to_edit(params)
        markup = parse_markup(params)
        if markup.inline == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._apply_edit(message, markup)
        return self.render(message)

    def _message_to_edit(self, params: Params) -> BotMessage:
        if params.get_str("inline_message_id") and "chat_id" not in params:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat_for_bot(params.chat_id())
        message_id = params.require_int("message_id")
        message = chat.live_bot_message(message_id)
        if message is None:
            if message_id in chat.user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _apply_edit(
        self, message: BotMessage, markup: Markup, content: Content | None = None
    ) -> None:
        """Give the message new buttons and, with ``content``, a new text or caption."""
        message.edits.append(message.text)
        if content is not None:
            message.text = content.text
            message.parse_mode = content.parse_mode
            message.plain_text = content.plain
            message.entities = content.entities or []
        message.buttons = markup.buttons
        message.reply_markup = markup.inline
        message.edited_at = self._now()
        self._emit(
            sender="bot",
            kind="edit",
            chat_id=message.chat_id,
            text=message.plain_text,
            buttons=message.buttons,
            message_id=message.message_id,
        )
        self._signal.notify()

    # ================================================================ deleting

    def _delete_one(self, chat: ChatState, message_id: int) -> bool:
        message = chat.live_bot_message(message_id)
        if message is not None:
            message.deleted = True
            self._emit(
                sender="bot", kind="delete", chat_id=chat.chat_id, text="", message_id=message_id
            )
            self._signal.notify()
            return True
        return chat.user_messages.pop(message_id, None) is not None

    @bot_method("deleteMessage")
    async def _delete_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        if not self._delete_one(chat, params.require_int("message_id")):
            raise bad_request("message to delete not found")
        return True

    @bot_method("deleteMessages")
    async def _delete_messages(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty array of at most 100 items")
        for message_id in ids:
            self._delete_one(chat, int(message_id))
        return True
