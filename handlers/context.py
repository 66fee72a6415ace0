"""The typed context every handler gets: the services, the texts, the person acting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor, CallbackContext, ExtBot

from bot.metrics import Metrics
from services.actors import Actor
from services.people import whoami
from services.runtime import Runtime
from texts import Text, Translator, normalize_locale


class BotState:
    """The application's shared state (PTB's ``bot_data``), filled in once at start-up."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None
        self._translator: Translator | None = None
        self._metrics: Metrics | None = None

    def configure(self, runtime: Runtime, translator: Translator, metrics: Metrics) -> None:
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
    def metrics_or_none(self) -> Metrics | None:
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


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; one chat's updates run in order."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

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
                await coroutine
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] == 0:
                del self._waiting[chat_id]
                del self._locks[chat_id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
