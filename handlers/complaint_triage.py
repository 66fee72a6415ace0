"""The office's triage of a complaint in chat: accept it as an item for a unit, reject it with a
reason, answer it directly, or merge it into another complaint.

The reason, answer or merge target being asked for is staff work and is kept in the database
like /new (``chat_conversations``), so any instance may take the typed answer.
"""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum

from telegram import Bot, CallbackQuery, ForceReply, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain import callbacks
from domain.complaints import NotNew, title_from_text
from domain.errors import DubanError, InvalidInput
from domain.vocabulary import ComplaintStatus, Source, TimeClass
from handlers.complaints import chat_id_of, close_buttons, error_text, keyboard, user_data
from handlers.context import DubanContext
from handlers.conversations import END, BotApplication, add_kept_conversation
from handlers.groups import in_group, stamped
from handlers.start import answer_bad_callback
from services import choices, complaint_triage
from services.items import ItemDraft, Origin
from services.runtime import Runtime
from texts import Text
from texts import complaints as texts
from texts import groups as group_texts

TRIAGE = callbacks.TRIAGE
# user_data key and name of the triage conversation (kept in the database)
TRIAGING = "complaint_triage"
TRIAGE_MAX_AGE = timedelta(days=1)


class TriageStep(IntEnum):
    REASON = 1
    ANSWER = 2
    MERGE = 3


# What each typed-answer action asks, and the step that takes the answer.
ASKS = {
    texts.ACT_REJECT: (texts.ask_reason, TriageStep.REASON),
    texts.ACT_ANSWER: (texts.ask_answer, TriageStep.ANSWER),
    texts.ACT_MERGE: (texts.ask_merge, TriageStep.MERGE),
}


async def _accept(
    update: Update,
    context: DubanContext,
    origin: Origin,
    t: Text,
    parsed: callbacks.Callback,
    text: str,
) -> None:
    """Accept the complaint as a general item led by the chosen unit, dispatched at once."""
    public_id = parsed.arg(0)
    by_id = {u.id: u for u in await choices.unit_choices(context.rt)}
    unit = by_id.get(parsed.int_arg(2))
    if unit is None:
        raise callbacks.BadCallback(public_id)
    draft = ItemDraft(
        title=title_from_text(text) or public_id,
        body=text,
        source=Source.COMPLAINT,
        time_class=TimeClass.GENERAL,
        lead_unit=unit.key,
    )
    _, item = await complaint_triage.accept_complaint(
        context.rt, origin, public_id, draft, dispatch=True
    )
    await close_buttons(update)
    done = texts.accepted(t, public_id, item.code, unit.name)
    name = origin.actor.name if origin.actor is not None else ""
    await stamp_group_copies(context.rt, context.bot, public_id, name, group_texts.TRIAGE_ACCEPTED)
    await context.bot.send_message(
        chat_id_of(update), stamped(update, context, done, name, group_texts.TRIAGED)
    )


async def stamp_group_copies(rt: Runtime, bot: Bot, public_id: str, name: str, action: str) -> None:
    """The complaint's message in the office's group: who triaged it and how (☑️ 已由吴婷受理
    12:05), its buttons gone, so a colleague sees at once that it is done (triaged in chat or on
    the console)."""
    line = group_texts.done_by(rt.text(None), name, action, rt.clock.now(), rt.tz)
    for copy in await complaint_triage.group_copies(rt, public_id):
        try:
            await bot.edit_message_text(
                f"{copy.text}\n\n{line}",
                chat_id=copy.chat_id,
                message_id=copy.message_id,
                reply_markup=None,
            )
        except TelegramError:
            continue  # deleted in the group, or edited already: the triage stands


async def _choose_unit(
    update: Update, context: DubanContext, query: CallbackQuery, t: Text, public_id: str, text: str
) -> None:
    await query.answer()
    units = await choices.unit_choices(context.rt)
    rows = [
        [
            (u.name, callbacks.make(TRIAGE, public_id, texts.ACT_UNIT, u.id))
            for u in units[i : i + 2]
        ]
        for i in range(0, len(units), 2)
    ]
    await context.bot.send_message(
        chat_id_of(update),
        texts.choose_lead_unit(t, public_id, title_from_text(text)),
        reply_markup=keyboard(rows),
    )


async def triage(update: Update, context: DubanContext) -> int:
    """A triage button: accept (then a unit), or ask for a reason, an answer or a target."""
    query = update.callback_query
    if query is None:
        return END
    try:
        parsed = callbacks.parse(query.data, prefixes=frozenset({TRIAGE}))
        public_id, action = parsed.arg(0), parsed.arg(1)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return END
    actor = await context.actor(update)
    t = context.text_for(actor)
    origin = Origin(actor)
    try:
        view = await complaint_triage.get_complaint(context.rt, origin, public_id)
        if action == texts.ACT_UNIT:
            await _accept(update, context, origin, t, parsed, view.text)
            return END
        if view.status != ComplaintStatus.NEW and action != texts.ACT_ANSWER:
            raise NotNew(id=view.public_id, status=view.status)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return END
    except DubanError as exc:
        await query.answer(error_text(t, exc), show_alert=True)
        return END
    if action == texts.ACT_ACCEPT:
        await _choose_unit(update, context, query, t, public_id, view.text)
        return END
    if action not in ASKS:
        await answer_bad_callback(update, context)
        return END
    ask, step = ASKS[action]
    await query.answer()
    user_data(context)[TRIAGING] = {"public_id": public_id}
    # in a work group the bot sees only replies to it: the answer is typed as one
    force = ForceReply(selective=True) if in_group(update) else None
    await context.bot.send_message(chat_id_of(update), ask(t, public_id), reply_markup=force)
    return step


async def triage_text(update: Update, context: DubanContext, step: TriageStep) -> int:
    message = update.effective_message
    public_id = user_data(context).get(TRIAGING, {}).get("public_id")
    if message is None or message.text is None or not isinstance(public_id, str):
        return END
    actor = await context.actor(update)
    t = context.text_for(actor)
    origin = Origin(actor)
    try:
        if step is TriageStep.REASON:
            await complaint_triage.reject_complaint(context.rt, origin, public_id, message.text)
            reply, how = texts.rejected(t, public_id), group_texts.TRIAGE_REJECTED
        elif step is TriageStep.ANSWER:
            await complaint_triage.answer_complaint(context.rt, origin, public_id, message.text)
            reply, how = texts.answered(t, public_id), group_texts.TRIAGE_ANSWERED
        else:
            await complaint_triage.merge_complaint(context.rt, origin, public_id, message.text)
            reply = texts.merged(t, public_id, message.text.strip())
            how = group_texts.TRIAGE_MERGED
    except InvalidInput as exc:
        await message.reply_text(error_text(t, exc))
        return step
    except DubanError as exc:
        await message.reply_text(error_text(t, exc))
        user_data(context).pop(TRIAGING, None)
        return END
    user_data(context).pop(TRIAGING, None)
    name = actor.name if actor is not None else ""
    await stamp_group_copies(context.rt, context.bot, public_id, name, how)
    await message.reply_text(stamped(update, context, reply, name, group_texts.TRIAGED))
    return END


async def reason_typed(update: Update, context: DubanContext) -> int:
    return await triage_text(update, context, TriageStep.REASON)


async def answer_typed(update: Update, context: DubanContext) -> int:
    return await triage_text(update, context, TriageStep.ANSWER)


async def merge_typed(update: Update, context: DubanContext) -> int:
    return await triage_text(update, context, TriageStep.MERGE)


async def triage_cancel(update: Update, context: DubanContext) -> int:
    user_data(context).pop(TRIAGING, None)
    message = update.effective_message
    if message is not None:
        await message.reply_text(texts.triage_stopped(context.text_for(None)))
    return END


def register(application: BotApplication) -> None:
    """Add the triage conversation; call after :func:`handlers.complaints.register`."""
    private = filters.ChatType.PRIVATE
    here = private | (filters.ChatType.GROUPS & filters.REPLY)  # a group: replies to the bot
    text = filters.TEXT & ~filters.COMMAND & here
    add_kept_conversation(
        application,
        TRIAGING,
        entry_points=[CallbackQueryHandler(triage, pattern=rf"^{TRIAGE}:")],
        states={
            TriageStep.REASON: [MessageHandler(text, reason_typed)],
            TriageStep.ANSWER: [MessageHandler(text, answer_typed)],
            TriageStep.MERGE: [MessageHandler(text, merge_typed)],
        },
        fallbacks=[CommandHandler("cancel", triage_cancel, filters=private)],
        max_age=TRIAGE_MAX_AGE,
    )
