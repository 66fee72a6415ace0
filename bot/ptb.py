"""The python-telegram-bot Application, built for this deployment.

The bot talks to whatever Bot API server the settings name, through a rate limiter that paces
each chat as the outbox does (:mod:`bot.reply_pacing`), retries server errors and timeouts, and
counts what it sends for ``/metrics``.
"""

from __future__ import annotations

import time
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)

from bot.metrics import Metrics
from bot.outbox.pacing import Pacer
from bot.reply_pacing import PacedLimiter
from handlers.context import BotState, DubanContext, PerChatUpdateProcessor

ATTENDED_SECONDS = 3.0  # after a person's update, the outbox leaves their chat to the answers


class DubanApplication(Application[Any, DubanContext, Any, Any, BotState, Any]):
    """Times every update for the latency histogram, and keeps the outbox's notices out of a
    chat while a person acts there (their answers first; the notices follow when they pause)."""

    pacer: Pacer | None = None

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        chat = update.effective_chat if isinstance(update, Update) else None
        self._attend(chat.id if chat is not None else None)
        try:
            await super().process_update(update)
        finally:
            self._attend(chat.id if chat is not None else None)
            metrics = self.bot_data.metrics_or_none
            if metrics is not None:
                metrics.update_handled(update_kind(update), time.perf_counter() - started)

    def _attend(self, chat_id: int | None) -> None:
        if self.pacer is not None and chat_id is not None:
            self.pacer.attend(chat_id, time.monotonic() + ATTENDED_SECONDS)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback_query"
    message = update.effective_message
    if message is None:
        return "other"
    if message.photo:
        return "photo"
    if message.document is not None:
        return "document"
    if message.text and message.text.startswith("/"):
        return "command"
    return "message"


def build_application(
    *, token: str, api_url: str, metrics: Metrics, state: BotState, pacer: Pacer
) -> DubanApplication:
    """The application; its sends share ``pacer`` with the outbox deliverer (one chat, one
    budget)."""
    limiter = PacedLimiter(
        metrics,
        pacer,
        state.runtime,
        group_per_minute=state.runtime.policy.delivery.group_per_minute,
    )
    context_types = ContextTypes(context=DubanContext, bot_data=BotState)
    application = (
        ApplicationBuilder()
        .application_class(DubanApplication)
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .context_types(context_types)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(limiter)
        .concurrent_updates(PerChatUpdateProcessor())
        .job_queue(None)
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(30)
        .media_write_timeout(60)
        .get_updates_read_timeout(40)
        .build()
    )
    assert isinstance(application, DubanApplication)
    application.pacer = pacer
    application.bot_data.adopt(state)
    return application
