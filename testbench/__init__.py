"""Fake Telegram Bot API server plus a test-user API (used by tests and ``duban demo``).

Typical use::

    async with FakeTelegram(now=clock.now) as fake:
        # point the product at fake.url (DUBAN_TELEGRAM_API_URL), token fake.token
        li = fake.user(1001, "李四")
        await li.send_text("/start TOKEN")
        welcome = await li.wait_message()
        await li.press(welcome, "签收")
        assert (await li.wait_callback_answer()).text == "已签收"
"""

from .botapi import FakeTelegram, create_app
from .groups import FakeGroup
from .models import (
    ApiCall,
    BotMessage,
    Button,
    CallbackAnswer,
    Stats,
    StoredFile,
    TranscriptEntry,
    format_entry,
)
from .tghtml import HtmlParseError, parse_html
from .users import FakeUser

__all__ = [
    "ApiCall",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "HtmlParseError",
    "Stats",
    "StoredFile",
    "TranscriptEntry",
    "create_app",
    "format_entry",
    "parse_html",
]
