"""Telegram handlers: thin translators between updates and the services.

All wiring starts in :func:`register`, which adds each feature's handlers in priority order.
"""

from __future__ import annotations

import warnings

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import (
    approval,
    complaint_rating,
    complaint_reviews,
    complaint_triage,
    complaints,
    decisions,
    escalation,
    groups,
    items,
    new_item,
    notices,
    reports,
    start,
    stats,
    web,
)
from handlers.conversations import BotApplication
from handlers.errors import on_error


def register(application: BotApplication) -> None:
    # Our conversations track one flow per chat (per_message=False) on purpose: their buttons
    # carry what they act on in their callback data, so PTB's per-message advice is moot.
    warnings.filterwarnings("ignore", message="If 'per_message=False'")
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start.start, filters=private))
    groups.register(application)  # the group link, /bind, /unbind, the bot's membership
    application.add_handler(CommandHandler("help", start.help_command, filters=private))
    application.add_handler(CommandHandler("lang", start.lang_command, filters=private))
    application.add_handler(CallbackQueryHandler(start.lang_chosen, pattern=rf"^{start.LANG}:"))
    application.add_handler(
        CallbackQueryHandler(escalation.ladder_action, pattern=escalation.PATTERN)
    )
    application.add_handler(
        CallbackQueryHandler(escalation.question_pressed, pattern=escalation.QUESTION_PATTERN)
    )
    application.add_handler(CallbackQueryHandler(notices.notice_pressed, pattern=notices.PATTERN))
    # first: its conversations claim only their own updates
    complaints.register(application, complaint_rating.steps())
    application.add_handler(
        CallbackQueryHandler(complaint_reviews.review_pressed, pattern=complaint_reviews.PATTERN)
    )
    complaint_triage.register(application)
    new_item.register(application)  # /new
    approval.register(application)  # approval, return and load-control buttons
    items.register(application)  # /items /item /overdue, 签收, 批示
    decisions.register(application)  # the heads' and the office's decisions
    reports.register(application)  # /report, report buttons, replies to prompts

    application.add_handler(CommandHandler("web", web.web_command, filters=private))
    application.add_handler(CommandHandler("stats", stats.stats_command, filters=private))

    # Last resort, added last to the same group: anything no feature claimed.
    application.add_handler(
        MessageHandler(private & ~filters.StatusUpdate.ALL, start.unknown_user_text)
    )
    application.add_handler(CallbackQueryHandler(start.answer_bad_callback))
    application.add_error_handler(on_error)
