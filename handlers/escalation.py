"""The ladder's buttons: urge (督办), order a talk (约谈) and record it, a notice of criticism
(通报批评)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import Update

from domain import callbacks
from domain.errors import DubanError
from domain.views import ItemView
from handlers.context import DubanContext
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback
from services import escalation, referrals, talks
from services.items import Origin
from services.runtime import Runtime
from texts import Text
from texts import referrals as referral_texts
from texts import reminders as texts
from texts import talks as talk_texts

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


@dataclass(frozen=True)
class Question:
    """A button that asks for a record by a reply: who may is checked first (``check``, which
    returns the item), then ``question`` is sent, its answer routed to ``purpose``."""

    check: Callable[[Runtime, Origin, str], Awaitable[ItemView]]
    question: Callable[[Text, ItemView], str]
    purpose: Purpose


async def _talk_to_record(rt: Runtime, origin: Origin, target: str) -> ItemView:
    if not target.isdigit() or len(target) > 12:
        raise callbacks.BadCallback(target)
    return await talks.talk_to_record(rt, origin, int(target))


QUESTIONS: dict[str, Question] = {
    callbacks.TALK_RECORD: Question(
        _talk_to_record, talk_texts.record_question, Purpose.TALK_RECORD
    ),
    callbacks.REFERRAL: Question(
        referrals.item_to_refer, referral_texts.question, Purpose.REFERRAL
    ),
}
QUESTION_PATTERN = rf"^({callbacks.TALK_RECORD}|{callbacks.REFERRAL}):"


async def question_pressed(update: Update, context: DubanContext) -> None:
    """记录约谈, 提出问责建议: the person is asked for the record (a ForceReply question)."""
    query = update.callback_query
    actor = await context.actor(update)
    if query is None:
        return
    try:
        data = callbacks.parse(query.data, prefixes=frozenset(QUESTIONS))
        target = data.arg(0)
        asking = QUESTIONS[data.prefix]
        if actor is None:
            raise callbacks.BadCallback("not joined")
        t = context.text_for(actor)
        view = await asking.check(context.rt, Origin(actor), target)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    await ask(
        update,
        context,
        actor,
        asking.question(t, view),
        item_id=view.id,
        purpose=asking.purpose,
        target=target,
    )
