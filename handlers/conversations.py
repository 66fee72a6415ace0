"""Conversations kept in the database between updates, wired one way: /new, an approver's
reason for returning a draft, and the office's complaint triage.

Their step and ``user_data[name]`` live in ``chat_conversations`` between updates (see
:func:`handlers.context.keep_in_database`), so any instance may take the next update.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, ConversationHandler

from handlers.context import BotState, DubanContext, keep_in_database

BotApplication = Application[Any, DubanContext, Any, Any, BotState, Any]
Handlers = list[BaseHandler[Update, DubanContext, Any]]
END = ConversationHandler.END


def add_kept_conversation(
    application: BotApplication,
    name: str,
    *,
    entry_points: Handlers,
    states: dict[object, Handlers],
    fallbacks: Handlers,
    max_age: timedelta,
) -> None:
    """Add a conversation, entered again by its entry points at any step, whose step and
    ``user_data[name]`` are kept in the database and dropped when untouched for ``max_age``."""
    conversation: ConversationHandler[DubanContext] = ConversationHandler(
        entry_points, states, fallbacks, allow_reentry=True, name=name
    )
    application.add_handler(conversation)
    keep_in_database(application, conversation, data_key=name, max_age=max_age)
