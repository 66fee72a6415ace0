"""The ladder's buttons: urge (督办), order a talk (约谈) and record it, a notice of criticism
(通报批评)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update

from domain import callbacks
from domain.errors import DubanError
from handlers.context import DubanContext
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback
from services import escalation, talks
from services.items import Origin
from texts import Text
from texts import reminders as texts
from texts import talks as talk_texts

PREFIXES = frozenset({callbacks.URGE, callbacks.TALK, callbacks.CRITICISM})
PATTERN = rf"^({callbacks.URGE}|{callbacks.TALK}|{callbacks.CRITICISM}):"
RECORD_PREFIXES = frozenset({callbacks.TALK_RECORD})
RECORD_PATTERN = rf"^{callbacks.TALK_RECORD}:"


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
            ordered = await talks.order_talk(context.rt, Origin(actor), ref)
            await query.answer()
            await _reply(update, _talk_ordered(t, ordered, context.rt.tz))
            return
        else:
            result = await escalation.order_criticism(context.rt, actor, ref)
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    if result.already_at is not None:
        text = texts.measure_already(t, result.view, result.already_at, context.rt.tz)
    elif data.prefix == callbacks.URGE:
        text = texts.urge_done(t, result.view, result.units)
    else:
        text = texts.measure_done(t, result.view)
    await _reply(update, text)


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


def _talk_ordered(t: Text, ordered: talks.TalkOrdered, tz: ZoneInfo) -> str:
    if ordered.already:
        return texts.measure_already(t, ordered.view, ordered.talk.ordered_at, tz)
    return talk_texts.order_done(t, ordered.view, ordered.talk.units)


async def record_pressed(update: Update, context: DubanContext) -> None:
    """记录约谈: the office is asked for the record (a reply to a ForceReply question)."""
    query = update.callback_query
    actor = await context.actor(update)
    if query is None:
        return
    try:
        talk_id = callbacks.parse(query.data, prefixes=RECORD_PREFIXES).int_arg(0)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    if actor is None:
        await answer_bad_callback(update, context)
        return
    t = context.text_for(actor)
    try:
        view = await talks.talk_to_record(context.rt, Origin(actor), talk_id)
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    await ask(
        update,
        context,
        actor,
        talk_texts.record_question(t, view),
        item_id=view.id,
        purpose=Purpose.TALK_RECORD,
        target=str(talk_id),
    )
