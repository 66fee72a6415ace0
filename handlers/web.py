"""/web: a one-time sign-in link to the web console, for the office and the leaders."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Message, Update

from domain.errors import DubanError
from handlers.context import DubanContext
from handlers.start import sender
from services import web_auth
from services.actors import Actor
from texts import Text
from texts import console as texts


async def console_member(
    update: Update, context: DubanContext
) -> tuple[Message, Actor, Text] | None:
    """The message (/web, /stats) and the member who sent it; None after telling someone who
    has not joined that the console is for members."""
    sent = await sender(update, context)
    if sent is None:
        return None
    message, actor, t = sent
    if actor is None:
        await message.reply_text(t(texts.WEB_NOT_JOINED))
        return None
    return message, actor, t


async def web_command(update: Update, context: DubanContext) -> None:
    asked = await console_member(update, context)
    if asked is None:
        return
    message, actor, t = asked
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
