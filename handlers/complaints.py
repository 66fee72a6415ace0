"""The complaint channel in chat: /complain, /track, and the office's triage buttons.

A complaint in progress is kept between its steps sealed under a keyed hash of the chat
(:mod:`handlers.complaint_draft`, :mod:`services.complaint_drafts`), so each step may land on
any instance and nothing in the database names the complainant. A draft untouched for an hour,
or one that cannot be read any more, is gone: the complainant is told to start again.
These handlers never ask the database who the complainant is, and log nothing about them.

The office's triage of a complaint is in :mod:`handlers.complaint_triage`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from domain import callbacks
from domain.complaints import (
    PHOTO_BYTES_MAX,
    PHOTOS_MAX,
    TooManyPhotos,
    clean_place,
    clean_text,
    normalize_code,
)
from domain.errors import DubanError, InvalidInput
from domain.evidence import FileTooLarge, megabytes
from domain.vocabulary import ComplaintCategory
from handlers.complaint_draft import (
    DATA_KEY,
    Addition,
    InProgress,
    forget,
    read_addition,
    read_draft,
    read_tracked,
    write_addition,
    write_draft,
    write_tracked,
)
from handlers.context import DubanContext, keep_in_database
from handlers.conversations import BotApplication
from handlers.start import answer_bad_callback
from services import choices, complaints
from services.complaint_drafts import LIFETIME
from services.complaint_limits import Tracker
from services.complaints import ComplaintDraft, PublicStatus
from texts import Text
from texts import complaints as texts
from texts.satisfaction import ask_rating, feedback_text, rate_buttons

COMPLAINT = callbacks.COMPLAINT
END = ConversationHandler.END


class Step(IntEnum):
    CATEGORY = 1
    PLACE = 2
    TEXT = 3
    PHOTOS = 4
    PREVIEW = 5
    CODE = 6
    ADD = 7
    GONE = 8  # its draft expired or cannot be read: say so, start again
    REASON = 9  # why the complainant is not satisfied with the answer (handlers.complaint_rating)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _t(context: DubanContext) -> Text:
    # Never look the complainant up: their language is what they chose in this session.
    return context.text_for(None)


def user_data(context: DubanContext) -> dict[Any, Any]:
    assert context.user_data is not None
    return context.user_data


def chat_id_of(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def error_text(t: Text, exc: DubanError) -> str:
    return t(exc.key, **exc.params)


async def close_buttons(update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:
        return  # already without buttons


def _photo_id(message: Message) -> str:
    """The Telegram file id of the photo (or image file) sent; fetched when filing."""
    if message.photo:
        source = message.photo[-1]
        size = source.file_size
        file_id = source.file_id
    elif message.document is not None:
        size = message.document.file_size
        file_id = message.document.file_id
    else:
        raise InvalidInput()
    if size is not None and size > PHOTO_BYTES_MAX:
        raise FileTooLarge(limit=megabytes(PHOTO_BYTES_MAX))
    return file_id


async def _download(context: DubanContext, file_ids: list[str]) -> tuple[bytes, ...]:
    photos = []
    for file_id in file_ids:
        file = await context.bot.get_file(file_id)
        data = bytes(await file.download_as_bytearray())
        if len(data) > PHOTO_BYTES_MAX:
            raise FileTooLarge(limit=megabytes(PHOTO_BYTES_MAX))
        photos.append(data)
    return tuple(photos)


def _take_place(draft: InProgress, text: str) -> None:
    draft.place = clean_place(text)


def _take_text(draft: InProgress, text: str) -> None:
    draft.text = clean_text(text)


def _ask_photos(t: Text) -> tuple[str, InlineKeyboardMarkup | None]:
    done = [[(t.raw(texts.DONE), callbacks.make(COMPLAINT, "done"))]]
    return texts.ask_photos(t), keyboard(done)


class ComplaintChat:
    """The handlers, sharing one :class:`Tracker` (per-sender limits, kept in the database)."""

    def __init__(self) -> None:
        self.tracker = Tracker(channel="chat")

    # --- /complain ------------------------------------------------------------------------

    async def complain(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        if message is None:
            return END
        t = _t(context)
        write_draft(user_data(context), InProgress())
        rows = [
            [(texts.category(t, c), callbacks.make(COMPLAINT, "cat", c.value))]
            for c in ComplaintCategory
        ]
        rows.append([(t.raw(texts.CANCEL), callbacks.make(COMPLAINT, "cancel"))])
        await message.reply_text(texts.start(t), reply_markup=keyboard(rows))
        return Step.CATEGORY

    def _draft(self, context: DubanContext) -> InProgress | None:
        return read_draft(user_data(context))

    async def category_chosen(self, update: Update, context: DubanContext) -> int:
        query = update.callback_query
        draft = self._draft(context)
        if query is None or draft is None:
            return await self.lost(update, context)
        try:
            value = ComplaintCategory(callbacks.parse(query.data).arg(1))
        except (callbacks.BadCallback, ValueError):
            await answer_bad_callback(update, context)
            return Step.CATEGORY
        draft.category = value
        write_draft(user_data(context), draft)
        await close_buttons(update)
        t = _t(context)
        units = await choices.unit_choices(context.rt)
        rows = [
            [(u.name, callbacks.make(COMPLAINT, "unit", u.id)) for u in units[i : i + 2]]
            for i in range(0, len(units), 2)
        ]
        rows.append([(t.raw(texts.SKIP), callbacks.make(COMPLAINT, "skip"))])
        assert query.message is not None
        await context.bot.send_message(
            query.message.chat.id, texts.ask_place(t), reply_markup=keyboard(rows)
        )
        return Step.PLACE

    async def place_chosen(self, update: Update, context: DubanContext) -> int:
        query = update.callback_query
        draft = self._draft(context)
        if query is None or draft is None:
            return await self.lost(update, context)
        parsed = callbacks.parse(query.data)
        if parsed.arg(0) == "unit":
            units = {u.id: u.name for u in await choices.unit_choices(context.rt)}
            try:
                draft.place = units[parsed.int_arg(1)]
            except (KeyError, callbacks.BadCallback):
                await answer_bad_callback(update, context)
                return Step.PLACE
        else:
            draft.place = ""
        write_draft(user_data(context), draft)
        await close_buttons(update)
        assert query.message is not None
        await context.bot.send_message(query.message.chat.id, texts.ask_text(_t(context)))
        return Step.TEXT

    async def _typed(
        self,
        update: Update,
        context: DubanContext,
        step: Step,
        take: Callable[[InProgress, str], None],
        ask_next: Callable[[Text], tuple[str, InlineKeyboardMarkup | None]],
        next_step: Step,
    ) -> int:
        """Text typed at ``step``: ``take`` it into the draft (or say why not), ask the next."""
        message = update.effective_message
        draft = self._draft(context)
        if message is None or draft is None or message.text is None:
            return await self.lost(update, context)
        t = _t(context)
        try:
            take(draft, message.text)
        except DubanError as exc:
            await message.reply_text(error_text(t, exc))
            return step
        write_draft(user_data(context), draft)
        text, markup = ask_next(t)
        await message.reply_text(text, reply_markup=markup)
        return next_step

    async def place_typed(self, update: Update, context: DubanContext) -> int:
        return await self._typed(
            update, context, Step.PLACE, _take_place, lambda t: (texts.ask_text(t), None), Step.TEXT
        )

    async def text_typed(self, update: Update, context: DubanContext) -> int:
        return await self._typed(update, context, Step.TEXT, _take_text, _ask_photos, Step.PHOTOS)

    async def photo_sent(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        draft = self._draft(context)
        if message is None or draft is None:
            return await self.lost(update, context)
        t = _t(context)
        done = keyboard([[(t.raw(texts.DONE), callbacks.make(COMPLAINT, "done"))]])
        try:
            if len(draft.photos) >= PHOTOS_MAX:
                raise TooManyPhotos(max=PHOTOS_MAX)
            draft.photos.append(_photo_id(message))
        except DubanError as exc:
            await message.reply_text(error_text(t, exc), reply_markup=done)
            return Step.PHOTOS
        write_draft(user_data(context), draft)
        await message.reply_text(texts.photo_received(t, len(draft.photos)), reply_markup=done)
        return Step.PHOTOS

    async def photos_text(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        if message is not None:
            await message.reply_text(texts.send_photo_or_done(_t(context)))
        return Step.PHOTOS

    async def photos_done(self, update: Update, context: DubanContext) -> int:
        query = update.callback_query
        draft = self._draft(context)
        if query is None or draft is None:
            return await self.lost(update, context)
        await close_buttons(update)
        t = _t(context)
        rows = [
            [
                (t.raw(texts.SUBMIT), callbacks.make(COMPLAINT, "submit")),
                (t.raw(texts.CANCEL), callbacks.make(COMPLAINT, "cancel")),
            ]
        ]
        assert query.message is not None
        await context.bot.send_message(
            query.message.chat.id,
            texts.preview(t, draft.category, draft.place, draft.text, len(draft.photos)),
            reply_markup=keyboard(rows),
        )
        return Step.PREVIEW

    async def submit(self, update: Update, context: DubanContext) -> int:
        query = update.callback_query
        user = update.effective_user
        draft = self._draft(context)
        if query is None or user is None or draft is None:
            return await self.lost(update, context)
        await close_buttons(update)
        t = _t(context)
        assert query.message is not None
        chat_id = query.message.chat.id
        sender = str(user.id)
        if not await self.tracker.may_file(context.rt, sender):
            await context.bot.send_message(chat_id, texts.too_many_filings(t))
            return Step.PREVIEW
        try:
            photos = await _download(context, draft.photos)
            filed = await complaints.file_complaint(
                context.rt, ComplaintDraft(draft.category, draft.place, draft.text, photos)
            )
        except DubanError as exc:
            await context.bot.send_message(chat_id, error_text(t, exc))
            return Step.PREVIEW
        await self.tracker.filed(context.rt, sender)
        write_draft(user_data(context), None)
        await context.bot.send_message(chat_id, texts.filed(t, filed.public_id, filed.code))
        return END

    async def cancel(self, update: Update, context: DubanContext) -> int:
        forget(user_data(context))
        await close_buttons(update)
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, texts.cancelled(_t(context)))
        return END

    async def use_buttons(self, update: Update, context: DubanContext) -> int | None:
        message = update.effective_message
        if message is not None:
            await message.reply_text(texts.use_buttons(_t(context)))
        return None  # stay where we are

    async def lost(self, update: Update, context: DubanContext) -> int:
        """A button or message of a complaint no longer kept (expired, unreadable, filed)."""
        query = update.callback_query
        t = _t(context)
        text = texts.lost(t)
        if query is not None:
            try:
                parsed: callbacks.Callback | None = callbacks.parse(query.data)
            except callbacks.BadCallback:  # tampered data: the same plain answer
                parsed = None
            if parsed is not None and parsed.args[:1] in (("add",), ("adddone",)):
                text = texts.track_first(t)
            await close_buttons(update)
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, text)
        return END

    # --- /track ---------------------------------------------------------------------------

    async def track(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        if message is None:
            return END
        if context.args:
            return await self._check(update, context, " ".join(context.args))
        await message.reply_text(texts.ask_code(_t(context)))
        return Step.CODE

    async def code_typed(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        if message is None or message.text is None:
            return END
        return await self._check(update, context, message.text)

    async def _check(self, update: Update, context: DubanContext, code: str) -> int:
        message = update.effective_message
        user = update.effective_user
        assert message is not None and user is not None
        t = _t(context)
        result = await self.tracker.check(context.rt, str(user.id), code)
        if result.refused:
            await message.reply_text(texts.refused(t))
            return END
        status = result.status
        if status is None:
            await message.reply_text(texts.wrong_code(t))
            return END
        normalized = normalize_code(code)
        assert normalized is not None
        write_tracked(user_data(context), normalized)
        text, rows = status_reply(t, status)
        await message.reply_text(text, reply_markup=keyboard(rows))
        return END

    async def add_pressed(self, update: Update, context: DubanContext) -> int:
        if read_tracked(user_data(context)) is None:
            return await self.lost(update, context)
        await close_buttons(update)
        write_addition(user_data(context), Addition())
        t = _t(context)
        rows = [
            [
                (t.raw(texts.DONE), callbacks.make(COMPLAINT, "adddone")),
                (t.raw(texts.CANCEL), callbacks.make(COMPLAINT, "cancel")),
            ]
        ]
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(chat.id, texts.ask_addition(t), reply_markup=keyboard(rows))
        return Step.ADD

    def _addition(self, context: DubanContext) -> Addition | None:
        return read_addition(user_data(context))

    async def addition_sent(self, update: Update, context: DubanContext) -> int:
        message = update.effective_message
        addition = self._addition(context)
        if message is None or addition is None:
            return await self.lost(update, context)
        t = _t(context)
        done = keyboard([[(t.raw(texts.DONE), callbacks.make(COMPLAINT, "adddone"))]])
        try:
            if message.text:
                addition.texts.append(message.text)
            else:
                if len(addition.photos) >= PHOTOS_MAX:
                    raise TooManyPhotos(max=PHOTOS_MAX)
                addition.photos.append(_photo_id(message))
                if message.caption:
                    addition.texts.append(message.caption)
        except DubanError as exc:
            await message.reply_text(error_text(t, exc), reply_markup=done)
            return Step.ADD
        write_addition(user_data(context), addition)
        await message.reply_text(texts.addition_received(t), reply_markup=done)
        return Step.ADD

    async def addition_done(self, update: Update, context: DubanContext) -> int:
        user = update.effective_user
        chat = update.effective_chat
        addition = self._addition(context)
        code = read_tracked(user_data(context))
        if user is None or chat is None or addition is None or code is None:
            return await self.lost(update, context)
        await close_buttons(update)
        t = _t(context)
        if not addition.texts and not addition.photos:
            await context.bot.send_message(chat.id, texts.nothing_added(t))
            return END
        sender = str(user.id)
        if not await self.tracker.may_file(context.rt, sender):
            await context.bot.send_message(chat.id, texts.too_many_filings(t))
            return Step.ADD
        try:
            photos = await _download(context, addition.photos)
            await complaints.add_information(context.rt, code, "\n".join(addition.texts), photos)
        except DubanError as exc:
            await context.bot.send_message(chat.id, error_text(t, exc))
            return Step.ADD
        await self.tracker.filed(context.rt, sender)
        write_addition(user_data(context), None)
        await context.bot.send_message(chat.id, texts.added(t))
        return END


def status_reply(t: Text, status: PublicStatus) -> tuple[str, list[list[tuple[str, str]]]]:
    """What /track shows: the status, the rating and its review, and the buttons (rate the
    answer when it may be rated; add information)."""
    parts = [
        texts.status_text(
            t,
            status.public_id,
            status.category,
            status.status,
            status.created_on,
            status.answer,
            status.additions,
        )
    ]
    if (f := status.feedback) is not None:
        parts.append(feedback_text(t, f.rating, f.rated_on, f.review, f.reply, f.superseded))
    rows = [[(t.raw(texts.ADD_INFORMATION), callbacks.make(COMPLAINT, "add"))]]
    if status.may_rate:
        parts.append(ask_rating(t))
        rows = rate_buttons(t) + rows
    return "\n\n".join(parts), rows


@dataclass(frozen=True)
class MoreSteps:
    """Steps another module adds to the complaint conversation (rating the answer)."""

    entries: list[BaseHandler[Update, DubanContext, Any]] = field(default_factory=list)
    states: dict[object, list[BaseHandler[Update, DubanContext, Any]]] = field(default_factory=dict)


def _button(action: str) -> str:
    return rf"^{COMPLAINT}:{action}(:|$)"


def register(application: BotApplication, more: MoreSteps | None = None) -> None:
    """Add the complaint channel (with ``more`` steps); call before the fallback handlers."""
    chat = ComplaintChat()
    more = more or MoreSteps()
    private = filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & private
    image = (filters.PHOTO | filters.Document.IMAGE) & private
    cancel: list[BaseHandler[Update, DubanContext, Any]] = [
        CommandHandler("cancel", chat.cancel, filters=private),
        CallbackQueryHandler(chat.cancel, pattern=_button("cancel")),
    ]
    conversation: ConversationHandler[DubanContext] = ConversationHandler(
        entry_points=[
            CommandHandler("complain", chat.complain, filters=private),
            CommandHandler("track", chat.track, filters=private),
            CallbackQueryHandler(chat.add_pressed, pattern=_button("add")),
            *more.entries,
        ],
        states={
            Step.CATEGORY: [
                CallbackQueryHandler(chat.category_chosen, pattern=_button("cat")),
                MessageHandler(text, chat.use_buttons),
            ],
            Step.PLACE: [
                CallbackQueryHandler(chat.place_chosen, pattern=_button("(unit|skip)")),
                MessageHandler(text, chat.place_typed),
            ],
            Step.TEXT: [MessageHandler(text, chat.text_typed)],
            Step.PHOTOS: [
                MessageHandler(image, chat.photo_sent),
                CallbackQueryHandler(chat.photos_done, pattern=_button("done")),
                MessageHandler(text, chat.photos_text),
            ],
            Step.PREVIEW: [
                CallbackQueryHandler(chat.submit, pattern=_button("submit")),
                MessageHandler(text, chat.use_buttons),
            ],
            Step.CODE: [MessageHandler(text, chat.code_typed)],
            Step.ADD: [
                MessageHandler(text | image, chat.addition_sent),
                CallbackQueryHandler(chat.addition_done, pattern=_button("adddone")),
            ],
            **more.states,
            Step.GONE: [
                MessageHandler(text | image, chat.lost),
                CallbackQueryHandler(chat.lost, pattern=rf"^{COMPLAINT}:"),
            ],
        },
        fallbacks=[
            *cancel,
            CommandHandler("complain", chat.complain, filters=private),
            CommandHandler("track", chat.track, filters=private),
        ],
        name=DATA_KEY,
        allow_reentry=True,
    )
    application.add_handler(conversation)
    keep_in_database(
        application,
        conversation,
        data_key=DATA_KEY,
        max_age=LIFETIME,
        sealed=True,
        gone_state=Step.GONE,
    )
    # Buttons of a complaint no longer kept (filed, cancelled, long gone): say so plainly.
    application.add_handler(CallbackQueryHandler(chat.lost, pattern=rf"^{COMPLAINT}:"))
