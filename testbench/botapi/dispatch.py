"""How a Bot API call is answered: recorded, put through the faults a test injected and the flood
limits, then handed to its method's handler; and the tests' controls over those faults."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..faults import DelayRule, FailRule, FloodLimits, default_description
from ..models import ApiCall
from ..params import ApiError, read_params
from .core import BotApiCore

__all__ = ["Dispatch"]

# Methods subject to enforce_limits(): the ones that put a new message into a chat.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)


class Dispatch(BotApiCore):
    """``POST /bot{token}/{method}``, fault injection and the record of calls."""

    # ================================================================ test API

    def fail(
        self,
        method: str | None = None,
        *,
        status: int = 429,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` matching calls fail without being processed.

        ``method=None`` matches any method except getUpdates. 429 answers carry
        ``parameters.retry_after`` (default 1 second).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.failures.append(
            FailRule(
                method=method,
                status=status,
                retry_after=retry_after if status == 429 else None,
                remaining=times,
                chat_id=chat_id,
                description=description or default_description(status, retry_after),
            )
        )

    def delay(
        self,
        method: str | None,
        seconds: float,
        *,
        times: int = 1,
        chat_id: int | None = None,
        process: bool = True,
        jitter: float = 0.0,
    ) -> None:
        """Answer the next ``times`` matching calls ``seconds`` late (plus up to ``jitter``
        seconds more, at random: a real network's round trip).

        ``process=True``: the call is carried out at once and only the answer is late, so a
        client that times out has still sent the message (how duplicates happen).
        ``process=False``: the call is never carried out; after the delay the server answers
        502 Bad Gateway (if the client is still waiting).
        """
        self._faults.delays.append(
            DelayRule(
                method=method,
                seconds=seconds,
                remaining=times,
                chat_id=chat_id,
                process=process,
                jitter=jitter,
            )
        )

    def enforce_limits(
        self,
        per_chat_per_second: float = 1.0,
        overall_per_second: float = 30.0,
        group_per_minute: int = 20,
    ) -> None:
        """Answer 429 (with retry_after) when the bot exceeds Telegram's flood limits."""
        self._faults.limits = FloodLimits(
            per_chat_per_second=per_chat_per_second,
            overall_per_second=overall_per_second,
            group_per_minute=group_per_minute,
        )

    def reset_faults(self, *, limits: bool = True) -> None:
        """Forget queued failures and delays (and flood limits unless ``limits=False``)."""
        self._faults.failures.clear()
        self._faults.delays.clear()
        if limits:
            self._faults.limits = None

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of one Bot API method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def assert_no_unknown_methods(self) -> None:
        if self.unknown_methods:
            raise AssertionError(
                f"the bot called Bot API methods the fake does not know: {self.unknown_methods}"
            )

    # ================================================================ HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        known = self._methods.get(method.lower())
        try:
            params = await read_params(request)
        except ApiError as err:
            return web.json_response(err.payload(), status=err.status)
        name = known[0] if known else method
        call = ApiCall(
            method=name, params=params.summary(), files=sorted(params.files), at=self._now()
        )
        self.calls.append(call)
        self.stats.calls[name] += 1
        if known is None:
            self.unknown_methods.append(method)
            return self._error_response(call, ApiError(404, "Not Found"))
        handler = known[1]
        chat_id = params.chat_id_or_none()
        try:
            delay = self._injected_faults(name, chat_id)
            if delay is not None and not delay.process:
                await asyncio.sleep(delay.late_by())
                raise ApiError(502, default_description(502), injected=True)
            result = await handler(params)
            if delay is not None:
                await asyncio.sleep(delay.late_by())
        except ApiError as err:
            return self._error_response(call, err)
        call.status = 200
        return web.json_response({"ok": True, "result": result})

    def _injected_faults(self, name: str, chat_id: int | None) -> DelayRule | None:
        """Raise the failure or flood-limit answer due for this call; else its delay, if any."""
        rule = self._faults.take_failure(name, chat_id)
        if rule is not None:
            raise ApiError(
                rule.status, rule.description, retry_after=rule.retry_after, injected=True
            )
        if name in SENDING_METHODS and self._faults.limits is not None:
            now = asyncio.get_running_loop().time()
            retry_after = self._faults.limits.admit(chat_id, now)
            if retry_after is not None:
                raise ApiError(429, default_description(429, retry_after), retry_after=retry_after)
        return self._faults.take_delay(name, chat_id)

    def _error_response(self, call: ApiCall, err: ApiError) -> web.Response:
        call.status = err.status
        self.stats.error_statuses[err.status] += 1
        if err.status == 429:
            if err.injected:
                self.stats.throttled_injected += 1
            else:
                self.stats.throttled_by_limits += 1
        if err.status >= 500:
            self.stats.server_errors += 1
        return web.json_response(err.payload(), status=err.status)
