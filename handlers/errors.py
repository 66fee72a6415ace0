"""The global error handler: log with context, tell the user briefly, change nothing more."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.context import DubanContext
from texts import people as texts

log = logging.getLogger("duban.handlers")


async def on_error(update: object, context: DubanContext) -> None:
    # No user ids or names in the log: the sender may be an anonymous complainant.
    fields: dict[str, object] = {"error": type(context.error).__name__}
    if isinstance(update, Update):
        fields["update_id"] = update.update_id
        fields["chat_type"] = update.effective_chat.type if update.effective_chat else None
        fields["kind"] = "callback" if update.callback_query else "message"
    log.error("handler_failed", extra=fields, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    t = context.bot_data.translator.text(context.user_data_locale or context.rt.default_locale)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.something_went_wrong(t), show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, texts.something_went_wrong(t))
    except TelegramError:
        log.warning("error_reply_failed", extra={"update_id": fields.get("update_id")})
