"""The office decides a complainant's request for review (异议复核) from its message: reopen the
item for rectification (复核不通过: the new due date asked by a reply), assign a complaint the
office answered itself to a unit (复核不通过, 交办: the unit chosen by a button), or uphold the
answer (维持原答复: the reason asked by a reply). Only the office may; the typed answers are
carried out by :mod:`handlers.prompts`."""

from __future__ import annotations

from telegram import Update

from domain import callbacks
from domain.authority import Actor
from domain.errors import DubanError
from handlers.complaints import chat_id_of, close_buttons, keyboard
from handlers.context import DubanContext
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback
from services import choices, satisfaction
from services.items import Origin
from texts import Text
from texts import satisfaction as texts

PATTERN = rf"^{callbacks.REVIEW}:"
STEPS = {"reopen": Purpose.REVIEW_REOPEN, "uphold": Purpose.REVIEW_UPHOLD}
CHOICES = {"assign", "unit"}  # assigning: the units offered, then the unit chosen


async def review_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    actor = await context.actor(update)
    if query is None:
        return
    try:
        data = callbacks.parse(query.data, prefixes=frozenset({callbacks.REVIEW}))
        rating_id, step = data.int_arg(0), data.arg(1)
        unit_id = data.int_arg(2) if step == "unit" else None
        if actor is None or (step not in STEPS and step not in CHOICES):
            raise callbacks.BadCallback("review")
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    t = context.text_for(actor)
    try:
        if step in CHOICES:
            await _assign(update, context, Origin(actor), t, rating_id, unit_id)
            return
        public_id = await satisfaction.pending_review(
            context.rt, Origin(actor), rating_id, reopen=step == "reopen"
        )
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    except callbacks.BadCallback:  # a unit that is no longer one
        await answer_bad_callback(update, context)
        return
    await query.answer()
    await _ask(update, context, actor, t, rating_id, step, public_id)


async def _ask(
    update: Update,
    context: DubanContext,
    actor: Actor,
    t: Text,
    rating_id: int,
    step: str,
    public_id: str,
) -> None:
    reopen = step == "reopen"
    question = texts.ask_due(t, public_id) if reopen else texts.ask_uphold_reason(t, public_id)
    await ask(
        update,
        context,
        actor,
        question,
        item_id=None,
        purpose=STEPS[step],
        target=str(rating_id),
    )


async def _assign(
    update: Update,
    context: DubanContext,
    origin: Origin,
    t: Text,
    rating_id: int,
    unit_id: int | None,
) -> None:
    """Offer the units (``unit_id`` None), or assign the complaint to the one chosen."""
    rt = context.rt
    public_id = await satisfaction.pending_review(rt, origin, rating_id, assign=True)
    units = {u.id: u for u in await choices.unit_choices(rt)}
    chat = chat_id_of(update)
    if unit_id is None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        rows = texts.unit_buttons(rating_id, [(u.id, u.name) for u in units.values()])
        await context.bot.send_message(
            chat, texts.choose_unit(t, public_id), reply_markup=keyboard(rows)
        )
        return
    unit = units.get(unit_id)
    if unit is None:
        raise callbacks.BadCallback(public_id)
    draft = await satisfaction.review_draft(rt, rating_id, unit.key)
    view = await satisfaction.assign_for_review(rt, origin, rating_id, draft)
    await close_buttons(update)
    await context.bot.send_message(chat, texts.assigned_done(t, public_id, view.code, unit.name))
