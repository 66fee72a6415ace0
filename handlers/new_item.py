"""/new (立项) in chat, and the approvers' and the office's buttons (审核, 基层减负).

The /new conversation asks, one step each: title → body → source → class → lead unit →
co-units → leader → due date → preview → submit. The draft is ``context.user_data[DRAFT]``
while an update is handled and lives in the database (``chat_conversations``) between updates,
as do the step and the reason being asked for a returned draft, so any instance may take the
next update; a draft untouched for a day is dropped. Every step's buttons sit on the
conversation's latest message, and a button pressed on an older message gets the polite
stale-button answer.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain import callbacks
from domain.deadlines import local_date, milestones
from domain.errors import DubanError, InvalidInput
from domain.registration import parse_day
from domain.text import utf16_len
from domain.vocabulary import Source, TimeClass
from handlers.context import BotState, DubanContext, keep_in_database
from handlers.start import answer_bad_callback
from services.actors import Actor
from services.approval import approve_item, check_decision, return_item
from services.choices import UnitWithPeople, list_leaders, list_units
from services.items import BODY_MAX, TITLE_MAX, ItemDraft, Origin
from services.registration import Outcome, dispatch_draft, resubmit_item, submit_item
from texts import Text
from texts import items as item_texts
from texts import registration as texts

NEW = callbacks.NEW_ITEM
DRAFT = "new_item"
RETURNING = "return_draft"
PAGE_SIZE = 6
END = ConversationHandler.END
# A conversation untouched this long no longer holds the person's next message.
MAX_AGE = timedelta(days=1)


class Step(IntEnum):
    TITLE = 1
    BODY = 2
    SOURCE = 3
    CLASS = 4
    LEAD = 5
    CO_UNITS = 6
    LEADER = 7
    DUE = 8
    PREVIEW = 9


class ReturnStep(IntEnum):
    REASON = 1


# --- small helpers ---------------------------------------------------------------------------


def _draft(context: DubanContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {})
    return draft


def _button(label: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.make(NEW, *args))


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _cancel_row(t: Text) -> list[InlineKeyboardButton]:
    return [_button(t.raw(texts.CANCEL), "cancel")]


async def _office_actor(update: Update, context: DubanContext) -> Actor | None:
    actor = await context.actor(update)
    return actor if actor is not None and actor.is_office else None


async def _pressed(update: Update, context: DubanContext) -> callbacks.Callback | None:
    """The pressed button of the conversation's latest message, or None (answered as stale)."""
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    message = query.message
    try:
        data = callbacks.parse(query.data, prefixes=frozenset({NEW}))
    except callbacks.BadCallback:
        data = None
    if data is None or message is None or message.message_id != draft.get("message_id"):
        t = context.text_for(await context.actor(update))
        await query.answer(texts.stale(t), show_alert=True)
        return None
    await query.answer()
    return data


async def _show(
    update: Update,
    context: DubanContext,
    text: str,
    keyboard: list[list[InlineKeyboardButton]] | None,
    *,
    edit: bool,
) -> None:
    """Show a step: edit the pressed message in place, or send a new one (after typed text)."""
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    query = update.callback_query
    if edit and query is not None:
        await query.edit_message_text(text, reply_markup=markup)
        return
    message = update.effective_message
    assert message is not None
    sent = await message.reply_text(text, reply_markup=markup)
    _draft(context)["message_id"] = sent.message_id


# --- the /new conversation ---------------------------------------------------------------------


async def start_new(update: Update, context: DubanContext) -> int:
    message = update.effective_message
    assert message is not None and context.user_data is not None
    actor = await _office_actor(update, context)
    t = context.text_for(actor or await context.actor(update))
    if actor is None:
        await message.reply_text(texts.office_only(t))
        return END
    context.user_data[DRAFT] = {}
    sent = await message.reply_text(texts.ask_title(t))
    _draft(context)["message_id"] = sent.message_id
    return Step.TITLE


async def got_title(update: Update, context: DubanContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.text_for(await context.actor(update))
    title = " ".join(message.text.split())
    if not title or utf16_len(title) > TITLE_MAX or "\n" in message.text.strip():
        await message.reply_text(texts.title_bad(t, TITLE_MAX))
        return Step.TITLE
    _draft(context)["title"] = title
    sent = await message.reply_text(texts.ask_body(t))
    _draft(context)["message_id"] = sent.message_id
    return Step.BODY


async def got_body(update: Update, context: DubanContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.text_for(await context.actor(update))
    body = message.text.strip()
    if utf16_len(body) > BODY_MAX:
        await message.reply_text(texts.body_bad(t, BODY_MAX))
        return Step.BODY
    _draft(context)["body"] = body
    await _show(update, context, texts.ask_source(t), _source_keyboard(t), edit=False)
    return Step.SOURCE


def _source_keyboard(t: Text) -> list[list[InlineKeyboardButton]]:
    buttons = [_button(t.raw(item_texts.SOURCE_NAMES[s]), "src", s.value) for s in Source]
    return [*_rows(buttons), _cancel_row(t)]


async def chose_source(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    try:
        source = Source(data.arg(1))
    except ValueError:
        return None
    _draft(context)["source"] = source.value
    t = context.text_for(await context.actor(update))
    buttons = [_button(t.raw(item_texts.CLASS_NAMES[c]), "cls", c.value) for c in TimeClass]
    await _show(update, context, texts.ask_class(t), [*_rows(buttons), _cancel_row(t)], edit=True)
    return Step.CLASS


async def chose_class(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    try:
        time_class = TimeClass(data.arg(1))
    except ValueError:
        return None
    draft = _draft(context)
    draft["class"] = time_class.value
    draft.pop("due", None)
    t = context.text_for(await context.actor(update))
    await _show_units(update, context, t, "lead", page=0, search=None, edit=True)
    return Step.LEAD


# --- units: paged buttons, or type to search ---------------------------------------------------


def _matching(units: list[UnitWithPeople], search: str | None) -> list[UnitWithPeople]:
    if not search:
        return units
    needle = search.strip().lower()
    return [u for u in units if needle in u.name.lower() or needle == u.key.lower()]


async def _show_units(
    update: Update,
    context: DubanContext,
    t: Text,
    kind: str,
    *,
    page: int,
    search: str | None,
    edit: bool,
    prefix: str | None = None,
) -> None:
    draft = _draft(context)
    units = await list_units(context.rt)
    names = {u.key: u.name for u in units}
    if kind == "co":
        units = [u for u in units if u.key != draft.get("lead")]
    shown = _matching(units, search)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    draft["page"], draft["search"] = page, search
    chosen = set(draft.get("co", []))
    buttons = []
    for unit in shown[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        if kind == "lead":
            buttons.append(_button(unit.name, "lead", unit.key))
        else:
            mark = "☑️ " if unit.key in chosen else ""
            buttons.append(_button(mark + unit.name, "co", unit.key))
    keyboard = _rows(buttons)
    paging = []
    if page > 0:
        paging.append(_button(t.raw(texts.PREVIOUS), "pg", kind, page - 1))
    if page < pages - 1:
        paging.append(_button(t.raw(texts.NEXT), "pg", kind, page + 1))
    if paging:
        keyboard.append(paging)
    if kind == "co":
        done = texts.DONE if chosen else texts.NO_CO_UNITS
        keyboard.append([_button(t.raw(done), "codone")])
        text = texts.ask_co_units(
            t, names.get(draft.get("lead", ""), ""), [names[k] for k in draft.get("co", [])], search
        )
    else:
        text = texts.ask_lead(t, search)
    keyboard.append(_cancel_row(t))
    if prefix:
        text = prefix + "\n\n" + text
    await _show(update, context, text, keyboard, edit=edit)


async def unit_page(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    kind = data.arg(1)
    if kind not in ("lead", "co"):
        return None
    draft = _draft(context)
    t = context.text_for(await context.actor(update))
    await _show_units(
        update, context, t, kind, page=data.int_arg(2), search=draft.get("search"), edit=True
    )
    return None  # same step


async def search_units(update: Update, context: DubanContext) -> int | None:
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.text_for(await context.actor(update))
    kind = "co" if context.user_data is not None and _draft(context).get("lead") else "lead"
    search = message.text.strip()[:40]
    units = await list_units(context.rt)
    if kind == "co":
        units = [u for u in units if u.key != _draft(context).get("lead")]
    if not _matching(units, search):
        await _show_units(
            update,
            context,
            t,
            kind,
            page=0,
            search=None,
            edit=False,
            prefix=texts.no_unit_match(t, search),
        )
        return None
    await _show_units(update, context, t, kind, page=0, search=search, edit=False)
    return None


async def chose_lead(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    key = data.arg(1)
    units = {u.key: u for u in await list_units(context.rt)}
    if key not in units:
        return None
    draft = _draft(context)
    draft["lead"] = key
    draft["co"] = [k for k in draft.get("co", []) if k != key]
    draft["leader"] = units[key].leader
    t = context.text_for(await context.actor(update))
    await _show_units(update, context, t, "co", page=0, search=None, edit=True)
    return Step.CO_UNITS


async def toggle_co_unit(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    key = data.arg(1)
    draft = _draft(context)
    if key == draft.get("lead") or key not in {u.key for u in await list_units(context.rt)}:
        return None
    chosen: list[str] = draft.setdefault("co", [])
    if key in chosen:
        chosen.remove(key)
    else:
        chosen.append(key)
    t = context.text_for(await context.actor(update))
    await _show_units(
        update,
        context,
        t,
        "co",
        page=draft.get("page", 0),
        search=draft.get("search"),
        edit=True,
    )
    return None


async def co_units_done(update: Update, context: DubanContext) -> int | None:
    if await _pressed(update, context) is None:
        return None
    t = context.text_for(await context.actor(update))
    draft = _draft(context)
    leaders = await list_leaders(context.rt)
    default = draft.get("leader")
    buttons = []
    for leader in sorted(leaders, key=lambda p: p.key != default):
        label = (
            t.raw(texts.DEFAULT_MARK).format(name=leader.name)
            if leader.key == default
            else leader.name
        )
        buttons.append(_button(label, "ldr", leader.key))
    default_name = next((p.name for p in leaders if p.key == default), None)
    keyboard = [*_rows(buttons), _cancel_row(t)]
    await _show(update, context, texts.ask_leader(t, default_name), keyboard, edit=True)
    return Step.LEADER


# --- leader, due date, preview -----------------------------------------------------------------


def _default_due(context: DubanContext) -> tuple[date | None, bool]:
    """The due date the class gives from now, and whether the class needs one typed instead."""
    rt = context.rt
    try:
        marks = milestones(
            TimeClass(_draft(context)["class"]), rt.clock.now(), rt.policy, rt.calendar, rt.tz
        )
    except InvalidInput:
        return None, True
    return marks.due, False


async def chose_leader(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    key = data.arg(1)
    if key not in {p.key for p in await list_leaders(context.rt)}:
        return None
    _draft(context)["leader"] = key
    t = context.text_for(await context.actor(update))
    due, needs_date = _default_due(context)
    class_name = t.raw(item_texts.CLASS_NAMES[_draft(context)["class"]])
    keyboard = [] if needs_date else [[_button(t.raw(texts.KEEP_DATE), "due", "ok")]]
    keyboard.append(_cancel_row(t))
    await _show(update, context, texts.ask_due(t, class_name, due, needs_date), keyboard, edit=True)
    return Step.DUE


async def keep_due(update: Update, context: DubanContext) -> int | None:
    if await _pressed(update, context) is None:
        return None
    _draft(context).pop("due", None)
    await _show_preview(update, context, edit=True)
    return Step.PREVIEW


async def typed_due(update: Update, context: DubanContext) -> int | None:
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.text_for(await context.actor(update))
    today = local_date(context.rt.clock.now(), context.rt.tz)
    day = parse_day(message.text, today)
    if day is None:
        await message.reply_text(texts.due_not_a_date(t))
        return None
    if day < today:
        await message.reply_text(texts.due_in_past(t))
        return None
    _draft(context)["due"] = day.isoformat()
    await _show_preview(update, context, edit=False)
    return Step.PREVIEW


async def _card(context: DubanContext) -> texts.Card:
    draft = _draft(context)
    units = {u.key: u.name for u in await list_units(context.rt)}
    leaders = {p.key: p.name for p in await list_leaders(context.rt)}
    due = date.fromisoformat(draft["due"]) if draft.get("due") else _default_due(context)[0]
    return texts.Card(
        title=draft["title"],
        body=draft.get("body", ""),
        source=draft["source"],
        time_class=draft["class"],
        lead=units.get(draft["lead"], draft["lead"]),
        co_units=tuple(units.get(k, k) for k in draft.get("co", [])),
        leader=leaders.get(draft.get("leader") or ""),
        due=due,
    )


async def _show_preview(update: Update, context: DubanContext, *, edit: bool) -> None:
    t = context.text_for(await context.actor(update))
    keyboard = [[_button(t.raw(texts.SUBMIT), "submit"), _button(t.raw(texts.CANCEL), "cancel")]]
    await _show(update, context, texts.preview(t, await _card(context)), keyboard, edit=edit)


async def submit(update: Update, context: DubanContext) -> int | None:
    if await _pressed(update, context) is None:
        return None
    query = update.callback_query
    assert query is not None and context.user_data is not None
    actor = await context.actor(update)
    t = context.text_for(actor)
    draft = context.user_data.pop(DRAFT, {})
    item = ItemDraft(
        title=draft["title"],
        body=draft.get("body", ""),
        source=Source(draft["source"]),
        time_class=TimeClass(draft["class"]),
        lead_unit=draft["lead"],
        co_units=tuple(draft.get("co", [])),
        leader=draft.get("leader"),
        due=date.fromisoformat(draft["due"]) if draft.get("due") else None,
    )
    try:
        result = await submit_item(context.rt, Origin(actor), item)
    except DubanError as exc:
        await query.edit_message_text(texts.failed(t, t(exc.key, **exc.params)))
        return END
    view = result.item
    if result.outcome is Outcome.PENDING_APPROVAL:
        await query.edit_message_text(texts.submitted_for_approval(t, view))
    elif result.outcome is Outcome.LOAD_WARNING:
        button = InlineKeyboardButton(
            t.raw(texts.DISPATCH_ANYWAY),
            callback_data=callbacks.make(callbacks.CONFIRM_LOAD, view.ref),
        )
        await query.edit_message_text(
            texts.load_warning(t, view, result.warnings),
            reply_markup=InlineKeyboardMarkup([[button]]),
        )
    else:
        await query.edit_message_text(texts.dispatched(t, view))
    return END


async def cancel(update: Update, context: DubanContext) -> int | None:
    t = context.text_for(await context.actor(update))
    query = update.callback_query
    if query is not None:
        if await _pressed(update, context) is None:
            return None
        await query.edit_message_text(texts.cancelled(t))
    elif update.effective_message is not None:
        await update.effective_message.reply_text(texts.cancelled(t))
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    return END


async def stale_in_conversation(update: Update, context: DubanContext) -> None:
    """A /new button that does not fit the current step (or an older message)."""
    query = update.callback_query
    assert query is not None
    t = context.text_for(await context.actor(update))
    await query.answer(texts.stale(t), show_alert=True)


# --- approval, return, load confirmation -------------------------------------------------------


async def _decision_args(update: Update, prefix: str, with_step: bool) -> tuple[str, int | None]:
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data, prefixes=frozenset({prefix}))
    return data.arg(0), (data.int_arg(1) if with_step else None)


async def _refuse(update: Update, context: DubanContext, exc: DubanError) -> None:
    query = update.callback_query
    assert query is not None
    t = context.text_for(await context.actor(update))
    await query.answer(t(exc.key, **exc.params), show_alert=True)


async def approve_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    assert query is not None
    try:
        ref, step = await _decision_args(update, callbacks.APPROVE, True)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    actor = await context.actor(update)
    t = context.text_for(actor)
    try:
        decided = await approve_item(context.rt, Origin(actor), ref, step=step)
    except DubanError as exc:
        await _refuse(update, context, exc)
        return
    await query.answer()
    await query.edit_message_text(texts.approved_by_you(t, decided.item))


async def return_pressed(update: Update, context: DubanContext) -> int | None:
    query = update.callback_query
    assert query is not None and context.user_data is not None
    try:
        ref, step = await _decision_args(update, callbacks.RETURN_DRAFT, True)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return END
    actor = await context.actor(update)
    t = context.text_for(actor)
    try:
        view = await check_decision(context.rt, Origin(actor), ref, step=step)
    except DubanError as exc:
        await _refuse(update, context, exc)
        return END
    await query.answer()
    context.user_data[RETURNING] = {"ref": ref, "step": step}
    assert query.message is not None
    await context.bot.send_message(query.message.chat.id, texts.ask_return_reason(t, view))
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


async def resubmit_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    assert query is not None
    try:
        ref, _ = await _decision_args(update, callbacks.RESUBMIT, False)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    actor = await context.actor(update)
    t = context.text_for(actor)
    try:
        view = await resubmit_item(context.rt, Origin(actor), ref)
    except DubanError as exc:
        await _refuse(update, context, exc)
        return
    await query.answer()
    await query.edit_message_text(texts.resubmitted(t, view))


async def confirm_load_pressed(update: Update, context: DubanContext) -> None:
    query = update.callback_query
    assert query is not None
    try:
        ref, _ = await _decision_args(update, callbacks.CONFIRM_LOAD, False)
    except callbacks.BadCallback:
        await answer_bad_callback(update, context)
        return
    actor = await context.actor(update)
    t = context.text_for(actor)
    try:
        view = await dispatch_draft(context.rt, Origin(actor), ref)
    except DubanError as exc:
        await _refuse(update, context, exc)
        return
    await query.answer()
    await query.edit_message_text(texts.dispatched(t, view))


# --- wiring ------------------------------------------------------------------------------------


def _pattern(*parts: str) -> str:
    return "^" + ":".join(parts) + "(:|$)"


def register(application: Application[Any, DubanContext, Any, Any, BotState, Any]) -> None:
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & private
    new_item = ConversationHandler(
        entry_points=[CommandHandler("new", start_new, filters=private)],
        states={
            Step.TITLE: [MessageHandler(text, got_title)],
            Step.BODY: [MessageHandler(text, got_body)],
            Step.SOURCE: [CallbackQueryHandler(chose_source, pattern=_pattern(NEW, "src"))],
            Step.CLASS: [CallbackQueryHandler(chose_class, pattern=_pattern(NEW, "cls"))],
            Step.LEAD: [
                CallbackQueryHandler(chose_lead, pattern=_pattern(NEW, "lead")),
                CallbackQueryHandler(unit_page, pattern=_pattern(NEW, "pg")),
                MessageHandler(text, search_units),
            ],
            Step.CO_UNITS: [
                CallbackQueryHandler(toggle_co_unit, pattern=_pattern(NEW, "co")),
                CallbackQueryHandler(co_units_done, pattern=_pattern(NEW, "codone")),
                CallbackQueryHandler(unit_page, pattern=_pattern(NEW, "pg")),
                MessageHandler(text, search_units),
            ],
            Step.LEADER: [CallbackQueryHandler(chose_leader, pattern=_pattern(NEW, "ldr"))],
            Step.DUE: [
                CallbackQueryHandler(keep_due, pattern=_pattern(NEW, "due")),
                MessageHandler(text, typed_due),
            ],
            Step.PREVIEW: [CallbackQueryHandler(submit, pattern=_pattern(NEW, "submit"))],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=_pattern(NEW, "cancel")),
            CallbackQueryHandler(stale_in_conversation, pattern=_pattern(NEW)),
        ],
        allow_reentry=True,
        name=DRAFT,
    )
    returning = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(return_pressed, pattern=_pattern(callbacks.RETURN_DRAFT))
        ],
        states={ReturnStep.REASON: [MessageHandler(text, got_return_reason)]},
        fallbacks=[CommandHandler("cancel", cancel_return)],
        allow_reentry=True,
        name=RETURNING,
    )
    for conversation in (new_item, returning):
        application.add_handler(conversation)
        assert conversation.name is not None
        keep_in_database(application, conversation, data_key=conversation.name, max_age=MAX_AGE)
    application.add_handler(
        CallbackQueryHandler(approve_pressed, pattern=_pattern(callbacks.APPROVE))
    )
    application.add_handler(
        CallbackQueryHandler(resubmit_pressed, pattern=_pattern(callbacks.RESUBMIT))
    )
    application.add_handler(
        CallbackQueryHandler(confirm_load_pressed, pattern=_pattern(callbacks.CONFIRM_LOAD))
    )
