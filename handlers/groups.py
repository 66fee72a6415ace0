"""Work groups in chat: the group link (``/start TOKEN`` in a group), /bind and /unbind, the
links an office member or unit head asks for privately, and the bot's own membership
(added by a stranger: it leaves; removed: the binding is broken; a group upgraded to a
supergroup: the binding follows its new id)."""

from __future__ import annotations

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ChatMemberHandler, CommandHandler, MessageHandler, filters

from domain.errors import DubanError
from handlers.context import DubanContext
from handlers.conversations import BotApplication
from services import work_groups
from texts import groups as texts

GROUPS = filters.ChatType.GROUPS
PRESENT = frozenset({ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR})


def _facts(chat: Chat) -> work_groups.GroupChat:
    return work_groups.GroupChat(chat.id, chat.title or "", bool(chat.is_forum))


async def _answer(update: Update, context: DubanContext, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


async def start_in_group(update: Update, context: DubanContext) -> None:
    """``/start TOKEN`` in a group: what Telegram sends after ``?startgroup=TOKEN``."""
    user, chat = update.effective_user, update.effective_chat
    t = context.text_for(await context.actor(update))
    if user is None or chat is None or not context.args:
        return
    try:
        bound = await work_groups.bind_by_link(context.rt, context.args[0], user.id, _facts(chat))
    except DubanError as exc:
        await _answer(update, context, t(exc.key, **exc.params))
        return
    group_t = context.rt.text(None)
    await _answer(update, context, texts.bound(group_t, bound.kind, bound.unit_name))


async def bind_command(update: Update, context: DubanContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    actor = await context.actor(update)
    t = context.text_for(actor)
    if chat.type == Chat.PRIVATE:
        await _send_links(update, context)
        return
    word = context.args[0] if context.args else None
    try:
        bound = await work_groups.bind(context.rt, user.id, _facts(chat), word)
    except work_groups.UnknownTarget as exc:
        text = texts.bind_usage(t) if word is None else t(exc.key, **exc.params)
        await _answer(update, context, text)
        return
    except DubanError as exc:
        await _answer(update, context, t(exc.key, **exc.params))
        return
    await _answer(update, context, texts.bound(context.rt.text(None), bound.kind, bound.unit_name))


async def _send_links(update: Update, context: DubanContext) -> None:
    """/bind in a private chat: a one-time group link for each thing the sender may bind."""
    actor = await context.actor(update)
    t = context.text_for(actor)
    if actor is None or not (actor.is_office or actor.head_of):
        await _answer(update, context, t(work_groups.NotAllowedToBind.key))
        return
    issued = await work_groups.issue_links(context.rt, actor, context.bot.username)
    rows = [
        [InlineKeyboardButton(texts.link_label(t, i.target.kind, i.unit_name), url=i.link)]
        for i in issued
    ]
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            texts.links_intro(t, context.rt.policy.groups.link_hours),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def unbind_command(update: Update, context: DubanContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    t = context.text_for(await context.actor(update))
    try:
        dropped = await work_groups.unbind(context.rt, user.id, chat.id)
    except DubanError as exc:
        await _answer(update, context, t(exc.key, **exc.params))
        return
    await _answer(
        update, context, texts.unbound(context.rt.text(None), dropped.kind, dropped.unit_name)
    )


async def membership_changed(update: Update, context: DubanContext) -> None:
    """The bot added to a group (by someone who may bind: a greeting; by a stranger: it says
    whom it serves and leaves) or removed from one (the binding is broken)."""
    changed = update.my_chat_member
    if changed is None or changed.chat.type == Chat.PRIVATE:
        return
    chat = changed.chat
    was = changed.old_chat_member.status in PRESENT
    now = changed.new_chat_member.status in PRESENT
    t = context.rt.text(None)
    if now and not was:
        if await work_groups.may_add_bot(context.rt, changed.from_user.id):
            if await work_groups.group_of_chat(context.rt, chat.id) is None:
                await context.bot.send_message(chat.id, texts.hello_binder(t))
            return
        try:
            await context.bot.send_message(chat.id, texts.leaving(t))
            await context.bot.leave_chat(chat.id)
        except TelegramError:
            return  # already gone: nothing to undo
    elif was and not now:
        await work_groups.mark_broken(context.rt, chat.id)


async def migrated(update: Update, context: DubanContext) -> None:
    """A group upgraded to a supergroup: its binding follows the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    await work_groups.migrate(context.rt, message.chat.id, message.migrate_to_chat_id)


def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def stamped(update: Update, context: DubanContext, text: str, name: str, action: str) -> str:
    """A group message after someone acted on it: its text and "已由李四签收 12:05", so two
    colleagues never both act; in a private chat the text alone."""
    if not in_group(update):
        return text
    rt = context.rt
    return f"{text}\n\n{texts.done_by(rt.text(None), name, action, rt.clock.now(), rt.tz)}"


def register(application: BotApplication) -> None:
    """Wire the group link, /bind, /unbind and the bot's membership into the application."""
    application.add_handler(CommandHandler("start", start_in_group, filters=GROUPS))
    application.add_handler(CommandHandler("bind", bind_command))
    application.add_handler(CommandHandler("unbind", unbind_command, filters=GROUPS))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
