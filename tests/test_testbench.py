"""Tests of the fake Telegram Bot API, driven by the real python-telegram-bot stack."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
)
from telegram.request import HTTPXRequest

from testbench import BotMessage, FakeTelegram, TranscriptEntry, format_entry, parse_html
from testbench.tghtml import HtmlParseError


def png(width: int = 64, height: int = 48, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def make_bot(fake: FakeTelegram, read_timeout: float = 5.0) -> Bot:
    return Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(read_timeout=read_timeout),
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(fake) as client:
        yield client


@pytest.fixture
async def limited_bot(fake: FakeTelegram) -> AsyncIterator[ExtBot[None]]:
    client: ExtBot[None] = ExtBot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        rate_limiter=AIORateLimiter(max_retries=2),
    )
    async with client:
        yield client


async def test_get_me(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "duban_test_bot"
    assert me.is_bot
    assert me.id == 123456
    assert fake.stats.calls["getMe"] >= 1


async def test_long_poll_delivers_text_and_commands(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1001, "四", last_name="李", username="lisi")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done(), "getUpdates must wait for updates"
    await user.send_text("/start TOKEN")
    updates = await poll
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start TOKEN"
    assert message.chat.id == 1001 and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.username == "lisi"
    assert message.from_user.language_code == "zh-hans"
    assert message.parse_entities(["bot_command"]) == {message.entities[0]: "/start"}

    await user.send_text("/report@duban_test_bot 2026-17")
    await user.send_text("随便说点什么")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert [u.message.text for u in updates if u.message] == [
        "/report@duban_test_bot 2026-17",
        "随便说点什么",
    ]
    command, plain = (u.message for u in updates)
    assert command is not None and plain is not None
    assert list(command.parse_entities().values()) == ["/report@duban_test_bot"]
    assert plain.entities == ()
    assert command.message_id < plain.message_id

    # The offset confirms earlier updates; nothing is left afterwards.
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == []


async def test_photo_album_and_document_updates_with_download(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1002, "王五")
    photo_bytes = png(64, 48)
    await user.send_photo(photo_bytes, caption="现场照片")
    await user.send_album([png(30, 20, "blue"), png(20, 30, "green"), png()], caption="三张")
    await user.send_document(
        b"col1,col2\n1,2\n", filename="进度.csv", mime_type="text/csv", caption="附件"
    )
    updates = await bot.get_updates(timeout=1)
    messages = [u.message for u in updates if u.message]
    assert len(messages) == 5

    photo = messages[0]
    assert photo.caption == "现场照片"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (64, 48)
    downloaded = await (await bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == photo_bytes

    album = messages[1:4]
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert [m.caption for m in album] == ["三张", None, None]
    assert (album[1].photo[-1].width, album[1].photo[-1].height) == (20, 30)

    document = messages[4]
    assert document.document is not None
    assert document.document.file_name == "进度.csv"
    assert document.document.mime_type == "text/csv"
    assert document.caption == "附件"
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"col1,col2\n1,2\n"


async def test_send_edit_delete(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1003, "李四")
    await user.send_text("/start")
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("签收", callback_data="ack:1")],
            [InlineKeyboardButton("详情", url="https://example.org/t/1")],
        ]
    )
    sent = await bot.send_message(
        1003, "<b>欢迎</b> 李四 &lt;办公室&gt;", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert sent.text == "欢迎 李四 <办公室>"
    assert sent.entities[0].type == "bold" and (
        sent.entities[0].offset,
        sent.entities[0].length,
    ) == (0, 2)
    assert sent.text_html == "<b>欢迎</b> 李四 &lt;办公室&gt;"
    assert sent.reply_markup == keyboard

    shown = await user.wait_message()
    assert shown.message_id == sent.message_id
    assert shown.text == "<b>欢迎</b> 李四 &lt;办公室&gt;" and shown.parse_mode == "HTML"
    assert shown.plain_text == "欢迎 李四 <办公室>"
    assert shown.buttons == [[("签收", "ack:1")], [("详情", "https://example.org/t/1")]]
    assert shown.button_texts == ["签收", "详情"]

    edited = await bot.edit_message_text("已签收", chat_id=1003, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "已签收"
    assert edited.edit_date is not None
    after = await user.wait_edit(shown)
    assert after.plain_text == "已签收"
    assert after.edits == ["<b>欢迎</b> 李四 &lt;办公室&gt;"]
    assert after.buttons == [], "editMessageText without reply_markup removes the keyboard"

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("已签收", chat_id=1003, message_id=sent.message_id)

    assert await bot.delete_message(1003, sent.message_id)
    assert user.messages == []
    assert shown.deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1003, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1003, message_id=sent.message_id)


async def test_bot_sends_photo_document_and_album(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1004, "赵六")
    await user.send_text("/start")
    image = png(200, 100)
    sent = await bot.send_photo(1004, image, caption="<i>回执</i>", parse_mode="HTML")
    assert sent.caption == "回执" and sent.photo[-1].width == 200
    document = await bot.send_document(1004, b"report-bytes", filename="周报.xlsx")
    assert document.document is not None and document.document.file_name == "周报.xlsx"
    album = await bot.send_media_group(
        1004, [InputMediaPhoto(png(10, 10)), InputMediaPhoto(sent.photo[-1].file_id)]
    )
    assert len({m.media_group_id for m in album}) == 1

    photo_message, document_message, first, second = user.messages
    assert photo_message.photo == image and photo_message.plain_text == "回执"
    assert document_message.document == (b"report-bytes", "周报.xlsx")
    assert first.media_group_id == second.media_group_id is not None
    assert second.photo == image, "resending by file_id reuses the stored bytes"
    assert fake.file_bytes(photo_message.file_id or "") == image

    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(1004, b"this is not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(1004, "no-such-file-id")


async def test_application_buttons_pressed_and_answered(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            "任务 <b>#1</b>",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("签收", callback_data="ack:1")]]
            ),
        )

    async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("已签收")
        await query.edit_message_text(f"任务 #1 已签收 ({query.data})")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .rate_limiter(AIORateLimiter())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(ack))
    user = fake.user(1005, "李四")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await user.send_text("/start")
            task = await user.wait_message()
            assert task.plain_text == "任务 #1"
            with pytest.raises(AssertionError, match=r"available: \[签收\]"):
                await user.press(task, "拒收")
            query_id = await user.press(task, "签收")
            assert await user.wait_callback_answer() == ("已签收", False)
            edited = await user.wait_edit(task)
            assert edited.plain_text == "任务 #1 已签收 (ack:1)"
            assert fake.callback_answer(query_id) == ("已签收", False)
            assert user.callback_answers == [("已签收", False)]
            assert fake.unanswered_callback_queries == []
        finally:
            await app.updater.stop()
            await app.stop()
    fake.assert_no_unknown_methods()
    lines = [format_entry(entry) for entry in fake.transcript]
    assert lines[:3] == [
        "李四 → bot: /start",
        "bot → 李四: 任务 #1 [签收]",
        "李四 → bot: pressed [签收]",
    ]
    assert "bot → 李四: (toast) 已签收" in lines
    assert "bot ✎ 李四: 任务 #1 已签收 (ack:1)" in lines


async def test_retry_after_then_success_arrives_exactly_once(
    fake: FakeTelegram, limited_bot: ExtBot[None]
) -> None:
    user = fake.user(1006, "张三")
    await user.send_text("/start")
    fake.fail("sendMessage", status=429, retry_after=1)
    started = time.monotonic()
    await limited_bot.send_message(1006, "通知")
    assert time.monotonic() - started >= 1.0
    assert [m.plain_text for m in user.messages] == ["通知"]
    assert len(fake.calls_to("sendMessage")) == 2
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]
    assert fake.stats.throttled_injected == 1
    assert fake.stats.messages_delivered == 1


async def test_server_errors_surface_as_network_error(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1007, "张三")
    await user.send_text("/start")
    fake.fail("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway") as caught:
        await bot.send_message(1007, "a")
    assert not isinstance(caught.value, BadRequest)
    fake.fail(None, status=500, chat_id=1007)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(1007, "b")
    assert user.messages == []
    assert fake.stats.server_errors == 2
    await bot.send_message(1007, "c")
    assert [m.plain_text for m in user.messages] == ["c"]


async def test_blocked_user_gives_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1008, "张三")
    await user.send_text("/start")
    user.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1008, "hello")
    updates = await bot.get_updates(timeout=0)
    member_update = updates[-1].my_chat_member
    assert member_update is not None
    assert member_update.new_chat_member.status == "kicked"
    with pytest.raises(AssertionError, match="blocked"):
        await user.send_text("hi")
    user.unblock()
    await bot.send_message(1008, "welcome back")
    assert user.last.plain_text == "welcome back"


async def test_chat_not_found_before_user_wrote(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1009, "新人")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(1009, "hello")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")
    await user.send_text("你好")
    await bot.send_message(1009, "hello")
    assert user.started and len(user.messages) == 1


async def test_delay_processes_even_when_client_times_out(fake: FakeTelegram) -> None:
    user = fake.user(1010, "张三")
    await user.send_text("/start")
    async with make_bot(fake, read_timeout=0.2) as impatient:
        fake.delay("sendMessage", 0.6, process=True)
        with pytest.raises(TimedOut):
            await impatient.send_message(1010, "duplicate risk")
        assert [m.plain_text for m in user.messages] == ["duplicate risk"]

        fake.delay("sendMessage", 0.4, process=False)
        with pytest.raises(TimedOut):
            await impatient.send_message(1010, "lost")
        await asyncio.sleep(0.5)
        assert [m.plain_text for m in user.messages] == ["duplicate risk"]


async def test_webhook_delivery_with_secret_and_retry(fake: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    both_received = asyncio.Event()
    attempts = 0

    async def receive(request: web.Request) -> web.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        if len(received) == 2:
            both_received.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        user = fake.user(1011, "张三")
        assert await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cret-Token")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook")
        await user.send_text("/start")
        await user.send_text("第二条")
        async with asyncio.timeout(3):
            await both_received.wait()
        assert [secret for secret, _ in received] == ["s3cret-Token", "s3cret-Token"]
        assert [body["message"]["text"] for _, body in received] == ["/start", "第二条"]
        assert attempts == 3, "the first attempt failed with 500 and was retried"
        assert fake.webhook_errors and "500" in fake.webhook_errors[0]
        assert (await bot.get_webhook_info()).pending_update_count == 0
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)

        assert await bot.delete_webhook()
        await user.send_text("polling again")
        updates = await bot.get_updates(timeout=1)
        assert [u.message.text for u in updates if u.message] == ["polling again"]
    finally:
        await runner.cleanup()


async def test_enforce_limits_per_chat(fake: FakeTelegram, bot: Bot) -> None:
    first, second = fake.user(1012, "甲"), fake.user(1013, "乙")
    await first.send_text("/start")
    await second.send_text("/start")
    fake.enforce_limits(per_chat_per_second=1.0)
    await bot.send_message(1012, "one")
    await bot.send_message(1013, "other chat is fine")
    with pytest.raises(RetryAfter, match="Retry in 1 seconds"):
        await bot.send_message(1012, "two")
    assert fake.stats.throttled_by_limits == 1 and fake.stats.throttled_injected == 0
    assert [m.plain_text for m in first.messages] == ["one"]
    fake.reset_faults()
    await bot.send_message(1012, "three")
    assert [m.plain_text for m in first.messages] == ["one", "three"]


async def test_html_parse_failure_on_unescaped_text(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1014, "张三")
    await user.send_text("/start")
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(1014, "进度 < 50%", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match='unsupported start tag "br"'):
        await bot.send_message(1014, "a<br>b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="can't find end tag"):
        await bot.send_message(1014, "<b>bold", parse_mode=ParseMode.HTML)
    assert user.messages == []
    # Without parse_mode the same text is fine.
    await bot.send_message(1014, "进度 < 50%")
    assert user.last.plain_text == "进度 < 50%"


def test_parse_html_entities_use_utf16_offsets() -> None:
    plain, entities = parse_html(
        '😀 <b>粗</b> <a href="https://x.org/?a=1&amp;b=2">链接</a> a &amp; b'
    )
    assert plain == "😀 粗 链接 a & b"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "text_link", "offset": 5, "length": 2, "url": "https://x.org/?a=1&b=2"},
    ]
    plain, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    with pytest.raises(HtmlParseError, match="Unmatched end tag"):
        parse_html("<b><i>x</b></i>")


async def test_commands_per_scope_and_unknown_methods(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "开始")])
    await bot.set_my_commands(
        [BotCommand("report", "上报"), BotCommand("tasks", "任务")],
        scope=BotCommandScopeChat(1015),
        language_code="zh",
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(1015), language_code="zh")
    assert [c.command for c in scoped] == ["report", "tasks"]
    assert fake.commands({"type": "chat", "chat_id": 1015}, "zh") == [
        ("report", "上报"),
        ("tasks", "任务"),
    ]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(1015), language_code="zh")
    assert fake.commands({"type": "chat", "chat_id": 1015}, "zh") == []

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendDice", api_kwargs={"chat_id": 1})
    assert fake.unknown_methods == ["sendDice"]
    with pytest.raises(AssertionError, match="sendDice"):
        fake.assert_no_unknown_methods()


async def test_wait_message_cursor_and_timeout_report(fake: FakeTelegram, bot: Bot) -> None:
    user = fake.user(1016, "张三")
    await user.send_text("/start")
    await bot.send_message(1016, "第一条")
    await bot.send_message(1016, "第二条")
    second = await user.wait_message(lambda m: m.plain_text == "第二条")
    first = await user.wait_message()
    assert (first.plain_text, second.plain_text) == ("第一条", "第二条")
    with pytest.raises(AssertionError, match="第一条") as caught:
        await user.wait_message(timeout=0.1)
    assert "第二条" in str(caught.value)


async def test_injected_clock_and_transcript_callback() -> None:
    moment = datetime(2026, 4, 20, 9, 30, tzinfo=UTC)
    events: list[TranscriptEntry] = []
    async with FakeTelegram(now=lambda: moment, on_event=events.append) as fake:
        user = fake.user(1017, "Li", display_name="李四")
        async with make_bot(fake) as client:
            await user.send_photo(png(), caption="照片说明")
            updates = await client.get_updates(timeout=0)
            assert updates[0].message is not None and updates[0].message.date == moment
            sent = await client.send_message(1017, "收到")
            assert sent.date == moment
    assert [format_entry(e) for e in events] == [
        "李四 → bot: [photo] 照片说明",
        "bot → 李四: 收到",
    ]
    assert isinstance(fake.transcript[0], TranscriptEntry)


def test_bot_message_plain_fields() -> None:
    message = BotMessage(
        message_id=1,
        chat_id=2,
        text="<b>x</b>",
        parse_mode="HTML",
        plain_text="x",
        sent_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert message.button_texts == []
    assert "#1" in message.describe()


async def test_copy_forward_caption_and_keyboards(fake: FakeTelegram, bot: Bot) -> None:
    reporter, leader = fake.user(1018, "甲"), fake.user(1019, "乙")
    evidence = png(40, 30)
    photo_id = await reporter.send_photo(evidence, caption="证据")
    await leader.send_text("/start")
    await bot.copy_message(1019, 1018, photo_id, caption="<b>转交</b>", parse_mode="HTML")
    assert leader.last.photo == evidence and leader.last.plain_text == "转交"
    forwarded = await bot.forward_message(1019, 1018, photo_id)
    assert forwarded.caption == "证据" and forwarded.forward_origin is not None

    await bot.send_message(1019, "选择", reply_markup=ReplyKeyboardMarkup([["是", "否"]]))
    assert leader.keyboard == [["是", "否"]]
    await bot.send_message(1019, "好", reply_markup=ReplyKeyboardRemove())
    assert leader.keyboard is None

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    sent = await bot.send_photo(1019, evidence, caption="c1", reply_markup=keyboard)
    shown = await leader.wait_message(lambda m: m.plain_text == "c1")
    await bot.edit_message_caption(chat_id=1019, message_id=sent.message_id, caption="c2")
    assert (await leader.wait_edit(shown)).buttons == []
    new_keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]])
    await bot.edit_message_reply_markup(1019, sent.message_id, reply_markup=new_keyboard)
    assert (await leader.wait_edit(shown)).button_texts == ["b"]
    assert shown.edits == ["c1", "c2"]

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(
            1019,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="x" * 65)]]
            ),
        )
    fake.fail("sendMessage", status=403)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(1019, "x")
    assert fake.stats.error_statuses[403] == 1
