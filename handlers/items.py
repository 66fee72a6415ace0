"""Items in chat once dispatched: /items, /overdue, /item, the receipt button (签收), details,
leaders' instructions (批示) and the office's and heads' decision buttons.

Handlers only translate: they parse the update, call one service, and render the answer.
Typed answers (reasons, dates, instructions) come back as replies to a prompt; see
:mod:`handlers.prompts`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain import callbacks
from domain.buttons import Button
from domain.errors import DubanError
from domain.views import ItemView
from handlers.context import DubanContext
from handlers.conversations import BotApplication
from handlers.groups import in_group, stamped
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback, unknown_user_text
from services import execution
from services.actors import Actor
from texts import Text
from texts import archive as archive_texts
from texts import execution as texts
from texts import groups as group_texts
from texts import items as item_texts

PAGES = frozenset({"items", "overdue"})
T = TypeVar("T")
U = TypeVar("U")


def markup(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows]
    )


def button(t: Text, label: str, prefix: str, *args: object) -> Button:
    return Button(t.raw(label), callbacks.make(prefix, *args))


async def refuse(update: Update, context: DubanContext, t: Text, exc: DubanError) -> None:
    """Tell the person why nothing happened (an alert for a button, a reply for a message)."""
    text = t(exc.key, **exc.params)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def joined(update: Update, context: DubanContext) -> Actor | None:
    """The person acting, or None after telling a stranger how to join."""
    actor = await context.actor(update)
    if actor is None:
        if update.callback_query is not None and in_group(update):
            t = context.text_for(None)
            await update.callback_query.answer(group_texts.not_on_roster(t), show_alert=True)
        elif update.callback_query is not None:
            await answer_bad_callback(update, context)
        else:
            await unknown_user_text(update, context)
    return actor


def parse(update: Update, prefix: str) -> callbacks.Callback:
    query = update.callback_query
    return callbacks.parse(query.data if query else None, prefixes=frozenset({prefix}))


@dataclass(frozen=True)
class Press(Generic[T]):
    """A button press carried out: by whom, in whose language, and what it gave."""

    query: CallbackQuery
    actor: Actor
    t: Text
    result: T

    def with_result(self, result: U) -> Press[U]:
        return Press(self.query, self.actor, self.t, result)


@dataclass(frozen=True)
class Said:
    """A message from someone who has joined, and the texts in their language."""

    message: Message
    actor: Actor
    t: Text


async def said(update: Update, context: DubanContext) -> Said | None:
    """The message and the member who sent it; None after telling a stranger how to join."""
    message = update.effective_message
    actor = await joined(update, context)
    if message is None or actor is None:
        return None
    return Said(message, actor, context.text_for(actor))


async def carry_out(
    update: Update,
    context: DubanContext,
    prefix: str,
    act: Callable[[Actor, callbacks.Callback], Awaitable[T]],
) -> Press[T] | None:
    """Parse a ``prefix`` button and do ``act`` with it. None, after telling the person why,
    for a stranger, malformed or forged data (a plain "no longer valid" answer) or a refusal
    (an alert with the reason)."""
    query = update.callback_query
    actor = await joined(update, context)
    if query is None or actor is None:
        return None
    t = context.text_for(actor)
    try:
        result = await act(actor, parse(update, prefix))
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return None
    except DubanError as exc:
        await refuse(update, context, t, exc)
        return None
    return Press(query, actor, t, result)


async def drop_buttons(
    update: Update, context: DubanContext | None = None, by: str | None = None
) -> None:
    """Take the buttons off the pressed message; in a work group, also say who acted ``by``
    ("已由李四处理 12:05") so a colleague does not act on it again."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    message = query.message
    try:
        text = message.text_html if isinstance(message, Message) and message.text else None
        if context is not None and by is not None and text is not None:
            done = stamped(update, context, text, by, group_texts.DECIDED)
            await query.edit_message_text(done, reply_markup=None)
            return
        await query.edit_message_reply_markup(None)
    except BadRequest:
        return  # already without buttons


# --- lists and the card ---------------------------------------------------------------------


def page_buttons(t: Text, view: str, page: execution.ItemPage) -> list[list[Button]]:
    row = []
    if page.page > 1:
        row.append(button(t, texts.PREVIOUS, callbacks.PAGE, view, page.page - 1))
    if page.page < page.pages:
        row.append(button(t, texts.NEXT, callbacks.PAGE, view, page.page + 1))
    return [row] if row else []


async def _list(actor: Actor, context: DubanContext, view: str, number: int) -> tuple[str, Any]:
    rt = context.rt
    t = context.text_for(actor)
    page = await execution.list_items(rt, actor, overdue=view == "overdue", page=number)
    text = texts.item_list(
        t,
        page.items,
        rt.tz,
        rt.clock.now(),
        overdue=view == "overdue",
        page=page.page,
        pages=page.pages,
        total=page.total,
    )
    return text, markup(page_buttons(t, view, page))


async def items_command(update: Update, context: DubanContext) -> None:
    await _send_list(update, context, "items")


async def overdue_command(update: Update, context: DubanContext) -> None:
    await _send_list(update, context, "overdue")


async def _send_list(update: Update, context: DubanContext, view: str) -> None:
    asked = await said(update, context)
    if asked is None:
        return
    text, keyboard = await _list(asked.actor, context, view, 1)
    await asked.message.reply_text(text, reply_markup=keyboard)


async def page_chosen(update: Update, context: DubanContext) -> None:
    async def act(actor: Actor, data: callbacks.Callback) -> tuple[str, int, bool]:
        view, number = data.arg(0), data.int_arg(1)
        if view not in PAGES or data.args[2:] not in ((), ("new",)):
            raise callbacks.BadCallback(view)
        return view, number, data.args[2:] == ("new",)

    press = await carry_out(update, context, callbacks.PAGE, act)
    if press is None:
        return
    view, number, new = press.result
    text, keyboard = await _list(press.actor, context, view, number)
    await press.query.answer()
    if new:  # from a notice that lists items: the notice stays, the list comes below it
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(chat.id, text, reply_markup=keyboard)
        return
    try:
        await press.query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest:
        return  # the same page again: nothing to change


def card_buttons(t: Text, card: execution.ItemCard) -> list[list[Button]]:
    ref = card.item.ref
    row = []
    if card.may_report:
        row.append(button(t, texts.REPORT, callbacks.REPORT, ref, "start"))
    if card.may_instruct:
        row.append(button(t, texts.INSTRUCT, callbacks.INSTRUCT, ref))
    rows = [row] if row else []
    if card.may_decide:
        rows.append(
            [
                button(t, texts.CLOSE, callbacks.CLOSE, ref),
                button(t, texts.RETURN, callbacks.RETURN, ref),
            ]
        )
    if card.may_archive:
        rows.append([button(t, archive_texts.ARCHIVE, callbacks.ARCHIVE, ref)])
    return rows


async def send_card(update: Update, context: DubanContext, actor: Actor, ref: str) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    rt = context.rt
    t = context.text_for(actor)
    card = await execution.item_card(rt, actor, ref)
    await context.bot.send_message(
        chat.id,
        texts.item_card(t, card.item, card.entries, rt.tz, rt.clock.now()),
        reply_markup=markup(card_buttons(t, card)),
    )


async def item_command(update: Update, context: DubanContext) -> None:
    asked = await said(update, context)
    if asked is None:
        return
    message, actor, t = asked.message, asked.actor, asked.t
    if context.args:
        ref = context.args[0]
    else:
        text = message.text or ""
        ref = text.split("@")[0].removeprefix("/item_").replace("_", "-") if "_" in text else ""
    if not ref:
        await message.reply_text(texts.item_usage(t))
        return
    try:
        await send_card(update, context, actor, ref)
    except DubanError as exc:
        await refuse(update, context, t, exc)


async def details_pressed(update: Update, context: DubanContext) -> None:
    async def act(actor: Actor, data: callbacks.Callback) -> None:
        await send_card(update, context, actor, data.arg(0))

    press = await carry_out(update, context, callbacks.DETAIL, act)
    if press is not None:
        await press.query.answer()


# --- 签收 -------------------------------------------------------------------------------------


async def _left_in_list(query: CallbackQuery) -> bool:
    """Pressed in a list of several items' notices (a row of buttons per item): the list stays,
    without the pressed item's row. False for one item's own message."""
    message = query.message
    keyboard = message.reply_markup if isinstance(message, Message) else None
    rows = keyboard.inline_keyboard if keyboard is not None else ()
    if len(rows) < 2:
        return False
    rest = [row for row in rows if all(b.callback_data != query.data for b in row)]
    with contextlib.suppress(BadRequest):  # pressed twice: the row is gone already
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rest) if rest else None)
    return True


async def acknowledge_pressed(update: Update, context: DubanContext) -> None:
    rt = context.rt
    press = await carry_out(
        update,
        context,
        callbacks.ACKNOWLEDGE,
        lambda actor, data: execution.acknowledge(rt, actor, data.int_arg(0)),
    )
    if press is None:
        return
    query, t, done = press.query, press.t, press.result
    await query.answer(
        texts.already_acknowledged(t) if done.already else texts.acknowledged_answer(t)
    )
    if await _left_in_list(query):
        return
    if in_group(update):  # the group's message, in the group's language, says who signed
        t = rt.text(None)
    text = item_texts.dispatch_notice(t, done.item, done.assignment, rt.tz, rt.clock.now())
    if not done.already:
        text = stamped(update, context, text, press.actor.name, group_texts.ACKNOWLEDGED)
    rows = [
        [
            button(t, texts.REPORT, callbacks.REPORT, done.item.ref, "start"),
            button(t, item_texts.DETAILS, callbacks.DETAIL, done.item.ref),
        ]
    ]
    try:
        await query.edit_message_text(text, reply_markup=markup(rows))
    except BadRequest:
        return  # pressed twice: the message already shows the receipt


# --- 批示 -------------------------------------------------------------------------------------


async def instruct_pressed(update: Update, context: DubanContext) -> None:
    await check_then_ask(
        update,
        context,
        callbacks.INSTRUCT,
        lambda actor, data: execution.check_instruct(context.rt, actor, data.arg(0)),
        texts.instruction_question,
        Purpose.INSTRUCTION,
    )


async def check_then_ask(
    update: Update,
    context: DubanContext,
    prefix: str,
    check: Callable[[Actor, callbacks.Callback], Awaitable[ItemView]],
    question: Callable[[Text], str],
    purpose: Purpose,
) -> None:
    """A button whose action needs something typed: check it may be done, then ask for it."""
    press = await carry_out(update, context, prefix, check)
    if press is None:
        return
    await press.query.answer()
    await ask_about(update, context, press, question, purpose)


async def ask_about(
    update: Update,
    context: DubanContext,
    press: Press[ItemView],
    question: Callable[[Text], str],
    purpose: Purpose,
    *,
    target: str | None = None,
) -> None:
    """Ask, as a reply prompt about the item, what the pressed decision still needs."""
    view, t = press.result, press.t
    await ask(
        update,
        context,
        press.actor,
        texts.reason_prompt(t, view, question(t)),
        item_id=view.id,
        purpose=purpose,
        target=view.ref if target is None else target,
    )


# --- wiring ------------------------------------------------------------------------------------


def register(application: BotApplication) -> None:
    """Wire /items, /overdue, /item, details, 签收 and 批示 into the application."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("items", items_command, filters=private))
    application.add_handler(CommandHandler("overdue", overdue_command, filters=private))
    application.add_handler(CommandHandler("item", item_command, filters=private))
    application.add_handler(
        MessageHandler(private & filters.Regex(r"^/item_\d{4}_\d{1,6}(@\w+)?$"), item_command)
    )
    for prefix, callback in (
        (callbacks.ACKNOWLEDGE, acknowledge_pressed),
        (callbacks.DETAIL, details_pressed),
        (callbacks.PAGE, page_chosen),
        (callbacks.INSTRUCT, instruct_pressed),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=rf"^{prefix}:"))
