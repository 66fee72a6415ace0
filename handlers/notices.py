"""The buttons of a draft notice (通报): confirm and send, edit (asked by a reply), drop; and
the weekly bulletin's 通报表扬 of a unit."""

from __future__ import annotations

from telegram import Update

from domain import callbacks
from domain.errors import DubanError
from handlers.context import DubanContext
from handlers.prompts import Purpose, ask
from handlers.start import answer_bad_callback
from services import public_notices
from services.actors import Actor
from services.items import Origin
from texts import Text
from texts import notices as texts

PREFIXES = frozenset({callbacks.NOTICE, callbacks.PRAISE})
PATTERN = rf"^({callbacks.NOTICE}|{callbacks.PRAISE}):"
STEPS = frozenset({"ok", "edit", "drop"})


async def notice_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    actor = await context.actor(update)
    if query is None:
        return
    try:
        data = callbacks.parse(query.data, prefixes=PREFIXES)
        if actor is None:
            raise callbacks.BadCallback("not joined")
        if data.prefix == callbacks.NOTICE and data.arg(1) not in STEPS:
            raise callbacks.BadCallback("unknown step")
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    t = context.text_for(actor)
    try:
        reply = await _carry_out(update, context, actor, data, t)
    except DubanError as exc:
        await query.answer(t(exc.key, **exc.params), show_alert=True)
        return
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    await query.answer()
    message = update.effective_message
    if reply and message is not None:
        await message.reply_text(reply)


async def _carry_out(
    update: Update, context: DubanContext, actor: Actor, data: callbacks.Callback, t: Text
) -> str | None:
    rt, origin = context.rt, Origin(actor)
    if data.prefix == callbacks.PRAISE:
        drafted = await public_notices.draft_praise(rt, origin, data.arg(0))
        return texts.ordered(t, drafted.notice, rt.tz, already=False)
    notice_id, step = data.int_arg(0), data.arg(1)
    if step == "ok":
        sent = await public_notices.confirm_notice(rt, origin, notice_id)
        return texts.confirmed(t, sent.people)
    if step == "drop":
        await public_notices.drop_notice(rt, origin, notice_id)
        return texts.dropped(t)
    await public_notices.check_draft(rt, origin, notice_id)
    await _ask_text(update, context, actor, t, notice_id)
    return None


async def _ask_text(
    update: Update, context: DubanContext, actor: Actor, t: Text, notice_id: int
) -> None:
    await ask(
        update,
        context,
        actor,
        texts.edit_question(t),
        item_id=None,
        purpose=Purpose.NOTICE_TEXT,
        target=str(notice_id),
    )


__all__ = ["PATTERN", "notice_pressed"]
