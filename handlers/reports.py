"""Reports (反馈) in chat: ``/report REF`` or a reply to any of the item's messages; a kind by
button; text, photos, an album or documents; a preview confirmed with a button.

An album arrives as several updates sharing a ``media_group_id``; one chat's updates are
handled in order, so the first creates the preview and the others join the same draft and
edit that preview. Replies to a prompt (a reason, a date, an instruction) go to
:func:`handlers.prompts.answer_prompt`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from domain import callbacks
from domain.buttons import Button
from domain.errors import DubanError
from domain.reports import report_kinds
from domain.views import ItemView
from domain.vocabulary import ReportKind
from handlers.context import DubanContext
from handlers.conversations import BotApplication
from handlers.items import button, carry_out, joined, markup, refuse, said
from handlers.prompts import Purpose, answer_prompt, ask
from handlers.start import unknown_user_text
from services import drafts, reports
from services import prompts as stored_prompts
from services.actors import Actor
from texts import Text
from texts import execution as texts

LOOSE_MEDIA_WINDOW = timedelta(minutes=30)
# A prompt is stored just after Telegram accepts it, so with several instances a quick reply can
# reach another instance before that commit: look again a few times before giving up.
PROMPT_LOOKUPS = (0.2, 0.4, 0.8)
SEND = "send"
DROP = "drop"
START = "start"


def kind_buttons(t: Text, item: ItemView, kinds: tuple[ReportKind, ...]) -> list[list[Button]]:
    labels = [button(t, texts.KIND_NAMES[kind], callbacks.REPORT, item.ref, kind) for kind in kinds]
    return [labels[i : i + 2] for i in range(0, len(labels), 2)]


def preview(t: Text, draft: drafts.DraftView) -> tuple[str, list[list[Button]]]:
    text = texts.draft_preview(
        t,
        draft.item,
        kind=draft.kind,
        text=draft.text,
        photos=draft.photos,
        documents=draft.documents,
        requested_due=draft.requested_due,
    )
    ref = draft.item.ref
    if draft.kind is None:
        rows = kind_buttons(t, draft.item, report_kinds(draft.item.time_class))
    else:
        rows = []
        if draft.ready:
            rows.append([button(t, texts.SUBMIT, callbacks.REPORT, ref, SEND, draft.id)])
    rows.append([button(t, texts.CANCEL, callbacks.REPORT, ref, DROP, draft.id)])
    return text, rows


async def report_command(update: Update, context: DubanContext) -> None:
    asked = await said(update, context)
    if asked is None:
        return
    message, actor, t = asked.message, asked.actor, asked.t
    if not context.args:
        await message.reply_text(texts.report_usage(t))
        return
    try:
        menu = await drafts.report_menu(context.rt, actor, context.args[0])
    except DubanError as exc:
        await refuse(update, context, t, exc)
        return
    await message.reply_text(
        texts.choose_kind(t, menu.item), reply_markup=markup(kind_buttons(t, menu.item, menu.kinds))
    )


async def report_pressed(update: Update, context: DubanContext) -> None:
    """A report button: start (the kinds), a kind chosen, submit or drop the draft."""
    rt = context.rt

    async def act(actor: Actor, data: callbacks.Callback) -> tuple[str, drafts.DraftView] | None:
        query = update.callback_query
        assert query is not None
        ref, action = data.arg(0), data.arg(1)
        t = context.text_for(actor)
        if action == START:
            menu = await drafts.report_menu(rt, actor, ref)
            await query.answer()
            await _send(
                update,
                context,
                texts.choose_kind(t, menu.item),
                kind_buttons(t, menu.item, menu.kinds),
            )
            return None
        if action == DROP:
            await drafts.cancel_draft(rt, actor, data.int_arg(2))
            await query.answer()
            await _edit(update, texts.draft_cancelled(t), [])
            return None
        if action == SEND:
            await _submit(update, context, actor, data.int_arg(2))
            return None
        return action, await drafts.choose_kind(rt, actor, ref, action)

    press = await carry_out(update, context, callbacks.REPORT, act)
    if press is None or press.result is None:
        return
    (action, draft), query, actor, t = press.result, press.query, press.actor, press.t
    await query.answer()
    if draft.text.strip() or draft.files:
        # Content came first (a reply to the item's message): this message is the preview.
        text, rows = preview(t, draft)
        await _edit(update, text, rows)
        if query.message is not None:
            await drafts.set_draft_prompt(rt, actor, draft.id, query.message.message_id)
        return
    await ask(
        update,
        context,
        actor,
        texts.content_prompt(t, draft.item, action, draft.problems),
        item_id=draft.item.id,
        purpose=Purpose.CONTENT,
        target=str(draft.id),
    )


async def _submit(update: Update, context: DubanContext, actor: Actor, draft_id: int) -> None:
    query = update.callback_query
    assert query is not None
    t = context.text_for(actor)
    entries = await drafts.draft_files(context.rt, actor, draft_id)
    await query.answer()
    files = [await _download(context, entry) for entry in entries]
    try:
        done = await reports.submit_draft(context.rt, actor, draft_id, files)
    except DubanError as exc:
        # The press is answered already (the files take their time): the reason comes as a
        # reply to the preview, which stays to be completed by a reply and sent again.
        if isinstance(query.message, Message):
            await query.message.reply_text(t(exc.key, **exc.params))
        return
    await _edit(
        update,
        texts.report_submitted(t, done.item, done.kind, done.warnings, done.problems, done.owes),
        [],
    )


async def _download(context: DubanContext, entry: dict[str, Any]) -> reports.EvidenceFile:
    telegram_file = await context.bot.get_file(str(entry["file_id"]))
    data = bytes(await telegram_file.download_as_bytearray())
    return reports.EvidenceFile(
        data=data,
        filename=entry.get("name"),
        mime_type=entry.get("mime") or ("image/jpeg" if entry.get("type") == "photo" else None),
    )


async def _edit(update: Update, text: str, rows: list[list[Button]]) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=markup(rows))
    except BadRequest:
        return  # unchanged


async def _send(
    update: Update, context: DubanContext, text: str, rows: list[list[Button]]
) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return await context.bot.send_message(chat.id, text, reply_markup=markup(rows))


def _file_of(message: Message) -> dict[str, Any] | None:
    if message.photo:
        largest = message.photo[-1]
        return {"type": "photo", "file_id": largest.file_id, "name": None, "mime": "image/jpeg"}
    if message.document is not None:
        document = message.document
        return {
            "type": "document",
            "file_id": document.file_id,
            "name": document.file_name,
            "mime": document.mime_type,
        }
    return None


async def on_loose_media(update: Update, context: DubanContext) -> None:
    """A photo or file sent without replying: it joins the person's draft report opened in the
    last minutes (clients do not always keep the reply); otherwise the usual help."""
    asked = await said(update, context)
    if asked is None:
        return
    item_id = await drafts.recent_draft_item(context.rt, asked.actor, LOOSE_MEDIA_WINDOW)
    if item_id is None:
        await unknown_user_text(update, context)
        return
    await _add(
        update, context, asked.actor, stored_prompts.ReplyTarget(item_id, Purpose.CONTENT, "")
    )


async def on_reply(update: Update, context: DubanContext) -> None:
    """A reply to one of the bot's messages: report content, or the answer to a prompt."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or message.reply_to_message is None:
        return
    actor = await joined(update, context)
    if actor is None:
        return
    t = context.text_for(actor)
    rt = context.rt
    replied = message.reply_to_message
    target = await stored_prompts.reply_target(rt, actor, chat.id, replied.message_id)
    if target is None and replied.from_user is not None and replied.from_user.is_bot:
        for pause in PROMPT_LOOKUPS:
            await asyncio.sleep(pause)
            target = await stored_prompts.reply_target(rt, actor, chat.id, replied.message_id)
            if target is not None:
                break
    if target is None or (target.item_id is None and target.purpose is None):
        await message.reply_text(texts.no_item_for_reply(t))
        return
    if target.purpose not in (None, Purpose.CONTENT):
        if not (message.text or "").strip():
            await message.reply_text(texts.answer_in_words(t))
            return
        try:
            await answer_prompt(
                update, context, actor, target.purpose, target.target, message.text or ""
            )
        except DubanError as exc:
            await refuse(update, context, t, exc)
        return
    await _add(update, context, actor, target)


async def _add(
    update: Update, context: DubanContext, actor: Actor, target: stored_prompts.ReplyTarget
) -> None:
    """Add the message's text and file to the draft report on the target item; show it."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or target.item_id is None:
        return
    t = context.text_for(actor)
    rt = context.rt
    text = message.text or message.caption or ""
    try:
        draft = await drafts.add_content(
            rt,
            actor,
            target.item_id,
            text=text,
            file=_file_of(message),
            media_group_id=message.media_group_id,
            message_id=message.message_id,
        )
    except DubanError as exc:
        await refuse(update, context, t, exc)
        return
    body, rows = preview(t, draft)
    if draft.continued_album and draft.prompt_message_id is not None:
        try:
            await context.bot.edit_message_text(
                body, chat_id=chat.id, message_id=draft.prompt_message_id, reply_markup=markup(rows)
            )
            return
        except BadRequest:
            pass  # the preview is gone: send a new one
    sent = await message.reply_text(body, reply_markup=markup(rows))
    await drafts.set_draft_prompt(rt, actor, draft.id, sent.message_id)


def register(application: BotApplication) -> None:
    """Wire /report, the report buttons and replies (report content, prompt answers)."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("report", report_command, filters=private))
    application.add_handler(CallbackQueryHandler(report_pressed, pattern=rf"^{callbacks.REPORT}:"))
    content = filters.TEXT | filters.PHOTO | filters.Document.ALL
    # In a work group the bot (privacy mode) sees only replies to it: reports are made so.
    here = private | filters.ChatType.GROUPS
    application.add_handler(
        MessageHandler(here & filters.REPLY & content & ~filters.COMMAND, on_reply)
    )
    loose = (filters.PHOTO | filters.Document.ALL) & ~filters.REPLY
    application.add_handler(MessageHandler(private & loose, on_loose_media))
