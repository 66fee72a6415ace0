"""The complainant rates the answer in chat: 满意 / 基本满意 / 不满意 under ``/track``'s reply;
不满意 asks for the reason (a step of the sealed complaint conversation) and sends the request
for review (异议复核) to the office.

The complaint is the one the complainant last opened with /track in this conversation (its
code kept sealed, as for adding information); nothing here looks up or keeps who they are.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from domain import callbacks
from domain.errors import DubanError
from domain.satisfaction import Rating, parse_rating, reason_text
from handlers.complaint_draft import read_tracked
from handlers.complaints import (
    COMPLAINT,
    END,
    ComplaintChat,
    MoreSteps,
    Step,
    chat_id_of,
    close_buttons,
    error_text,
    keyboard,
    status_reply,
    user_data,
)
from handlers.context import DubanContext
from handlers.start import answer_bad_callback
from services.satisfaction import rate_answer
from texts import Text
from texts import complaints as complaint_texts
from texts import satisfaction as texts


def _t(context: DubanContext) -> Text:
    return context.text_for(None)  # never look the complainant up


class RatingChat:
    def __init__(self) -> None:
        self.chat = ComplaintChat()  # its lost() answers a button no longer kept

    async def rate_pressed(self, update: Update, context: DubanContext) -> int:
        query = update.callback_query
        code = read_tracked(user_data(context))
        if query is None or code is None:
            return await self.chat.lost(update, context)
        try:
            rating = parse_rating(callbacks.parse(query.data).arg(1))
        except (callbacks.BadCallback, DubanError):
            await answer_bad_callback(update, context)
            return END
        await close_buttons(update)
        t = _t(context)
        if rating is Rating.DISSATISFIED:
            cancel = [[(t.raw(complaint_texts.CANCEL), callbacks.make(COMPLAINT, "cancel"))]]
            await context.bot.send_message(
                chat_id_of(update), texts.ask_reason(t), reply_markup=keyboard(cancel)
            )
            return Step.REASON
        return await self._rate(update, context, code, rating, None)

    async def reason_typed(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        code = read_tracked(user_data(context))
        if message is None or message.text is None or code is None:
            return await self.chat.lost(update, context)
        try:
            reason_text(Rating.DISSATISFIED, message.text)
        except DubanError as exc:  # too short or too long: ask again, nothing is sent
            await message.reply_text(error_text(_t(context), exc))
            return Step.REASON
        return await self._rate(update, context, code, Rating.DISSATISFIED, message.text)

    async def reason_not_text(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        if message is not None:
            await message.reply_text(texts.send_reason_as_text(_t(context)))
        return Step.REASON

    async def _rate(
        self, update: Update, context: DubanContext, code: str, rating: Rating, reason: str | None
    ) -> int:
        t = _t(context)
        chat = chat_id_of(update)
        try:
            status = await rate_answer(context.rt, code, rating, reason)
        except DubanError as exc:
            await context.bot.send_message(chat, error_text(t, exc))
            return END
        done = texts.review_sent(t) if reason is not None else texts.thanks(t)
        text, rows = status_reply(t, status)
        await context.bot.send_message(chat, f"{done}\n\n{text}", reply_markup=keyboard(rows))
        return END


def steps() -> MoreSteps:
    """The rating's button (an entry to the complaint conversation) and its reason step."""
    rating = RatingChat()
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & private
    return MoreSteps(
        entries=[
            CallbackQueryHandler(rating.rate_pressed, pattern=rf"^{COMPLAINT}:{texts.RATE}(:|$)")
        ],
        states={
            Step.REASON: [
                MessageHandler(text, rating.reason_typed),
                MessageHandler(private & ~filters.COMMAND, rating.reason_not_text),
            ]
        },
    )
