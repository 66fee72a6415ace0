"""``FakeTelegram``: the method families composed into one server, and its lifecycle."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .callbacks import Callbacks
from .dispatch import Dispatch
from .editing import Editing
from .files import Files
from .groups import Groups
from .sending import Sending
from .settings import Settings
from .updates import Updates
from .user_actions import UserActions

__all__ = ["FakeTelegram", "create_app"]


def create_app(fake: FakeTelegram) -> web.Application:
    """The aiohttp application serving the Bot API and file downloads for ``fake``."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", fake._handle_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", fake._handle_file)
    return app


class FakeTelegram(
    Dispatch, Updates, Sending, Editing, Callbacks, Settings, Files, Groups, UserActions
):
    """In-process fake of the Telegram Bot API plus a test-user API.

    Use as ``async with FakeTelegram() as fake:``; point the bot at ``fake.url`` (the
    DUBAN_TELEGRAM_API_URL).
    Each Bot API method is handled in the module of its family (``@bot_method``).
    """

    def _application(self) -> web.Application:
        return create_app(self)

    async def start(self) -> None:
        """Start listening (on ``host:port``; port 0 picks a free port)."""
        if self._runner is not None:
            return
        self._closing = False
        await super().start()
        self._worker = asyncio.create_task(self._webhook_worker(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        """Stop the server; pending long polls return immediately."""
        self._closing = True
        self._signal.notify()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        await super().stop()

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"
