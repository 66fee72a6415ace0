"""The office decides a complainant's request for review (异议复核) from its message: reopen the
item for rectification (复核不通过: the new due date asked by a reply) or uphold the answer
(维持原答复: the reason asked by a reply). Only the office may; the typed answers are carried out
by :mod:`handlers.prompts`."""

from __future__ import annotations

from telegram import Update

from domain import callbacks
from domain.errors import DubanError
from handlers.context import DubanContext
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback
from services import satisfaction
from services.items import Origin
from texts import satisfaction as texts

PATTERN = rf"^{callbacks.REVIEW}:"
STEPS = {"reopen": Purpose.REVIEW_REOPEN, "uphold": Purpose.REVIEW_UPHOLD}


async def review_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    actor = await context.actor(update)
    if query is None:
        return
    try:
        data = callbacks.parse(query.data, prefixes=frozenset({callbacks.REVIEW}))
        rating_id, step = data.int_arg(0), data.arg(1)
        if actor is None or step not in STEPS:
            raise callbacks.BadCallback("review")
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    t = context.text_for(actor)
    reopen = step == "reopen"
    try:
        public_id = await satisfaction.pending_review(
            context.rt, Origin(actor), rating_id, reopen=reopen
        )
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
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
