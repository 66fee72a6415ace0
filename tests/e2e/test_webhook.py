"""Webhook mode: updates arrive by POST with Telegram's secret header; others are refused."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.app import Options, create_app, serve
from bot.keys import RUNTIME
from bot.settings import Settings
from bot.webhook import HEADER, PATH, webhook_secret
from domain.clock import FakeClock
from services.web_auth import console_url
from storage.db import Database
from testbench import FakeTelegram


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_updates_arrive_by_webhook_and_forged_posts_are_refused(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://localhost:{port}{PATH}"  # as Telegram reaches it, not as it listens
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(fake.token),
        telegram_api_url=fake.url,
        database_url=database_url,
        media_dir=tmp_path / "media",
    )
    app = create_app(settings, clock=clock, options=Options(webhook_url=url))
    async with serve(app, "127.0.0.1", port):
        assert fake.webhook_url == url
        # the sign-in links the bot sends point where Telegram reaches this server
        assert await console_url(app[RUNTIME]) == f"http://localhost:{port}"
        assert fake.calls_to("getUpdates") == []
        user = fake.user(4242, "路人")
        await user.send_text("/help")
        reply = await user.wait_message()
        assert "/complain" in reply.plain_text

        update = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 4243, "type": "private"},
                "from": {"id": 4243, "is_bot": False, "first_name": "X"},
                "text": "/help",
            },
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as resp:
                assert resp.status == 403
            async with http.post(url, json=update, headers={HEADER: "wrong"}) as resp:
                assert resp.status == 403
            right = {HEADER: webhook_secret(fake.token)}
            async with http.post(url, data=b"{not json", headers=right) as resp:
                assert resp.status == 400
        forged = fake.user(4243, "X")
        assert forged.messages == []
