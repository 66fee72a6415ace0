"""The bot putting messages into a chat: sendMessage, sendPhoto, sendDocument, sendMediaGroup,
copyMessage, forwardMessage (and sendChatAction)."""

from __future__ import annotations

from typing import Any, Literal

from ..content import Content, Markup, format_caption, parse_markup, text_content
from ..models import BotMessage, EventKind
from ..params import Params, bad_request
from ..state import ChatState
from .core import BotApiCore, JSONDict, bot_method

__all__ = ["Sending"]


class Sending(BotApiCore):
    """Handlers that record a new bot message, and the recording itself."""

    @bot_method("sendMessage")
    async def _send_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        content = text_content(params)
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        sent = self._record(chat, content, markup=markup, reply_to=reply_to)
        return self.render(self._in_thread(chat, sent, params))

    @bot_method("sendPhoto")
    async def _send_photo(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._files.resolve(
            params, params.files.get("photo") or params.get_str("photo"), "photo"
        )
        content = self._files.photo_content(source)
        self._apply_caption(content, params)
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        sent = self._record(chat, content, markup=markup, reply_to=reply_to)
        return self.render(self._in_thread(chat, sent, params))

    @bot_method("sendDocument")
    async def _send_document(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._files.resolve(
            params, params.files.get("document") or params.get_str("document"), "document"
        )
        caption = format_caption(
            params.get_str("caption"),
            params.get_str("parse_mode"),
            params.get_json("caption_entities"),
        )
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        content = self._files.document_content(source)
        self._apply_caption(content, params, parsed=caption)
        return self.render(self._record(chat, content, markup=markup, reply_to=reply_to))

    def _apply_caption(
        self, content: Content, params: Params, parsed: tuple[str, list[JSONDict]] | None = None
    ) -> None:
        caption = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode")
        if parsed is None:
            parsed = format_caption(caption, parse_mode, params.get_json("caption_entities"))
        content.text = caption
        content.parse_mode = parse_mode
        content.plain, content.entities = parsed

    @bot_method("sendMediaGroup")
    async def _send_media_group(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        media = params.get_json("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the group: must include 2-10 items")
        kinds = {str(item.get("type")) for item in media}
        if not kinds <= {"photo", "document"}:
            raise bad_request(f"unsupported media type in the fake: {sorted(kinds)}")
        if len(kinds) > 1:
            raise bad_request("document can't be mixed with other media types")
        reply_to = self._reply_target(chat, params)
        prepared = [self._album_item(params, item) for item in media]
        group_id = str(13_000_000_000_000_000 + next(self._ids))
        messages = [
            self._record(chat, content, reply_to=reply_to, media_group_id=group_id)
            for content in prepared
        ]
        return [self.render(message) for message in messages]

    def _album_item(self, params: Params, item: JSONDict) -> Content:
        """The content of one ``InputMedia`` of a sendMediaGroup call."""
        kind: Literal["photo", "document"] = "photo" if item.get("type") == "photo" else "document"
        source = self._files.resolve(params, item.get("media"), kind)
        caption = item.get("caption")
        parse_mode = item.get("parse_mode")
        plain, entities = format_caption(
            caption if isinstance(caption, str) else None,
            parse_mode if isinstance(parse_mode, str) else None,
            item.get("caption_entities"),
        )
        content = (
            self._files.photo_content(source)
            if kind == "photo"
            else self._files.document_content(source)
        )
        content.text = caption if isinstance(caption, str) else ""
        content.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        content.plain, content.entities = plain, entities
        return content

    # ================================================================ copies and forwards

    def _source_message(self, params: Params, action: str) -> JSONDict:
        from_chat = self._chats.get(params.chat_id("from_chat_id"))
        if from_chat is None or not from_chat.started:
            raise bad_request("chat not found")
        source = self._render_in_chat(from_chat, params.require_int("message_id"))
        if source is None:
            raise bad_request(f"message to {action} not found")
        return source

    def _content_from_message(self, source: JSONDict) -> Content:
        if "photo" in source:
            stored = self._files[source["photo"][-1]["file_id"]]
            content = self._files.photo_content(stored)
        elif "document" in source:
            content = self._files.document_content(self._files[source["document"]["file_id"]])
        else:
            content = Content()
        content.plain = str(source.get("text", source.get("caption", "")))
        content.text = content.plain
        content.entities = list(source.get("entities") or source.get("caption_entities") or [])
        return content

    @bot_method("copyMessage")
    async def _copy_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._source_message(params, "copy")
        content = self._content_from_message(source)
        if "caption" in params and ("photo" in source or "document" in source):
            self._apply_caption(content, params)
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        message = self._record(chat, content, markup=markup, reply_to=reply_to)
        return {"message_id": message.message_id}

    @bot_method("forwardMessage")
    async def _forward_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._source_message(params, "forward")
        content = self._content_from_message(source)
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        return self.render(self._record(chat, content, forward_origin=origin))

    @bot_method("sendChatAction")
    async def _send_chat_action(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        self.chat_actions.append((chat.chat_id, params.require_str("action")))
        return True

    # ================================================================ recording

    def _reply_target(self, chat: ChatState, params: Params) -> int | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        message_id: int | None = None
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int(reply["message_id"])
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        else:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        if self._render_in_chat(chat, message_id) is not None:
            return message_id
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def _record(
        self,
        chat: ChatState,
        content: Content,
        *,
        markup: Markup | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
        forward_origin: JSONDict | None = None,
    ) -> BotMessage:
        markup = markup or Markup()
        message = BotMessage(
            message_id=chat.take_message_id(),
            chat_id=chat.chat_id,
            text=content.text,
            parse_mode=content.parse_mode,
            plain_text=content.plain,
            sent_at=self._now(),
            buttons=markup.buttons,
            photo=content.photo,
            document=content.document,
            media_group_id=media_group_id,
            reply_to=reply_to,
            reply_keyboard=markup.keyboard,
            forwarded=forward_origin is not None,
            file_id=content.file_id,
            entities=content.entities,
            reply_markup=markup.inline,
            photo_sizes=content.photo_sizes,
            document_info=content.document_info,
            forward_origin=forward_origin,
        )
        chat.bot_messages.append(message)
        chat.by_id[message.message_id] = message
        if markup.keyboard is not None:
            chat.keyboard = markup.keyboard
        elif markup.remove_keyboard:
            chat.keyboard = None
        self.stats.messages_delivered += 1
        kind: EventKind = "message"
        attachment = None
        if content.photo_sizes is not None:
            kind, attachment = "photo", "photo"
        elif content.document is not None:
            kind, attachment = "document", f"document {content.document[1]}"
        self._emit(
            sender="bot",
            kind=kind,
            chat_id=chat.chat_id,
            text=content.plain,
            buttons=markup.buttons,
            attachment=attachment,
            message_id=message.message_id,
        )
        self._signal.notify()
        return message
