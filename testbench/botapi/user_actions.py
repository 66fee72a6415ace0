"""What the simulated users do: join, write text, send photos, albums and documents, press
buttons, block and unblock the bot. Each action becomes an update for the bot."""

from __future__ import annotations

import re

from ..content import image_size
from ..models import BotMessage, EventKind
from ..state import ChatState, PendingQuery
from ..tghtml import utf16_len
from ..users import FakeUser, MessageRef
from .core import BotApiCore, JSONDict, timestamp

__all__ = ["UserActions"]

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_DEFAULT_PHOTO_SIZE = (1280, 960)


class UserActions(BotApiCore):
    """The server side of :class:`FakeUser`: its methods call these."""

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
        display_name: str | None = None,
    ) -> FakeUser:
        """Get or create a user; the private chat id equals ``user_id``."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(
            self,
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
            display_name=display_name,
        )
        self._users[user_id] = user
        self._chats[user_id] = ChatState(chat_id=user_id)
        return user

    @property
    def users(self) -> list[FakeUser]:
        return list(self._users.values())

    # ================================================================ messages

    def _user_can_act(self, user: FakeUser) -> ChatState:
        if user.blocked:
            raise AssertionError(
                f"{user.display_name} has blocked the bot; call unblock() before acting"
            )
        chat = self._chat(user.id)
        chat.started = True
        return chat

    def _reply_ref(self, chat: ChatState, reply_to: MessageRef | None) -> JSONDict | None:
        if reply_to is None:
            return None
        message_id = reply_to.message_id if isinstance(reply_to, BotMessage) else reply_to
        rendered = self._render_in_chat(chat, message_id)
        if rendered is None:
            raise AssertionError(f"cannot reply to message #{message_id}: not in the chat")
        return rendered

    def _user_message(
        self,
        user: FakeUser,
        content: JSONDict,
        *,
        reply_to: MessageRef | None,
        media_group_id: str | None = None,
        group: ChatState | None = None,
    ) -> int:
        chat = self._user_can_act(user) if group is None else self._in_group(user, group)
        replied = self._reply_ref(chat, reply_to)
        message_id = chat.take_message_id()
        message: JSONDict = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": self._chat_dict(chat.chat_id),
            "date": timestamp(self._now()),
        }
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if replied is not None:
            message["reply_to_message"] = replied
        message.update(content)
        chat.user_messages[message_id] = message
        if group is None or self._bot_sees(group, message):
            self._push_update("message", message)
        return message_id

    def _in_group(self, user: FakeUser, group: ChatState) -> ChatState:
        if user.id not in group.members:
            raise AssertionError(f"{user.display_name} is not a member of {group.title}")
        return group

    def _bot_sees(self, group: ChatState, message: JSONDict) -> bool:
        """Privacy mode: in a group the bot gets commands and replies to its own messages."""
        if not group.bot_present:
            return False
        if str(message.get("text", "")).startswith("/"):
            return True
        replied = message.get("reply_to_message")
        return isinstance(replied, dict) and replied.get("from", {}).get("id") == self.bot_id

    def _user_text(
        self,
        user: FakeUser,
        text: str,
        *,
        reply_to: MessageRef | None,
        group: ChatState | None = None,
    ) -> int:
        if not text:
            raise ValueError("Telegram users cannot send empty messages")
        content: JSONDict = {"text": text}
        command = _COMMAND_RE.match(text)
        if command is not None:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        message_id = self._user_message(user, content, reply_to=reply_to, group=group)
        chat_id = user.id if group is None else group.chat_id
        self._emit(sender="user", kind="message", chat_id=chat_id, text=text, message_id=message_id)
        return message_id

    def _user_photo_content(self, data: bytes, caption: str | None) -> JSONDict:
        size = image_size(data) or _DEFAULT_PHOTO_SIZE
        content: JSONDict = {"photo": self._files.photo_sizes(data, size)}
        if caption:
            content["caption"] = caption
        return content

    def _user_photo(
        self, user: FakeUser, data: bytes, *, caption: str | None, reply_to: MessageRef | None
    ) -> int:
        content = self._user_photo_content(data, caption)
        return self._user_attachment(
            user, content, "photo", caption=caption, attachment="photo", reply_to=reply_to
        )

    def _user_album(
        self,
        user: FakeUser,
        photos: list[bytes],
        *,
        caption: str | None,
        reply_to: MessageRef | None,
        group: ChatState | None = None,
    ) -> list[int]:
        if not 2 <= len(photos) <= 10:
            raise ValueError("an album holds 2-10 photos")
        group_id = str(13_000_000_000_000_000 + next(self._ids))
        ids = [
            self._user_message(
                user,
                self._user_photo_content(data, caption if index == 0 else None),
                reply_to=reply_to,
                media_group_id=group_id,
                group=group,
            )
            for index, data in enumerate(photos)
        ]
        self._emit(
            sender="user",
            kind="album",
            chat_id=user.id if group is None else group.chat_id,
            text=caption or "",
            attachment=f"album of {len(photos)} photos",
            message_id=ids[0],
        )
        return ids

    def _user_document(
        self,
        user: FakeUser,
        data: bytes,
        *,
        filename: str,
        mime_type: str,
        caption: str | None,
        reply_to: MessageRef | None,
    ) -> int:
        stored = self._files.store(data, "document", file_name=filename, mime_type=mime_type)
        content: JSONDict = {"document": self._files.document_info(stored)}
        if caption:
            content["caption"] = caption
        return self._user_attachment(
            user,
            content,
            "document",
            caption=caption,
            attachment=f"document {filename}",
            reply_to=reply_to,
        )

    def _user_attachment(
        self,
        user: FakeUser,
        content: JSONDict,
        kind: EventKind,
        *,
        caption: str | None,
        attachment: str,
        reply_to: MessageRef | None,
    ) -> int:
        """Send a user's photo or document message and note it in the transcript."""
        message_id = self._user_message(user, content, reply_to=reply_to)
        self._emit(
            sender="user",
            kind=kind,
            chat_id=user.id,
            text=caption or "",
            attachment=attachment,
            message_id=message_id,
        )
        return message_id

    # ================================================================ buttons and blocking

    def _visible_message(
        self, user: FakeUser, message_id: int, group: ChatState | None = None
    ) -> BotMessage:
        chat = self._chat(user.id) if group is None else self._in_group(user, group)
        message = chat.by_id.get(message_id)
        if message is None:
            raise AssertionError(
                f"no bot message #{message_id} in the chat with {user.display_name}; "
                f"the chat received:\n{user.history()}"
            )
        if message.deleted:
            raise AssertionError(f"bot message #{message_id} was deleted; cannot press it")
        return message

    def _user_callback(self, user: FakeUser, message: BotMessage, data: str, *, label: str) -> str:
        if message.chat_id == user.id:
            self._user_can_act(user)
        query_id = str(4_000_000_000_000_000_000 + next(self._ids))
        self._queries[query_id] = PendingQuery(user_id=user.id, message_id=message.message_id)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self.render(message),
            "chat_instance": str(-7_000_000_000_000_000_000 - abs(message.chat_id)),
            "data": data,
        }
        user._observe(message)
        self._push_update("callback_query", query)
        self._emit(
            sender="user",
            kind="press",
            chat_id=message.chat_id,
            text=label,
            message_id=message.message_id,
        )
        return query_id

    def _set_blocked(self, user: FakeUser, *, blocked: bool) -> None:
        if user.blocked == blocked:
            return
        user.blocked = blocked
        member: JSONDict = {"status": "member", "user": self._bot_user()}
        kicked: JSONDict = {"status": "kicked", "user": self._bot_user(), "until_date": 0}
        self._push_update(
            "my_chat_member",
            {
                "chat": user.chat_dict(),
                "from": user.to_dict(),
                "date": timestamp(self._now()),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )
        self._emit(sender="user", kind="block" if blocked else "unblock", chat_id=user.id, text="")
