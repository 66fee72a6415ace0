"""Receiving updates by webhook: Telegram POSTs each update to our aiohttp server.

The route checks Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header (constant-time) before
it queues the update for the PTB application. The secret is derived from the bot token, so
every instance behind a load balancer expects the same one without another setting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.keys import TELEGRAM

log = logging.getLogger("duban.webhook")

PATH = "/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def webhook_secret(bot_token: str) -> str:
    """A secret Telegram sends back with each update (1-256 chars of A-Z, a-z, 0-9, _ and -)."""
    return hmac.new(bot_token.encode(), b"duban-webhook", hashlib.sha256).hexdigest()


def make_webhook_route(secret: str) -> web.RouteDef:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(HEADER, "")
        # Undecodable header bytes arrive as surrogates: compare them as the bytes sent.
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode()):
            log.warning("webhook_rejected", extra={"reason": "secret"})
            return web.json_response({"error": "forbidden"}, status=403)
        application = request.app.get(TELEGRAM)
        if application is None or not application.running:
            return web.json_response({"error": "not ready"}, status=503)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "too large"}, status=413)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, application.bot)
        except Exception:  # PTB's de_json raises many kinds (AttributeError, ...) on odd shapes
            log.warning("webhook_rejected", extra={"reason": "malformed"})
            return web.json_response({"error": "malformed update"}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    return web.post(PATH, receive)
