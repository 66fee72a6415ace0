"""Joining by invite (/start TOKEN), /help, /lang, and what an unknown user is told."""

from __future__ import annotations

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import TelegramError

from domain import callbacks
from domain.authority import commands_for
from domain.errors import DubanError
from handlers.context import DubanContext
from services import people, work_groups
from services.actors import Actor
from texts import LOCALES, Text
from texts import people as texts

LANG = callbacks.LANG


async def start(update: Update, context: DubanContext) -> None:
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None:
        return
    if chat.type != chat.PRIVATE:
        return
    token = context.args[0] if context.args else None
    actor = await context.actor(update)
    if token is None:
        t = context.text_for(actor)
        if actor is None:
            await message.reply_text(texts.not_joined(t))
        else:
            units = await people.unit_names(context.rt, actor.units)
            await message.reply_text(texts.already_joined(t, actor.name, actor.roles, units))
        return
    try:
        joined = await people.accept_invite(context.rt, token, user.id, chat.id)
    except people.InviteUnknown:
        await refuse_token(update, context, actor, token)
        return
    except DubanError as exc:
        t = context.text_for(actor)
        await message.reply_text(t(exc.key, **exc.params))
        return
    t = context.text_for(joined)
    await set_menu(context, joined)
    units = await people.unit_names(context.rt, joined.units)
    await message.reply_text(texts.welcome(t, joined.name, joined.roles, units))


async def refuse_token(
    update: Update, context: DubanContext, actor: Actor | None, token: str
) -> None:
    """A code that is no invite: a group link used here, or nothing we know."""
    message = update.effective_message
    t = context.text_for(actor)
    try:
        await work_groups.check_link_token(context.rt, token)
        error: DubanError = people.InviteUnknown()
    except DubanError as exc:
        error = exc
    if message is not None:
        await message.reply_text(t(error.key, **error.params))


async def set_menu(context: DubanContext, actor: Actor) -> None:
    """The command menu for this person's roles, in their language, in their chat only."""
    if actor.chat_id is None:
        return
    t = context.text_for(actor)
    commands = [
        BotCommand(command, t.raw(texts.COMMAND_DESCRIPTIONS[command]))
        for command in commands_for(actor.roles)
    ]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(actor.chat_id))
    except TelegramError:
        # The menu is a convenience; joining has succeeded without it.
        return


async def help_command(update: Update, context: DubanContext) -> None:
    sent = await sender(update, context)
    if sent is None:
        return
    message, actor, t = sent
    await message.reply_text(texts.help_text(t, actor.roles if actor else None))


async def lang_command(update: Update, context: DubanContext) -> None:
    sent = await sender(update, context)
    if sent is None:
        return
    message, _, t = sent
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("中文", callback_data=callbacks.make(LANG, "zh_CN")),
                InlineKeyboardButton("English", callback_data=callbacks.make(LANG, "en")),
            ]
        ]
    )
    await message.reply_text(texts.choose_language(t), reply_markup=keyboard)


async def lang_chosen(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    try:
        locale = callbacks.parse(query.data, prefixes=frozenset({LANG})).arg(0)
        if locale not in LOCALES:
            raise callbacks.BadCallback(locale)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    if not await people.set_locale(context.rt, user.id, locale) and context.user_data is not None:
        context.user_data["locale"] = locale  # not joined: kept in memory only
    actor = await context.actor(update)
    if actor is not None:
        await set_menu(context, actor)
    t: Text = context.bot_data.translator.text(locale)
    await query.answer()
    await query.edit_message_text(texts.language_set(t))


async def answer_bad_callback(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    if query is None:
        return
    t = context.text_for(await context.actor(update))
    await query.answer(texts.stale_button(t), show_alert=True)


async def sender(
    update: Update, context: DubanContext
) -> tuple[Message, Actor | None, Text] | None:
    """The message, who sent it (None: someone who has not joined), and the texts in their
    language; None for an update without a message."""
    message = update.effective_message
    if message is None:
        return None
    actor = await context.actor(update)
    return message, actor, context.text_for(actor)


async def unknown_user_text(update: Update, context: DubanContext) -> None:
    """Anything from a person who has not joined, outside the public commands."""
    sent = await sender(update, context)
    if sent is None:
        return
    message, actor, t = sent
    if actor is None:
        await message.reply_text(texts.not_joined(t))
    else:
        await message.reply_text(texts.help_text(t, actor.roles))
