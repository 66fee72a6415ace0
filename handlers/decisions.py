"""Decisions in chat on a dispatched item: the unit head's 核签 (confirm, or decline with a
reason) and the office's 销号 / 退回 / 延期 / 回头看 (close, return, extension, follow-up).

A decision that needs a reason or a date asks for it as a reply prompt (:mod:`handlers.prompts`);
what a button may do is checked by the service before anything is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import follow_up_after
from domain.lifecycle import ItemAction
from domain.views import ItemView
from domain.vocabulary import ReportKind
from handlers.context import DubanContext
from handlers.conversations import BotApplication
from handlers.items import Press, ask_about, button, carry_out, check_then_ask, drop_buttons, markup
from handlers.prompts import Purpose
from services import archive, decisions, follow_up
from services.actors import Actor
from services.items import Origin
from services.runtime import Runtime
from texts import Text
from texts import archive as archive_texts
from texts import execution as texts

# --- the unit head: 核签 ---------------------------------------------------------------------


async def confirm_pressed(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.CONFIRM,
        lambda actor, data: decisions.confirm_completion(context.rt, actor, data.int_arg(0)),
    )
    if press is not None:
        await _decided(update, context, press, texts.confirmed_done(press.t))


async def decline_pressed(update: Update, context: DubanContext) -> None:
    """The unit head sends a completion report back: ask for the reason."""
    await _ask_reason_on_report(update, context, callbacks.DECLINE, ReportKind.COMPLETION)


# A pending report sent back (the head's) or refused (the office's) needs a reason: the
# question, and the purpose of the prompt that asks it.
REASONS = {
    ReportKind.COMPLETION: (texts.decline_reason_question, Purpose.DECLINE_REASON),
    ReportKind.EXTENSION: (texts.refuse_reason_question, Purpose.REFUSE_REASON),
}


async def _ask_reason_on_report(
    update: Update, context: DubanContext, prefix: str, kind: ReportKind
) -> None:
    """A decision on a pending report that needs a reason: check first, then ask for it."""
    question, purpose = REASONS[kind]

    async def act(actor: Actor, data: callbacks.Callback) -> tuple[ItemView, int]:
        report_id = data.int_arg(0)
        view = await decisions.check_pending_report(context.rt, actor, report_id, kind)
        return view, report_id

    press = await carry_out(update, context, prefix, act)
    if press is None:
        return
    view, report_id = press.result
    await press.query.answer()
    await ask_about(
        update, context, press.with_result(view), question, purpose, target=str(report_id)
    )


async def _decided(
    update: Update,
    context: DubanContext,
    press: Press[ItemView],
    reply: str,
    rows: list[list[Button]] | None = None,
) -> None:
    """A decision taken: answer the press, take the buttons off, say what was done (with the
    buttons of the next step, when there is one)."""
    await press.query.answer(reply)
    await drop_buttons(update, context, press.actor.name)
    await _say(update, context, texts.done(press.t, press.result, reply), rows)


# --- the office: 销号 / 退回 / 延期 / 回头看 ------------------------------------------------------


async def _say(
    update: Update, context: DubanContext, text: str, rows: Any = None
) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return await context.bot.send_message(chat.id, text, reply_markup=markup(rows or []))


def follow_up_buttons(t: Text, ref: str) -> list[list[Button]]:
    return [
        [
            button(t, texts.FOLLOW_UP_1M, callbacks.FOLLOW_UP, ref, "1m"),
            button(t, texts.FOLLOW_UP_3M, callbacks.FOLLOW_UP, ref, "3m"),
        ],
        [
            button(t, texts.FOLLOW_UP_DATE, callbacks.FOLLOW_UP, ref, "date"),
            button(t, texts.FOLLOW_UP_NONE, callbacks.FOLLOW_UP, ref, "none"),
        ],
    ]


async def close_pressed(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.CLOSE,
        lambda actor, data: decisions.close_item(context.rt, Origin(actor), data.arg(0)),
    )
    if press is None:
        return
    t, view = press.t, press.result
    await press.query.answer(texts.closed_done(t))
    await drop_buttons(update, context, press.actor.name)
    await _say(update, context, texts.follow_up_question(t, view), follow_up_buttons(t, view.ref))


async def return_pressed(update: Update, context: DubanContext) -> None:
    await check_then_ask(
        update,
        context,
        callbacks.RETURN,
        lambda actor, data: decisions.check_office_move(
            context.rt, Origin(actor), data.arg(0), ItemAction.RETURN_COMPLETION
        ),
        texts.return_reason_question,
        Purpose.RETURN_REASON,
    )


async def extension_approved(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.EXTENSION_OK,
        lambda actor, data: decisions.decide_extension(
            context.rt, Origin(actor), data.int_arg(0), approve=True
        ),
    )
    if press is None:
        return
    assert press.result.due is not None
    await _decided(update, context, press, texts.extension_approved_done(press.t, press.result.due))


async def extension_refused(update: Update, context: DubanContext) -> None:
    """The office refuses an extension request: ask for the reason."""
    await _ask_reason_on_report(update, context, callbacks.EXTENSION_NO, ReportKind.EXTENSION)


@dataclass(frozen=True)
class FollowedUp:
    """A follow-up choice carried out: the item, and what to say; with a ``purpose`` the choice
    still needs a typed answer, and what to say is the question."""

    view: ItemView
    say: Callable[[Text], str]
    purpose: Purpose | None = None
    archivable: bool = False  # the next step is archiving (立卷归档): offer its button


# The follow-up buttons that ask for a date: the office move they need, what they ask.
FOLLOW_UP_ASKS = {
    "date": (ItemAction.ARCHIVE, texts.follow_up_date_question, Purpose.FOLLOW_UP_DATE),
    "reopen": (ItemAction.REOPEN, texts.reopen_question, Purpose.REOPEN),  # 整改
}
FOLLOW_UP_MONTHS = {"1m": 1, "3m": 3}


async def _follow_up(rt: Runtime, origin: Origin, ref: str, choice: str) -> FollowedUp:
    if choice in FOLLOW_UP_MONTHS:
        on = follow_up_after(rt.clock.now(), rt.tz, FOLLOW_UP_MONTHS[choice])
        view = await follow_up.set_follow_up(rt, origin, ref, on)
        return FollowedUp(view, lambda t: texts.follow_up_set_done(t, on))
    if choice == "none":
        view = await decisions.check_office_move(rt, origin, ref, ItemAction.ARCHIVE)
        return FollowedUp(view, archive_texts.follow_up_none_done, archivable=True)
    if choice == "ok":
        view = await follow_up.follow_up_ok(rt, origin, ref)
        return FollowedUp(view, archive_texts.followed_up_done, archivable=True)
    if choice in FOLLOW_UP_ASKS:
        action, question, purpose = FOLLOW_UP_ASKS[choice]
        view = await decisions.check_office_move(rt, origin, ref, action)
        return FollowedUp(view, question, purpose)
    raise callbacks.BadCallback(choice)


async def follow_up_pressed(update: Update, context: DubanContext) -> None:
    """回头看: in 1 or 3 months, on a typed date, or none; on the day, all well or reopen."""
    press = await carry_out(
        update,
        context,
        callbacks.FOLLOW_UP,
        lambda actor, data: _follow_up(context.rt, Origin(actor), data.arg(0), data.arg(1)),
    )
    if press is None:
        return
    done = press.result
    if done.purpose is None:
        rows = archive_buttons(press.t, done.view.ref) if done.archivable else None
        await _decided(update, context, press.with_result(done.view), done.say(press.t), rows)
        return
    await press.query.answer()
    await ask_about(update, context, press.with_result(done.view), done.say, done.purpose)


# --- the office: 立卷归档 ------------------------------------------------------------------------


def archive_buttons(t: Text, ref: str) -> list[list[Button]]:
    return [[button(t, archive_texts.ARCHIVE, callbacks.ARCHIVE, ref)]]


async def archive_pressed(update: Update, context: DubanContext) -> None:
    press = await carry_out(
        update,
        context,
        callbacks.ARCHIVE,
        lambda actor, data: archive.archive_item(context.rt, Origin(actor), data.arg(0)),
    )
    if press is None:
        return
    await press.query.answer()
    await drop_buttons(update)
    await _say(update, context, archive_texts.archived_done(press.t, press.result))


# --- wiring ------------------------------------------------------------------------------------


def register(application: BotApplication) -> None:
    """Wire the heads' and the office's decision buttons into the application."""
    for prefix, callback in (
        (callbacks.CONFIRM, confirm_pressed),
        (callbacks.DECLINE, decline_pressed),
        (callbacks.CLOSE, close_pressed),
        (callbacks.RETURN, return_pressed),
        (callbacks.EXTENSION_OK, extension_approved),
        (callbacks.EXTENSION_NO, extension_refused),
        (callbacks.FOLLOW_UP, follow_up_pressed),
        (callbacks.ARCHIVE, archive_pressed),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=rf"^{prefix}:"))
