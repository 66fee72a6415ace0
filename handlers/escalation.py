"""The ladder's buttons: urge (督办), order a talk (约谈) and record it, a notice of criticism
(通报批评)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from domain import callbacks
from domain.errors import DubanError
from domain.views import ItemView
from handlers.context import DubanContext
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback
from services import escalation, public_notices, referrals, talks
from services.actors import Actor
from services.items import Origin
from services.runtime import Runtime
from texts import Text
from texts import notices as notice_texts
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
        text = await ACTIONS[data.prefix](context.rt, actor, ref, t)
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    await _reply(update, text)


async def _urge(rt: Runtime, actor: Actor, ref: str, t: Text) -> str:
    result = await escalation.urge(rt, actor, ref)
    if result.already_at is not None:
        return texts.measure_already(t, result.view, result.already_at, rt.tz)
    return texts.urge_done(t, result.view, result.units)


async def _talk(rt: Runtime, actor: Actor, ref: str, t: Text) -> str:
    ordered = await talks.order_talk(rt, Origin(actor), ref)
    if ordered.already:
        return texts.measure_already(t, ordered.view, ordered.talk.ordered_at, rt.tz)
    return talk_texts.order_done(t, ordered.view, ordered.talk.units)


async def _criticism(rt: Runtime, actor: Actor, ref: str, t: Text) -> str:
    drafted = await public_notices.draft_criticism(rt, Origin(actor), ref)
    return notice_texts.ordered(t, drafted.notice, rt.tz, already=drafted.already)


ACTIONS: dict[str, Callable[[Runtime, Actor, str, Text], Awaitable[str]]] = {
    callbacks.URGE: _urge,
    callbacks.TALK: _talk,
    callbacks.CRITICISM: _criticism,
}


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


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
