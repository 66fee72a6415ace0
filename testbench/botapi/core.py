"""The state of the fake Bot API server, its route table, and the chat and message helpers that
every method family uses (access rules, rendering a message, the transcript, queuing updates)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from ..faults import FaultPlan
from ..loopback import LoopbackServer
from ..models import (
    ApiCall,
    BotMessage,
    Button,
    EventKind,
    Stats,
    TranscriptEntry,
    format_entry,
)
from ..params import ApiError, Params, bad_request
from ..state import ChatState, PendingQuery, Signal, WebhookTarget
from ..users import FakeUser
from .filestore import FileStore

__all__ = ["BotApiCore", "Handler", "JSONDict", "bot_method", "timestamp"]

logger = logging.getLogger("testbench.botapi")

JSONDict = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]
HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[Any]])

BLOCKED = "Forbidden: bot was blocked by the user"
KICKED = "Forbidden: bot was kicked from the group chat"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"

# Update types delivered when allowed_updates is not specified (Telegram's default).
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

_ROUTES_ATTRIBUTE = "__bot_api_methods__"


def bot_method(*names: str) -> Callable[[HandlerT], HandlerT]:
    """Make the decorated coroutine method the handler of the Bot API methods ``names``."""

    def register(handler: HandlerT) -> HandlerT:
        setattr(handler, _ROUTES_ATTRIBUTE, names)
        return handler

    return register


def _utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> int:
    """Unix time as the Bot API gives it (naive datetimes are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class BotApiCore(LoopbackServer):
    """What all method families share: the server's state and the chats' helpers.

    The families (mixins in the sibling modules) mark their handlers with :func:`bot_method`;
    ``_methods`` maps each Bot API method to its handler.
    """

    _name = "FakeTelegram"

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "duban_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        now: Callable[[], datetime] | None = None,
        bot_name: str = "Duban",
        on_event: Callable[[TranscriptEntry], None] | None = None,
        webhook_retries: int = 3,
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        self.bot_username = bot_username
        self.bot_name = bot_name
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        self.on_event = on_event
        """Called with every new transcript entry (exceptions are logged and ignored)."""
        self.webhook_retries = webhook_retries
        self.stats = Stats()
        self.calls: list[ApiCall] = []
        """Every Bot API call received, in order."""
        self.unknown_methods: list[str] = []
        """Methods the bot called that the fake does not implement (answered 404)."""
        self.transcript: list[TranscriptEntry] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.bot_settings: dict[str, JSONDict] = {}
        """Last parameters of setMyName/setMyDescription/setMyShortDescription/..."""
        self.webhook_errors: list[str] = []
        self._now = now or _utc_now
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._ids = itertools.count(1)
        self._files = FileStore(self._ids)
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._queries: dict[str, PendingQuery] = {}
        self._pending: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0
        self._webhook: WebhookTarget | None = None
        self._webhook_last_error: tuple[int, str] | None = None
        self._faults = FaultPlan()
        self._signal = Signal()
        self._closing = False
        self._worker: asyncio.Task[None] | None = None
        self._methods = self._route_table()

    def _route_table(self) -> dict[str, tuple[str, Handler]]:
        """Bot API method in lower case -> (its proper name, bound handler)."""
        table: dict[str, tuple[str, Handler]] = {}
        for klass in type(self).__mro__:
            for attribute, value in vars(klass).items():
                for name in getattr(value, _ROUTES_ATTRIBUTE, ()):
                    table.setdefault(name.lower(), (name, getattr(self, attribute)))
        return table

    # ================================================================ chats

    def _chat(self, chat_id: int) -> ChatState:
        return self._chats[chat_id]

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _chat_for_bot(self, chat_id: int) -> ChatState:
        """The chat the bot addresses, enforcing Telegram's access rules."""
        chat = self._chats.get(chat_id)
        if chat is not None and chat.is_group:
            if chat.migrated_to is not None:
                raise ApiError(400, UPGRADED, migrate_to_chat_id=chat.migrated_to)
            if not chat.bot_present:
                raise ApiError(403, KICKED)
            return chat
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        if self._users[chat_id].blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _chat_dict(self, chat_id: int) -> JSONDict:
        """The Bot API ``Chat`` object of a private chat or a group."""
        chat = self._chats[chat_id]
        return chat.chat_dict() if chat.is_group else self._users[chat_id].chat_dict()

    def _in_thread(self, chat: ChatState, message: BotMessage, params: Params) -> BotMessage:
        """Put a message just sent into the forum topic ``message_thread_id`` names."""
        thread = params.get_int("message_thread_id")
        if thread is not None:
            if not chat.forum or thread not in chat.topics:
                raise bad_request("message thread not found")
            message.thread_id = thread
        return message

    def _chat_name(self, chat_id: int) -> str:
        chat = self._chats.get(chat_id)
        if chat is not None and chat.is_group:
            return f"group {chat.title}"
        return self._users[chat_id].display_name

    # ================================================================ rendering

    def render(self, message: BotMessage, *, with_reply: bool = True) -> JSONDict:
        """The Bot API ``Message`` object of a bot message as currently shown."""
        data: JSONDict = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": self._chat_dict(message.chat_id),
            "date": timestamp(message.sent_at),
        }
        if message.edited_at is not None:
            data["edit_date"] = timestamp(message.edited_at)
        if message.forward_origin is not None:
            data["forward_origin"] = message.forward_origin
        if message.photo_sizes is not None or message.document_info is not None:
            if message.photo_sizes is not None:
                data["photo"] = message.photo_sizes
            else:
                data["document"] = message.document_info
            if message.plain_text:
                data["caption"] = message.plain_text
                if message.entities:
                    data["caption_entities"] = message.entities
        else:
            data["text"] = message.plain_text
            if message.entities:
                data["entities"] = message.entities
        if message.media_group_id is not None:
            data["media_group_id"] = message.media_group_id
        if message.thread_id is not None:
            data["message_thread_id"] = message.thread_id
            data["is_topic_message"] = True
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        if with_reply and message.reply_to is not None:
            replied = self._render_in_chat(self._chat(message.chat_id), message.reply_to)
            if replied is not None:
                data["reply_to_message"] = replied
        return data

    def _render_in_chat(self, chat: ChatState, message_id: int) -> JSONDict | None:
        bot_message = chat.live_bot_message(message_id)
        if bot_message is not None:
            return self.render(bot_message, with_reply=False)
        user_message = chat.user_messages.get(message_id)
        if user_message is None:
            return None
        return {k: v for k, v in user_message.items() if k != "reply_to_message"}

    # ================================================================ transcript and updates

    def _emit(
        self,
        *,
        sender: Literal["user", "bot"],
        kind: EventKind,
        chat_id: int,
        text: str,
        buttons: list[list[Button]] | None = None,
        attachment: str | None = None,
        message_id: int | None = None,
    ) -> None:
        entry = TranscriptEntry(
            at=self._now(),
            sender=sender,
            kind=kind,
            user=self._chat_name(chat_id),
            chat_id=chat_id,
            text=text,
            buttons=tuple(tuple(b.text for b in row) for row in buttons or []),
            attachment=attachment,
            message_id=message_id,
        )
        self.transcript.append(entry)
        if self.on_event is not None:
            try:
                self.on_event(entry)
            except Exception:
                logger.exception("on_event callback failed")

    def format_transcript(self) -> str:
        return "\n".join(format_entry(entry) for entry in self.transcript)

    def _push_update(self, kind: str, payload: JSONDict) -> None:
        if kind not in self._allowed_updates:
            return
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self._signal.notify()
