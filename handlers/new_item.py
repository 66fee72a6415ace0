"""/new (立项) in chat: the office registers an item, one step at a time.

The conversation asks, one step each: title → body → source → class → lead unit → co-units →
leader → due date → preview (where it may be marked 内部, internal) → submit. The draft
(:class:`~handlers.new_item_draft.Draft`) is ``context.user_data[DRAFT]`` while an update is
handled and lives in the database (``chat_conversations``) between updates, as does the step,
so any instance may take the next update; a draft untouched for a day is dropped. Every step's
buttons sit on the conversation's latest message, and a button pressed on an older message
gets the polite stale-button answer.
The approvers' and the office's buttons on a registered item are in :mod:`handlers.approval`.
"""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain import callbacks
from domain.deadlines import local_date
from domain.errors import DubanError, InvalidInput
from domain.registration import ProposedDue, proposed_due, typed_due
from domain.text import utf16_len
from domain.vocabulary import Source, TimeClass
from handlers.context import DubanContext
from handlers.conversations import END, BotApplication, add_kept_conversation
from handlers.new_item_draft import Draft
from services.choices import UnitWithPeople, list_leaders, list_units
from services.items import BODY_MAX, TITLE_MAX, Origin
from services.registration import Outcome, submit_item
from texts import Text
from texts import items as item_texts
from texts import registration as texts

NEW = callbacks.NEW_ITEM
DRAFT = "new_item"
PAGE_SIZE = 6
# A conversation untouched this long no longer holds the person's next message.
MAX_AGE = timedelta(days=1)

Keyboard = list[list[InlineKeyboardButton]]


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


# --- the draft and the conversation's latest message -------------------------------------------


def _draft(context: DubanContext) -> Draft:
    assert context.user_data is not None
    return Draft.from_json(context.user_data.get(DRAFT) or {})


def _keep(context: DubanContext, draft: Draft) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT] = draft.to_json()


def _button(label: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.make(NEW, *args))


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> Keyboard:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _cancel_row(t: Text) -> list[InlineKeyboardButton]:
    return [_button(t.raw(texts.CANCEL), "cancel")]


async def _typed(update: Update, context: DubanContext) -> tuple[Message, str, Text]:
    """The message typed at a step, its text, and the texts in the person's language."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return message, message.text, context.text_for(await context.actor(update))


async def _pressed(update: Update, context: DubanContext) -> callbacks.Callback | None:
    """The pressed button of the conversation's latest message, or None (answered as stale)."""
    query = update.callback_query
    assert query is not None
    message = query.message
    try:
        data = callbacks.parse(query.data, prefixes=frozenset({NEW}))
    except callbacks.BadCallback:
        data = None
    if data is None or message is None or message.message_id != _draft(context).message_id:
        t = context.text_for(await context.actor(update))
        await query.answer(texts.stale(t), show_alert=True)
        return None
    await query.answer()
    return data


async def _show(
    update: Update, context: DubanContext, draft: Draft, text: str, keyboard: Keyboard | None
) -> None:
    """Show a step: after a button, edit its message in place; after typed text, send a new
    message, which becomes the conversation's latest. The draft is kept as it now stands."""
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    query = update.callback_query
    if query is not None:
        await query.edit_message_text(text, reply_markup=markup)
    else:
        message = update.effective_message
        assert message is not None
        sent = await message.reply_text(text, reply_markup=markup)
        draft.message_id = sent.message_id
    _keep(context, draft)


# --- title, body, source, class ----------------------------------------------------------------


async def start_new(update: Update, context: DubanContext) -> int:
    message = update.effective_message
    assert message is not None
    actor = await context.actor(update)
    t = context.text_for(actor)
    if actor is None or not actor.is_office:
        await message.reply_text(texts.office_only(t))
        return END
    await _show(update, context, Draft(), texts.ask_title(t), None)
    return Step.TITLE


async def got_title(update: Update, context: DubanContext) -> int:
    message, typed, t = await _typed(update, context)
    title = " ".join(typed.split())
    if not title or utf16_len(title) > TITLE_MAX or "\n" in typed.strip():
        await message.reply_text(texts.title_bad(t, TITLE_MAX))
        return Step.TITLE
    draft = _draft(context)
    draft.title = title
    await _show(update, context, draft, texts.ask_body(t), None)
    return Step.BODY


async def got_body(update: Update, context: DubanContext) -> int:
    message, typed, t = await _typed(update, context)
    body = typed.strip()
    if utf16_len(body) > BODY_MAX:
        await message.reply_text(texts.body_bad(t, BODY_MAX))
        return Step.BODY
    draft = _draft(context)
    draft.body = body
    buttons = [_button(t.raw(item_texts.SOURCE_NAMES[s]), "src", s.value) for s in Source]
    keyboard = [*_rows(buttons), _cancel_row(t)]
    await _show(update, context, draft, texts.ask_source(t), keyboard)
    return Step.SOURCE


async def chose_source(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    try:
        source = Source(data.arg(1))
    except ValueError:
        return None
    draft = _draft(context)
    draft.source = source
    t = context.text_for(await context.actor(update))
    buttons = [_button(t.raw(item_texts.CLASS_NAMES[c]), "cls", c.value) for c in TimeClass]
    keyboard = [*_rows(buttons), _cancel_row(t)]
    await _show(update, context, draft, texts.ask_class(t), keyboard)
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
    draft.time_class = time_class
    draft.due = None
    t = context.text_for(await context.actor(update))
    await _show_units(update, context, t, draft, "lead", page=0, search=None)
    return Step.LEAD


# --- units: paged buttons, or type to search ---------------------------------------------------


def _matching(units: list[UnitWithPeople], search: str | None) -> list[UnitWithPeople]:
    if not search:
        return units
    needle = search.strip().lower()
    return [u for u in units if needle in u.name.lower() or needle == u.key.lower()]


def _unit_buttons(
    t: Text, draft: Draft, kind: str, shown: list[UnitWithPeople], page: int, pages: int
) -> Keyboard:
    """One page of units (a co-unit chosen already is ticked), and the paging buttons."""
    buttons = []
    for unit in shown[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        if kind == "lead":
            buttons.append(_button(unit.name, "lead", unit.key))
        else:
            mark = "☑️ " if unit.key in draft.co else ""
            buttons.append(_button(mark + unit.name, "co", unit.key))
    keyboard = _rows(buttons)
    paging = []
    if page > 0:
        paging.append(_button(t.raw(texts.PREVIOUS), "pg", kind, page - 1))
    if page < pages - 1:
        paging.append(_button(t.raw(texts.NEXT), "pg", kind, page + 1))
    if paging:
        keyboard.append(paging)
    return keyboard


async def _show_units(
    update: Update,
    context: DubanContext,
    t: Text,
    draft: Draft,
    kind: str,
    *,
    page: int,
    search: str | None,
    prefix: str | None = None,
) -> None:
    units = await list_units(context.rt)
    names = {u.key: u.name for u in units}
    if kind == "co":
        units = [u for u in units if u.key != draft.lead]
    shown = _matching(units, search)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    draft.page, draft.search = page, search
    keyboard = _unit_buttons(t, draft, kind, shown, page, pages)
    if kind == "co":
        done = texts.DONE if draft.co else texts.NO_CO_UNITS
        keyboard.append([_button(t.raw(done), "codone")])
        lead = names.get(draft.lead or "", "")
        text = texts.ask_co_units(t, lead, [names[k] for k in draft.co], search)
    else:
        text = texts.ask_lead(t, search)
    keyboard.append(_cancel_row(t))
    if prefix:
        text = prefix + "\n\n" + text
    await _show(update, context, draft, text, keyboard)


async def unit_page(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    kind = data.arg(1)
    if kind not in ("lead", "co"):
        return None
    draft = _draft(context)
    t = context.text_for(await context.actor(update))
    await _show_units(update, context, t, draft, kind, page=data.int_arg(2), search=draft.search)
    return None  # same step


async def search_units(update: Update, context: DubanContext) -> int | None:
    _, typed, t = await _typed(update, context)
    draft = _draft(context)
    kind = "co" if draft.lead else "lead"
    search = typed.strip()[:40]
    units = await list_units(context.rt)
    if kind == "co":
        units = [u for u in units if u.key != draft.lead]
    if not _matching(units, search):
        await _show_units(
            update,
            context,
            t,
            draft,
            kind,
            page=0,
            search=None,
            prefix=texts.no_unit_match(t, search),
        )
        return None
    await _show_units(update, context, t, draft, kind, page=0, search=search)
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
    draft.lead = key
    draft.co = [k for k in draft.co if k != key]
    draft.leader = units[key].leader
    t = context.text_for(await context.actor(update))
    await _show_units(update, context, t, draft, "co", page=0, search=None)
    return Step.CO_UNITS


async def toggle_co_unit(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    key = data.arg(1)
    draft = _draft(context)
    if key == draft.lead or key not in {u.key for u in await list_units(context.rt)}:
        return None
    if key in draft.co:
        draft.co.remove(key)
    else:
        draft.co.append(key)
    t = context.text_for(await context.actor(update))
    await _show_units(update, context, t, draft, "co", page=draft.page or 0, search=draft.search)
    return None


async def co_units_done(update: Update, context: DubanContext) -> int | None:
    if await _pressed(update, context) is None:
        return None
    t = context.text_for(await context.actor(update))
    draft = _draft(context)
    leaders = await list_leaders(context.rt)
    default = draft.leader
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
    await _show(update, context, draft, texts.ask_leader(t, default_name), keyboard)
    return Step.LEADER


# --- leader, due date, preview -----------------------------------------------------------------


def _proposed_due(context: DubanContext, draft: Draft) -> ProposedDue:
    rt = context.rt
    assert draft.time_class is not None
    return proposed_due(draft.time_class, rt.clock.now(), rt.policy, rt.calendar, rt.tz)


async def chose_leader(update: Update, context: DubanContext) -> int | None:
    data = await _pressed(update, context)
    if data is None:
        return None
    key = data.arg(1)
    if key not in {p.key for p in await list_leaders(context.rt)}:
        return None
    draft = _draft(context)
    draft.leader = key
    t = context.text_for(await context.actor(update))
    proposed = _proposed_due(context, draft)
    assert draft.time_class is not None
    class_name = t.raw(item_texts.CLASS_NAMES[draft.time_class])
    keyboard = [] if proposed.must_type else [[_button(t.raw(texts.KEEP_DATE), "due", "ok")]]
    keyboard.append(_cancel_row(t))
    text = texts.ask_due(t, class_name, proposed.due, proposed.must_type)
    await _show(update, context, draft, text, keyboard)
    return Step.DUE


async def keep_due(update: Update, context: DubanContext) -> int | None:
    if await _pressed(update, context) is None:
        return None
    draft = _draft(context)
    draft.due = None
    await _show_preview(update, context, draft)
    return Step.PREVIEW


async def got_due(update: Update, context: DubanContext) -> int | None:
    message, typed, t = await _typed(update, context)
    draft = _draft(context)
    try:
        draft.due = typed_due(typed, local_date(context.rt.clock.now(), context.rt.tz))
    except InvalidInput as exc:  # not a date, or a past one
        await message.reply_text(t(exc.key, **exc.params))
        return None
    await _show_preview(update, context, draft)
    return Step.PREVIEW


async def _card(context: DubanContext, draft: Draft) -> texts.Card:
    units = {u.key: u.name for u in await list_units(context.rt)}
    leaders = {p.key: p.name for p in await list_leaders(context.rt)}
    assert draft.title is not None and draft.source is not None
    assert draft.time_class is not None and draft.lead is not None
    return texts.Card(
        title=draft.title,
        body=draft.body or "",
        source=draft.source,
        time_class=draft.time_class,
        lead=units.get(draft.lead, draft.lead),
        co_units=tuple(units.get(k, k) for k in draft.co),
        leader=leaders.get(draft.leader or ""),
        due=draft.due or _proposed_due(context, draft).due,
        confidential=draft.confidential,
    )


async def _show_preview(update: Update, context: DubanContext, draft: Draft) -> None:
    t = context.text_for(await context.actor(update))
    mark = texts.MAKE_OPEN if draft.confidential else texts.MAKE_CONFIDENTIAL
    keyboard = [
        [_button(t.raw(mark), "conf")],
        [_button(t.raw(texts.SUBMIT), "submit"), _button(t.raw(texts.CANCEL), "cancel")],
    ]
    text = texts.preview(t, await _card(context, draft))
    await _show(update, context, draft, text, keyboard)


async def toggle_confidential(update: Update, context: DubanContext) -> int | None:
    """The preview's 内部 button: the item goes to no work group (pressed again: it may)."""
    if await _pressed(update, context) is None:
        return None
    draft = _draft(context)
    draft.confidential = not draft.confidential
    await _show_preview(update, context, draft)
    return None


async def submit(update: Update, context: DubanContext) -> int | None:
    if await _pressed(update, context) is None:
        return None
    query = update.callback_query
    assert query is not None and context.user_data is not None
    actor = await context.actor(update)
    t = context.text_for(actor)
    draft = _draft(context)
    context.user_data.pop(DRAFT, None)
    try:
        result = await submit_item(context.rt, Origin(actor), draft.item())
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


# --- wiring ------------------------------------------------------------------------------------


def _pattern(*parts: str) -> str:
    return "^" + ":".join(parts) + "(:|$)"


def register(application: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & private
    add_kept_conversation(
        application,
        DRAFT,
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
                MessageHandler(text, got_due),
            ],
            Step.PREVIEW: [
                CallbackQueryHandler(submit, pattern=_pattern(NEW, "submit")),
                CallbackQueryHandler(toggle_confidential, pattern=_pattern(NEW, "conf")),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=_pattern(NEW, "cancel")),
            CallbackQueryHandler(stale_in_conversation, pattern=_pattern(NEW)),
        ],
        max_age=MAX_AGE,
    )
