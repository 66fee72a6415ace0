"""Questions answered by replying (Telegram's ForceReply): a reason, a date, an instruction.

A prompt is remembered with its :class:`Purpose` (stored as its text value) and what it is
about (an item ref or a report id); the typed reply is carried out by that purpose's entry in
:data:`ANSWERS`. A reply to a report's content prompt goes to :mod:`handlers.reports` instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from telegram import ForceReply, Update

from domain import callbacks
from domain.dates import NotADate, find_date, parse_day
from domain.deadlines import local_date
from domain.referrals import ReferralIncomplete, parse_referral
from domain.talks import TalkRecordIncomplete, parse_talk_record
from domain.views import ItemView
from handlers.context import DubanContext
from services import (
    decisions,
    execution,
    follow_up,
    public_notices,
    referrals,
    satisfaction,
    talks,
)
from services import prompts as stored_prompts
from services.actors import Actor
from services.items import Origin
from services.runtime import Runtime
from texts import Text
from texts import execution as texts
from texts import notices as notice_texts
from texts import referrals as referral_texts
from texts import satisfaction as satisfaction_texts
from texts import talks as talk_texts


class Purpose(StrEnum):
    """What a prompt asks for; the values are stored with each prompt (``chat_prompts``)."""

    RETURN_REASON = "return"  # the office returns a completion report
    REFUSE_REASON = "refuse"  # the office refuses an extension request
    DECLINE_REASON = "decline"  # the unit head sends a completion report back
    INSTRUCTION = "instruct"  # a leader's instruction (批示)
    FOLLOW_UP_DATE = "follow_up_date"  # the date of the follow-up check (回头看)
    REOPEN = "reopen"  # the new due date and what must be rectified (整改)
    CONTENT = "content"  # a report's text and files (handlers.reports)
    TALK_RECORD = "talk"  # the office's record of a talk held (约谈)
    REFERRAL = "referral"  # a referral for accountability (问责建议)
    NOTICE_TEXT = "notice"  # the new text of a draft notice (通报)
    REVIEW_REOPEN = "review_reopen"  # a complaint's review fails: the new due date (整改)
    REVIEW_UPHOLD = "review_uphold"  # a complaint's answer upheld: the office's reason


async def ask(
    update: Update,
    context: DubanContext,
    actor: Actor,
    text: str,
    *,
    item_id: int | None,
    purpose: Purpose,
    target: str,
) -> None:
    """Send a question the person answers by replying (Telegram's ForceReply)."""
    chat = update.effective_chat
    if chat is None:
        return
    sent = await context.bot.send_message(chat.id, text, reply_markup=ForceReply(selective=True))
    await stored_prompts.remember_prompt(
        context.rt,
        actor,
        chat_id=chat.id,
        message_id=sent.message_id,
        item_id=item_id,
        purpose=purpose.value,
        target=target,
    )


@dataclass(frozen=True)
class Reply:
    """A typed answer to a prompt: by whom, about what (``target``), saying what."""

    rt: Runtime
    actor: Actor
    t: Text
    target: str
    text: str

    @property
    def origin(self) -> Origin:
        return Origin(self.actor)

    @property
    def today(self) -> date:
        return local_date(self.rt.clock.now(), self.rt.tz)


# The item after the answer was carried out (None: the answer is about no item), and what to
# tell the person.
Answered = tuple[ItemView | None, str]


async def _return_completion(r: Reply) -> Answered:
    view = await decisions.return_completion(r.rt, r.origin, r.target, r.text)
    return view, texts.returned_done(r.t)


async def _refuse_extension(r: Reply) -> Answered:
    target = int(r.target)
    view = await decisions.decide_extension(r.rt, r.origin, target, approve=False, reason=r.text)
    return view, texts.extension_refused_done(r.t)


async def _decline_completion(r: Reply) -> Answered:
    view = await decisions.decline_completion(r.rt, r.actor, int(r.target), r.text)
    return view, texts.declined_done(r.t)


async def _instruct(r: Reply) -> Answered:
    view = await execution.instruct(r.rt, r.actor, r.target, r.text)
    return view, texts.instruction_done(r.t)


async def _set_follow_up(r: Reply) -> Answered:
    on = find_date(r.text, r.today)
    view = await follow_up.set_follow_up(r.rt, r.origin, r.target, on)
    return view, texts.follow_up_set_done(r.t, on)


def _due_and_problems(r: Reply) -> tuple[date, list[str]]:
    """The date on the first line, a problem on each line after it; one line is date and
    problem."""
    first, *rest = [line for line in r.text.splitlines() if line.strip()] or [""]
    due = find_date(first, r.today)
    only_date = not rest and parse_day(first, r.today) is not None
    return due, rest or ([] if only_date else [first])


async def _reopen(r: Reply) -> Answered:
    due, problems = _due_and_problems(r)
    view = await follow_up.reopen_item(r.rt, r.origin, r.target, due, problems)
    assert view.due is not None
    return view, texts.reopened_done(r.t, view.due)


async def _review_reopen(r: Reply) -> Answered:
    due, problems = _due_and_problems(r)
    view = await satisfaction.reopen_for_review(r.rt, r.origin, int(r.target), due, problems)
    assert view.due is not None
    return view, satisfaction_texts.reopened_done(r.t, view.due)


async def _review_uphold(r: Reply) -> Answered:
    await satisfaction.uphold_answer(r.rt, r.origin, int(r.target), r.text)
    return None, satisfaction_texts.upheld_done(r.t)


async def _record_talk(r: Reply) -> Answered:
    recorded = await talks.record_talk(
        r.rt, r.origin, int(r.target), parse_talk_record(r.text, r.today)
    )
    return recorded.view, talk_texts.recorded_done(r.t, recorded.talk)


async def _refer(r: Reply) -> Answered:
    record = parse_referral(r.text, r.today)
    view, made = await referrals.propose_referral(r.rt, r.origin, r.target, record)
    return view, referral_texts.done(r.t, made)


async def _edit_notice(r: Reply) -> Answered:
    await public_notices.edit_notice(r.rt, r.origin, int(r.target), r.text)
    return None, notice_texts.edited(r.t)


ANSWERS: dict[Purpose, Callable[[Reply], Awaitable[Answered]]] = {
    Purpose.RETURN_REASON: _return_completion,
    Purpose.REFUSE_REASON: _refuse_extension,
    Purpose.DECLINE_REASON: _decline_completion,
    Purpose.INSTRUCTION: _instruct,
    Purpose.FOLLOW_UP_DATE: _set_follow_up,
    Purpose.REOPEN: _reopen,
    Purpose.TALK_RECORD: _record_talk,
    Purpose.REFERRAL: _refer,
    Purpose.NOTICE_TEXT: _edit_notice,
    Purpose.REVIEW_REOPEN: _review_reopen,
    Purpose.REVIEW_UPHOLD: _review_uphold,
}
# Asked again when an answer that must give a date gives none.
ASK_AGAIN: dict[Purpose, Callable[[Text], str]] = {
    Purpose.FOLLOW_UP_DATE: texts.follow_up_date_question,
    Purpose.REOPEN: texts.reopen_question,
    Purpose.REVIEW_REOPEN: texts.reopen_question,
    Purpose.TALK_RECORD: lambda t: t(TalkRecordIncomplete.key),
    Purpose.REFERRAL: lambda t: t(ReferralIncomplete.key),
}


async def answer_prompt(
    update: Update, context: DubanContext, actor: Actor, purpose: str, target: str, text: str
) -> None:
    """Carry out what a typed answer to a prompt asks for; replies with the outcome."""
    message = update.effective_message
    if message is None:
        return
    t = context.text_for(actor)
    try:
        asked = Purpose(purpose)
        answer = ANSWERS[asked]
    except (ValueError, KeyError):
        raise callbacks.BadCallback(purpose) from None
    try:
        view, reply = await answer(Reply(context.rt, actor, t, target, text))
    except (NotADate, TalkRecordIncomplete, ReferralIncomplete):
        if asked not in ASK_AGAIN:
            raise
        await message.reply_text(ASK_AGAIN[asked](t))
        return
    await message.reply_text(texts.done(t, view, reply) if view is not None else reply)
