"""/web: a one-time sign-in link to the web console, for the office and the leaders."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update

from domain.errors import DubanError
from handlers.context import DubanContext
from services import web_auth
from texts import console as texts


async def web_command(update: Update, context: DubanContext) -> None:
    message = update.effective_message
    if message is None:
        return
    actor = await context.actor(update)
    t = context.text_for(actor)
    if actor is None:
        await message.reply_text(t(texts.WEB_NOT_JOINED))
        return
    try:
        token = await web_auth.issue_sign_in(context.rt, actor)
    except DubanError as exc:
        await message.reply_text(t(exc.key, **exc.params))
        return
    base = await web_auth.console_url(context.rt) or "http://127.0.0.1:8080"
    await message.reply_text(
        t(
            texts.WEB_LINK,
            link=web_auth.sign_in_link(base, token),
            minutes=web_auth.SIGN_IN_MINUTES,
        ),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
