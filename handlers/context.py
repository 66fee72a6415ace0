"""The typed context every handler gets: the services, the texts, the person acting."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from telegram import Chat, Update
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext, ExtBot
from telegram.ext import ConversationHandler as PTBConversationHandler

from services.actors import Actor
from services.complaint_drafts import load_sealed, save_sealed
from services.conversations import (
    NONE,
    Conversation,
    is_stale,
    load_conversations,
    save_conversations,
)
from services.people import whoami
from services.runtime import Runtime
from texts import Text, Translator, normalize_locale


class UpdateMetrics(Protocol):
    """What the process counts about each update it handles (``bot.metrics.Metrics`` is one)."""

    def update_handled(self, kind: str, seconds: float) -> None: ...


class BotState:
    """The application's shared state (PTB's ``bot_data``), filled in once at start-up."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None
        self._translator: Translator | None = None
        self._metrics: UpdateMetrics | None = None

    def configure(self, runtime: Runtime, translator: Translator, metrics: UpdateMetrics) -> None:
        self._runtime, self._translator, self._metrics = runtime, translator, metrics

    def adopt(self, other: BotState) -> None:
        if other._runtime is None or other._translator is None or other._metrics is None:
            raise RuntimeError("BotState adopted before it was configured")
        self.configure(other._runtime, other._translator, other._metrics)

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("BotState is not configured")
        return self._runtime

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            raise RuntimeError("BotState is not configured")
        return self._translator

    @property
    def metrics_or_none(self) -> UpdateMetrics | None:
        return self._metrics


class DubanContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotState]):
    @property
    def rt(self) -> Runtime:
        return self.bot_data.runtime

    def text_for(self, actor: Actor | None) -> Text:
        """Texts in the actor's language, else the user's chosen one, else the deployment's."""
        locale = (actor.locale if actor else None) or self.user_data_locale
        return self.bot_data.translator.text(locale or self.rt.default_locale)

    @property
    def user_data_locale(self) -> str | None:
        if self.user_data is None:
            return None
        value = self.user_data.get("locale")
        return normalize_locale(value) if isinstance(value, str) else None

    async def actor(self, update: Update) -> Actor | None:
        user = update.effective_user
        if user is None:
            return None
        return await whoami(self.rt, user.id)


log = logging.getLogger(__name__)

ConversationKey = tuple[int, int]


@dataclass(frozen=True)
class KeptConversation:
    """A conversation whose step and draft (``user_data[data_key]``, a JSON dict) are kept in
    the database between updates, so that any instance may take its next update.

    A ``sealed`` one (the complaint) is kept under a keyed hash of the chat, encrypted, in
    private chats only (:mod:`services.complaint_drafts`); when its row expired or cannot be
    read, the update finds it at ``gone_state``, whose handlers tell the person to start again.
    """

    handler: PTBConversationHandler[Any]
    data_key: str
    max_age: timedelta
    sealed: bool = False
    gone_state: int | None = None


def keep_in_database(
    application: Application[Any, DubanContext, Any, Any, BotState, Any],
    handler: PTBConversationHandler[Any],
    *,
    data_key: str,
    max_age: timedelta,
    sealed: bool = False,
    gone_state: int | None = None,
) -> None:
    """Keep this (named, per chat and user) conversation's state in the database."""
    processor = application.update_processor
    if not isinstance(processor, PerChatUpdateProcessor):
        raise RuntimeError("conversations kept in the database need the PerChatUpdateProcessor")
    processor.keep(application, KeptConversation(handler, data_key, max_age, sealed, gone_state))


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; one chat's updates run in order.

    Around each update it also restores the kept conversations (:func:`keep_in_database`) of
    the person in that chat from the database, and writes back what changed: PTB holds
    conversation states in memory and its persistence loads them only at start-up, which does
    not suit several instances. Between updates nothing of these conversations stays in memory.
    The cost is one indexed read per update of a private chat or button press, and one write
    when a conversation moved. The lock below orders one chat's updates within one instance;
    across instances the later write wins (one person types into one chat at a time).
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._application: Application[Any, DubanContext, Any, Any, BotState, Any] | None = None
        self._kept: dict[str, KeptConversation] = {}

    def keep(
        self,
        application: Application[Any, DubanContext, Any, Any, BotState, Any],
        kept: KeptConversation,
    ) -> None:
        handler = kept.handler
        if not handler.name or not (handler.per_chat and handler.per_user) or handler.per_message:
            raise ValueError("a kept conversation is named and tracked per chat and user")
        self._application = application
        self._kept[handler.name] = kept

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = None
        if isinstance(update, Update) and update.effective_chat is not None:
            chat_id = update.effective_chat.id
        if chat_id is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:
                await self._with_conversations(update, coroutine)
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] == 0:
                del self._waiting[chat_id]
                del self._locks[chat_id]

    def _key(self, update: object) -> ConversationKey | None:
        """The kept conversations' key for this update, if it may step one of them: a private
        chat's update, a button pressed anywhere (the entry points are buttons), or a reply in
        a work group (where the bot sees only replies to it)."""
        if not self._kept or not isinstance(update, Update):
            return None
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return None
        message = update.effective_message
        replied = message is not None and message.reply_to_message is not None
        if chat.type != Chat.PRIVATE and update.callback_query is None and not replied:
            return None
        return chat.id, user.id

    async def _with_conversations(self, update: object, coroutine: Awaitable[Any]) -> None:
        application = self._application
        key = self._key(update)
        if application is None or key is None:
            await coroutine
            return
        rt = application.bot_data.runtime
        chat = update.effective_chat if isinstance(update, Update) else None
        private = chat is not None and chat.type == Chat.PRIVATE
        kept_here = {n: k for n, k in self._kept.items() if private or not k.sealed}
        try:
            before = await self._load(rt, key, kept_here)
        except BaseException:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # the update is not handled (the error handler hears why)
            raise
        for name, kept in kept_here.items():
            self._restore(application, kept, key, before[name])
        try:
            await coroutine
        finally:
            plain: dict[str, Conversation] = {}
            for name, kept in kept_here.items():
                now, then = self._take(application, kept, key), before[name]
                if (now.state, now.data) == (then.state, then.data) and not then.gone:
                    continue
                if kept.sealed:
                    await save_sealed(rt, name, key[0], now, kept.max_age)
                else:
                    plain[name] = now
            await save_conversations(rt, key[0], key[1], plain)

    async def _load(
        self, rt: Runtime, key: ConversationKey, kept: dict[str, KeptConversation]
    ) -> dict[str, Conversation]:
        """Where each of these conversations stood before the update (a stale one: gone)."""
        chat_id, user_id = key
        plain = any(not k.sealed for k in kept.values())
        stored = await load_conversations(rt, chat_id, user_id) if plain else {}
        found: dict[str, Conversation] = {}
        for name, conversation in kept.items():
            if conversation.sealed:
                found[name] = await load_sealed(rt, name, chat_id)
            else:
                found[name] = stored.get(name, NONE)
        return found

    @staticmethod
    def _restore(
        application: Application[Any, DubanContext, Any, Any, BotState, Any],
        kept: KeptConversation,
        key: ConversationKey,
        found: Conversation,
    ) -> None:
        """Put a conversation where PTB looks for it (its step, ``user_data[data_key]``)."""
        rt = application.bot_data.runtime
        live = NONE if is_stale(rt, found, kept.max_age) else found
        conversations = kept.handler._conversations  # PTB keeps no public setter
        state = kept.gone_state if found.gone else live.state
        if state is None:
            conversations.pop(key, None)
        else:
            conversations[key] = state
        user_data = application.user_data.get(key[1])
        if live.data:
            application.user_data[key[1]][kept.data_key] = copy.deepcopy(live.data)
        elif user_data is not None:
            user_data.pop(kept.data_key, None)

    @staticmethod
    def _take(
        application: Application[Any, DubanContext, Any, Any, BotState, Any],
        kept: KeptConversation,
        key: ConversationKey,
    ) -> Conversation:
        """Where the conversation stands after the update, removed from PTB's memory."""
        state = kept.handler._conversations.pop(key, None)
        if state is not None and not isinstance(state, int):
            log.error("conversation_state_not_kept", extra={"conversation": kept.handler.name})
            state = None
        user_data = application.user_data.get(key[1])
        data = user_data.pop(kept.data_key, None) if user_data is not None else None
        return Conversation(state, data if isinstance(data, dict) and data else {})

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
