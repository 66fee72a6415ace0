"""The buttons on a registered item before it goes out: the approvers' 审核 (approve, or return
with a reason) and the office's resubmit and load confirmation (基层减负).

The reason for a return is asked in a small conversation kept in the database like /new, so
any instance may take the typed answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Generic, TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain import callbacks
from domain.errors import DubanError, InvalidInput
from domain.views import ItemView
from handlers.context import DubanContext
from handlers.conversations import END, BotApplication, add_kept_conversation
from handlers.start import answer_bad_callback
from services.approval import approve_item, check_decision, return_item
from services.items import Origin
from services.registration import Routed, dispatch_draft, resubmit_item
from services.runtime import Runtime
from texts import Text
from texts import registration as texts

RETURNING = "return_draft"
# A conversation untouched this long no longer holds the person's next message.
MAX_AGE = timedelta(days=1)
T = TypeVar("T")


class ReturnStep(IntEnum):
    REASON = 1


@dataclass(frozen=True)
class Decision(Generic[T]):
    """A decision button carried out: on which item and step, in whose language, with what."""

    ref: str
    step: int | None
    t: Text
    result: T


async def _decide(
    update: Update,
    context: DubanContext,
    prefix: str,
    act: Callable[[Origin, str, int | None], Awaitable[T]],
    *,
    with_step: bool = False,
) -> Decision[T] | None:
    """Parse a ``prefix:REF[:STEP]`` button and ``act`` on it as the person pressing. None,
    after answering, for malformed or forged data or a refusal (an alert with the reason)."""
    query = update.callback_query
    assert query is not None
    try:
        data = callbacks.parse(query.data, prefixes=frozenset({prefix}))
        ref, step = data.arg(0), (data.int_arg(1) if with_step else None)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return None
    actor = await context.actor(update)
    t = context.text_for(actor)
    try:
        result = await act(Origin(actor), ref, step)
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return None
    await query.answer()
    return Decision(ref, step, t, result)


async def _edit(update: Update, text: str) -> None:
    query = update.callback_query
    assert query is not None
    await query.edit_message_text(text)


async def approve_pressed(update: Update, context: DubanContext) -> None:
    async def act(origin: Origin, ref: str, step: int | None) -> Routed:
        return await approve_item(context.rt, origin, ref, step=step)

    decided = await _decide(update, context, callbacks.APPROVE, act, with_step=True)
    if decided is not None:
        await _edit(update, texts.approved_by_you(decided.t, decided.result.item))


async def resubmit_pressed(update: Update, context: DubanContext) -> None:
    await _move(update, context, callbacks.RESUBMIT, resubmit_item, texts.resubmitted)


async def confirm_load_pressed(update: Update, context: DubanContext) -> None:
    await _move(update, context, callbacks.CONFIRM_LOAD, dispatch_draft, texts.dispatched)


async def _move(
    update: Update,
    context: DubanContext,
    prefix: str,
    move: Callable[[Runtime, Origin, str], Awaitable[ItemView]],
    say: Callable[[Text, ItemView], str],
) -> None:
    """The office's button on its own draft: ``move`` it on, then ``say`` what was done."""

    async def act(origin: Origin, ref: str, step: int | None) -> ItemView:
        return await move(context.rt, origin, ref)

    decided = await _decide(update, context, prefix, act)
    if decided is not None:
        await _edit(update, say(decided.t, decided.result))


# --- a return, with its reason -----------------------------------------------------------------


async def return_pressed(update: Update, context: DubanContext) -> int | None:
    query = update.callback_query
    assert query is not None and context.user_data is not None

    async def act(origin: Origin, ref: str, step: int | None) -> ItemView:
        return await check_decision(context.rt, origin, ref, step=step)

    decided = await _decide(update, context, callbacks.RETURN_DRAFT, act, with_step=True)
    if decided is None:
        return END
    context.user_data[RETURNING] = {"ref": decided.ref, "step": decided.step}
    assert query.message is not None
    await context.bot.send_message(
        query.message.chat.id, texts.ask_return_reason(decided.t, decided.result)
    )
    return ReturnStep.REASON


async def got_return_reason(update: Update, context: DubanContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None and context.user_data is not None
    pending = context.user_data.pop(RETURNING, None)
    actor = await context.actor(update)
    t = context.text_for(actor)
    if pending is None:
        return END
    try:
        view = await return_item(
            context.rt, Origin(actor), pending["ref"], message.text, step=pending["step"]
        )
    except InvalidInput as exc:
        context.user_data[RETURNING] = pending
        await message.reply_text(t(exc.key, **exc.params))
        return ReturnStep.REASON
    except DubanError as exc:
        await message.reply_text(t(exc.key, **exc.params))
        return END
    await message.reply_text(texts.returned_by_you(t, view))
    return END


async def cancel_return(update: Update, context: DubanContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(RETURNING, None)
    t = context.text_for(await context.actor(update))
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.return_cancelled(t))
    return END


# --- wiring ------------------------------------------------------------------------------------


def _pattern(prefix: str) -> str:
    return "^" + prefix + "(:|$)"


def register(application: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & private
    add_kept_conversation(
        application,
        RETURNING,
        entry_points=[
            CallbackQueryHandler(return_pressed, pattern=_pattern(callbacks.RETURN_DRAFT))
        ],
        states={ReturnStep.REASON: [MessageHandler(text, got_return_reason)]},
        fallbacks=[CommandHandler("cancel", cancel_return)],
        max_age=MAX_AGE,
    )
    for prefix, callback in (
        (callbacks.APPROVE, approve_pressed),
        (callbacks.RESUBMIT, resubmit_pressed),
        (callbacks.CONFIRM_LOAD, confirm_load_pressed),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=_pattern(prefix)))
