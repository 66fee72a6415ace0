"""The ladder's buttons: urge (督办), order a talk (约谈), a notice of criticism (通报批评)."""

from __future__ import annotations

from telegram import Update

from domain import callbacks
from domain.errors import DubanError
from handlers.context import DubanContext
from handlers.start import answer_bad_callback
from services import escalation
from texts import reminders as texts

PREFIXES = frozenset({callbacks.URGE, callbacks.TALK, callbacks.CRITICISM})
PATTERN = rf"^({callbacks.URGE}|{callbacks.TALK}|{callbacks.CRITICISM}):"


async def ladder_action(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        data = callbacks.parse(query.data, prefixes=PREFIXES)
        ref = data.arg(0)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    actor = await context.actor(update)
    t = context.text_for(actor)
    if actor is None:
        await answer_bad_callback(update, context)
        return
    try:
        if data.prefix == callbacks.URGE:
            result = await escalation.urge(context.rt, actor, ref)
        elif data.prefix == callbacks.TALK:
            result = await escalation.order_talk(context.rt, actor, ref)
        else:
            result = await escalation.order_criticism(context.rt, actor, ref)
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    message = update.effective_message
    if message is None:
        return
    if result.already_at is not None:
        text = texts.measure_already(t, result.view, result.already_at, context.rt.tz)
    elif data.prefix == callbacks.URGE:
        text = texts.urge_done(t, result.view, result.units)
    else:
        text = texts.measure_done(t, result.view)
    await message.reply_text(text)
