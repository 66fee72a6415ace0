"""Items in chat once dispatched: /items, /overdue, /item, the receipt button (签收), details,
leaders' instructions (批示) and the office's and heads' decision buttons.

Handlers only translate: they parse the update, call one service, and render the answer.
Typed answers (reasons, dates, instructions) come back as replies to a prompt; see
:mod:`handlers.reports`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import add_months
from domain.errors import DubanError
from domain.lifecycle import ItemAction
from domain.views import ItemView
from domain.vocabulary import ReportKind
from handlers.context import DubanContext
from handlers.start import answer_bad_callback, unknown_user_text
from services import decisions, execution, prompts
from services.actors import Actor
from services.items import Origin
from texts import Text
from texts import execution as texts
from texts import items as item_texts

PAGES = frozenset({"items", "overdue"})
T = TypeVar("T")

# Purposes of prompts whose reply is typed text (see handlers.reports.on_reply).
RETURN_REASON = "return"
REFUSE_REASON = "refuse"
DECLINE_REASON = "decline"
INSTRUCTION = "instruct"
FOLLOW_UP_DATE = "follow_up_date"
REOPEN = "reopen"
CONTENT = "content"


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
        if update.callback_query is not None:
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


async def ask(
    update: Update,
    context: DubanContext,
    actor: Actor,
    text: str,
    *,
    item_id: int | None,
    purpose: str,
    target: str,
) -> None:
    """Send a question the person answers by replying (Telegram's ForceReply)."""
    chat = update.effective_chat
    if chat is None:
        return
    sent = await context.bot.send_message(chat.id, text, reply_markup=ForceReply(selective=True))
    await prompts.remember_prompt(
        context.rt,
        actor,
        chat_id=chat.id,
        message_id=sent.message_id,
        item_id=item_id,
        purpose=purpose,
        target=target,
    )


async def drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
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
    message = update.effective_message
    actor = await joined(update, context)
    if message is None or actor is None:
        return
    text, keyboard = await _list(actor, context, view, 1)
    await message.reply_text(text, reply_markup=keyboard)


async def page_chosen(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    actor = await joined(update, context)
    if query is None or actor is None:
        return
    try:
        data = parse(update, callbacks.PAGE)
        view, number = data.arg(0), data.int_arg(1)
        if view not in PAGES:
            raise callbacks.BadCallback(view)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    text, keyboard = await _list(actor, context, view, number)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
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
    message = update.effective_message
    actor = await joined(update, context)
    if message is None or actor is None:
        return
    t = context.text_for(actor)
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
    text = item_texts.dispatch_notice(t, done.item, done.assignment, rt.tz, rt.clock.now())
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
    press = await carry_out(
        update,
        context,
        callbacks.INSTRUCT,
        lambda actor, data: execution.check_instruct(context.rt, actor, data.arg(0)),
    )
    if press is None:
        return
    await press.query.answer()
    await _ask_about(update, context, press, texts.instruction_question, INSTRUCTION)


# --- the unit head: 核签 ---------------------------------------------------------------------


async def confirm_pressed(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.CONFIRM,
        lambda actor, data: decisions.confirm_completion(context.rt, actor, data.int_arg(0)),
    )
    if press is not None:
        await _decided(update, context, press, texts.confirmed_done(press.t))


async def decline_pressed(update: Update, context: DubanContext) -> None:
    """The unit head sends a completion report back: ask for the reason."""
    await _ask_reason_on_report(
        update,
        context,
        callbacks.DECLINE,
        ReportKind.COMPLETION,
        texts.decline_reason_question,
        DECLINE_REASON,
    )


async def _ask_reason_on_report(
    update: Update,
    context: DubanContext,
    prefix: str,
    kind: ReportKind,
    question: Callable[[Text], str],
    purpose: str,
) -> None:
    """A decision on a pending report that needs a reason: check first, then ask for it."""

    async def act(actor: Actor, data: callbacks.Callback) -> tuple[ItemView, int]:
        report_id = data.int_arg(0)
        view = await decisions.check_pending_report(context.rt, actor, report_id, kind)
        return view, report_id

    press = await carry_out(update, context, prefix, act)
    if press is None:
        return
    view, report_id = press.result
    await press.query.answer()
    await _ask_about(
        update,
        context,
        Press(press.query, press.actor, press.t, view),
        question,
        purpose,
        target=str(report_id),
    )


async def _ask_about(
    update: Update,
    context: DubanContext,
    press: Press[ItemView],
    question: Callable[[Text], str],
    purpose: str,
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


async def _decided(
    update: Update, context: DubanContext, press: Press[ItemView], reply: str
) -> None:
    """A decision taken: answer the press, take the buttons off, say what was done."""
    await press.query.answer(reply)
    await drop_buttons(update)
    await _say(update, context, texts.done(press.t, press.result, reply))


# --- the office: 销号 / 退回 / 延期 / 回头看 ------------------------------------------------------


async def _say(
    update: Update, context: DubanContext, text: str, rows: Any = None
) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return await context.bot.send_message(chat.id, text, reply_markup=markup(rows or []))


def follow_up_buttons(t: Text, ref: str) -> list[list[Button]]:
    return [
        [
            button(t, texts.FOLLOW_UP_1M, callbacks.FOLLOW_UP, ref, "1m"),
            button(t, texts.FOLLOW_UP_3M, callbacks.FOLLOW_UP, ref, "3m"),
        ],
        [
            button(t, texts.FOLLOW_UP_DATE, callbacks.FOLLOW_UP, ref, "date"),
            button(t, texts.FOLLOW_UP_NONE, callbacks.FOLLOW_UP, ref, "none"),
        ],
    ]


async def close_pressed(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.CLOSE,
        lambda actor, data: decisions.close_item(context.rt, Origin(actor), data.arg(0)),
    )
    if press is None:
        return
    t, view = press.t, press.result
    await press.query.answer(texts.closed_done(t))
    await drop_buttons(update)
    await _say(update, context, texts.follow_up_question(t, view), follow_up_buttons(t, view.ref))


async def return_pressed(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.RETURN,
        lambda actor, data: decisions.check_office_move(
            context.rt, Origin(actor), data.arg(0), ItemAction.RETURN_COMPLETION
        ),
    )
    if press is None:
        return
    await press.query.answer()
    await _ask_about(update, context, press, texts.return_reason_question, RETURN_REASON)


async def extension_approved(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.EXTENSION_OK,
        lambda actor, data: decisions.decide_extension(
            context.rt, Origin(actor), data.int_arg(0), approve=True
        ),
    )
    if press is None:
        return
    assert press.result.due is not None
    await _decided(update, context, press, texts.extension_approved_done(press.t, press.result.due))


async def extension_refused(update: Update, context: DubanContext) -> None:
    """The office refuses an extension request: ask for the reason."""
    await _ask_reason_on_report(
        update,
        context,
        callbacks.EXTENSION_NO,
        ReportKind.EXTENSION,
        texts.refuse_reason_question,
        REFUSE_REASON,
    )


FOLLOW_UP_CHOICES = frozenset({"1m", "3m", "date", "none", "ok", "reopen"})


async def follow_up_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    actor = await joined(update, context)
    if query is None or actor is None:
        return
    t = context.text_for(actor)
    rt = context.rt
    origin = Origin(actor)
    try:
        data = parse(update, callbacks.FOLLOW_UP)
        ref, choice = data.arg(0), data.arg(1)
        if choice not in FOLLOW_UP_CHOICES:
            raise callbacks.BadCallback(choice)
        today = rt.clock.now().astimezone(rt.tz).date()
        if choice in ("1m", "3m"):
            on = add_months(today, 1 if choice == "1m" else 3)
            view = await decisions.set_follow_up(rt, origin, ref, on)
            reply = texts.follow_up_set_done(t, on)
        elif choice == "none":
            view = await decisions.check_office_move(rt, origin, ref, ItemAction.ARCHIVE)
            reply = texts.follow_up_none_done(t)
        elif choice == "ok":
            view = await decisions.follow_up_ok(rt, origin, ref)
            reply = texts.followed_up_done(t)
        else:
            # "date" needs a closed item; "reopen" a follow-up check still open.
            action = ItemAction.REOPEN if choice == "reopen" else ItemAction.ARCHIVE
            view = await decisions.check_office_move(rt, origin, ref, action)
            await query.answer()
            question = (
                texts.follow_up_date_question(t) if choice == "date" else texts.reopen_question(t)
            )
            await ask(
                update,
                context,
                actor,
                texts.reason_prompt(t, view, question),
                item_id=view.id,
                purpose=FOLLOW_UP_DATE if choice == "date" else REOPEN,
                target=view.ref,
            )
            return
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    except DubanError as exc:
        await refuse(update, context, t, exc)
        return
    await _decided(update, context, Press(query, actor, t, view), reply)


# --- typed answers to the prompts above (called by handlers.reports) -------------------------


async def answer_prompt(
    update: Update, context: DubanContext, actor: Actor, purpose: str, target: str, text: str
) -> None:
    """Carry out what a typed answer to a prompt asks for; replies with the outcome."""
    message = update.effective_message
    if message is None:
        return
    rt = context.rt
    t = context.text_for(actor)
    origin = Origin(actor)
    view: ItemView
    if purpose == RETURN_REASON:
        view = await decisions.return_completion(rt, origin, target, text)
        reply = texts.returned_done(t)
    elif purpose == REFUSE_REASON:
        view = await decisions.decide_extension(rt, origin, int(target), approve=False, reason=text)
        reply = texts.extension_refused_done(t)
    elif purpose == DECLINE_REASON:
        view = await decisions.decline_completion(rt, actor, int(target), text)
        reply = texts.declined_done(t)
    elif purpose == INSTRUCTION:
        view = await execution.instruct(rt, actor, target, text)
        reply = texts.instruction_done(t)
    elif purpose == FOLLOW_UP_DATE:
        on = execution.find_date(text)
        if on is None:
            await message.reply_text(texts.follow_up_date_question(t))
            return
        view = await decisions.set_follow_up(rt, origin, target, on)
        reply = texts.follow_up_set_done(t, on)
    elif purpose == REOPEN:
        due = execution.find_date(text)
        if due is None:
            await message.reply_text(texts.reopen_question(t))
            return
        view = await decisions.reopen_item(rt, origin, target, due, text)
        assert view.due is not None
        reply = texts.reopened_done(t, view.due)
    else:
        raise callbacks.BadCallback(purpose)
    await message.reply_text(texts.done(t, view, reply))
