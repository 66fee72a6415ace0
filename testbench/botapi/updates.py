"""Getting updates to the bot: getUpdates long polling, setWebhook/deleteWebhook/getWebhookInfo,
and the worker that POSTs queued updates to the webhook."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp

from ..faults import default_description
from ..params import ApiError, Params, bad_request
from ..state import WebhookTarget
from .core import DEFAULT_UPDATE_TYPES, BotApiCore, JSONDict, bot_method, logger, timestamp

__all__ = ["Updates"]

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class Updates(BotApiCore):
    """The queue of pending updates and the two ways the bot takes them."""

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by getUpdates (or not yet delivered to the webhook)."""
        return list(self._pending)

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    def _set_allowed_updates(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise bad_request("can't parse allowed_updates JSON array")
        self._allowed_updates = frozenset(map(str, value)) or DEFAULT_UPDATE_TYPES

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            del self._pending[: max(0, len(self._pending) - keep)]
        elif offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    # ================================================================ long polling

    @bot_method("getUpdates")
    async def _get_updates(self, params: Params) -> Any:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_float("timeout") or 0.0, 0.0)
        self._set_allowed_updates(params.get_json("allowed_updates"))
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        if not self._pending and timeout > 0:
            await self._signal.wait_for(
                lambda: bool(self._pending) or self._closing or generation != self._poll_generation,
                timeout,
            )
        if generation != self._poll_generation:
            if self._webhook is not None:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
            raise ApiError(409, default_description(409))
        return self._pending[:limit]

    # ================================================================ webhook

    @bot_method("setWebhook")
    async def _set_webhook(self, params: Params) -> Any:
        url = params.get_str("url") or ""
        if not url:
            self._webhook = None
            return True
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token") or None
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        self._set_allowed_updates(params.get_json("allowed_updates"))
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        self._webhook = WebhookTarget(
            url=url, secret_token=secret, max_connections=params.get_int("max_connections") or 40
        )
        self._webhook_last_error = None
        self._poll_generation += 1
        self._signal.notify()
        return True

    @bot_method("deleteWebhook")
    async def _delete_webhook(self, params: Params) -> Any:
        self._webhook = None
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        self._signal.notify()
        return True

    @bot_method("getWebhookInfo")
    async def _get_webhook_info(self, params: Params) -> Any:
        info: JSONDict = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates != DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _webhook_worker(self) -> None:
        while not self._closing:
            await self._signal.wait_for(
                lambda: self._closing or (self._webhook is not None and bool(self._pending)),
                None,
            )
            hook = self._webhook
            if self._closing or hook is None or not self._pending:
                continue
            update = self._pending[0]
            done = await self._deliver_webhook(hook, update)
            if done and self._pending and self._pending[0] is update:
                self._pending.pop(0)
                self._signal.notify()

    async def _deliver_webhook(self, hook: WebhookTarget, update: JSONDict) -> bool:
        """POST one update; True when it is done with (delivered or given up on)."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        for attempt in range(max(1, self.webhook_retries)):
            if self._webhook is not hook:
                return False
            try:
                async with self._session.post(
                    hook.url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    if 200 <= response.status < 300:
                        return True
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc or type(exc).__name__}"
            self._webhook_last_error = (timestamp(self._now()), error)
            self.webhook_errors.append(error)
            logger.info("webhook delivery of update %s failed: %s", update["update_id"], error)
            await asyncio.sleep(0.1 * 2**attempt)
        logger.warning(
            "dropping update %s after %s failed webhook attempts",
            update["update_id"],
            self.webhook_retries,
        )
        return True
