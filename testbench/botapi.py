"""A fake Telegram Bot API server that the real python-telegram-bot stack talks to over HTTP.

Build the bot with::

    Application.builder().token(fake.token)
        .base_url(f"{fake.url}/bot").base_file_url(f"{fake.url}/file/bot")

Calls then arrive as ``POST {url}/bot{token}/{method}`` and file downloads as
``GET {url}/file/bot{token}/{file_path}``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, Literal, Self

import aiohttp
from aiohttp import web

from .content import (
    MAX_CALLBACK_ANSWER_LENGTH,
    Content,
    Markup,
    format_caption,
    image_size,
    parse_markup,
    photo_dimensions,
    text_content,
)
from .faults import DelayRule, FailRule, FaultPlan, FloodLimits, default_description
from .models import (
    ApiCall,
    BotMessage,
    Button,
    CallbackAnswer,
    EventKind,
    Stats,
    StoredFile,
    TranscriptEntry,
    format_entry,
)
from .params import ApiError, Params, Upload, bad_request, read_params
from .state import ChatState, Signal
from .tghtml import utf16_len
from .users import FakeUser, MessageRef

__all__ = ["FakeTelegram", "create_app"]

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"

# Update types delivered when allowed_updates is not specified (Telegram's default).
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

# Methods subject to enforce_limits(): the ones that put a new message into a chat.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_DEFAULT_PHOTO_SIZE = (1280, 960)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int


@dataclass
class _Query:
    user_id: int
    message_id: int
    answered: bool = False
    answer: CallbackAnswer | None = None


def create_app(fake: FakeTelegram) -> web.Application:
    """The aiohttp application serving the Bot API and file downloads for ``fake``."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", fake._handle_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", fake._handle_file)
    return app


class FakeTelegram:
    """In-process fake of the Telegram Bot API plus a test-user API.

    Use as ``async with FakeTelegram() as fake:``; point the bot at ``fake.url``.
    """

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "duban_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        now: Callable[[], datetime] | None = None,
        bot_name: str = "Duban",
        on_event: Callable[[TranscriptEntry], None] | None = None,
        webhook_retries: int = 3,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_name = bot_name
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        self.on_event = on_event
        """Called with every new transcript entry (exceptions are logged and ignored)."""
        self.webhook_retries = webhook_retries
        self.stats = Stats()
        self.calls: list[ApiCall] = []
        """Every Bot API call received, in order."""
        self.unknown_methods: list[str] = []
        """Methods the bot called that the fake does not implement (answered 404)."""
        self.transcript: list[TranscriptEntry] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.bot_settings: dict[str, JSONDict] = {}
        """Last parameters of setMyName/setMyDescription/setMyShortDescription/..."""
        self.webhook_errors: list[str] = []
        self._host = host
        self._port = port
        self._now = now or _utc_now
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._photo_groups: dict[str, list[JSONDict]] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._queries: dict[str, _Query] = {}
        self._pending: list[JSONDict] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._webhook_last_error: tuple[int, str] | None = None
        self._faults = FaultPlan()
        self._signal = Signal()
        self._ids = itertools.count(1)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._url: str | None = None
        handlers: list[tuple[str, Handler]] = [
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("sendMessage", self._send_message),
            ("sendPhoto", self._send_photo),
            ("sendDocument", self._send_document),
            ("sendMediaGroup", self._send_media_group),
            ("copyMessage", self._copy_message),
            ("forwardMessage", self._forward_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageCaption", self._edit_message_caption),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("deleteMessages", self._delete_messages),
            ("answerCallbackQuery", self._answer_callback_query),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendChatAction", self._send_chat_action),
            ("getFile", self._get_file),
            ("setMyName", self._setting_handler("setMyName")),
            ("setMyDescription", self._setting_handler("setMyDescription")),
            ("setMyShortDescription", self._setting_handler("setMyShortDescription")),
            ("setChatMenuButton", self._setting_handler("setChatMenuButton")),
            ("close", self._always_true),
            ("logOut", self._always_true),
        ]
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers
        }

    # ================================================================ lifecycle

    async def start(self) -> None:
        """Start listening (on ``host:port``; port 0 picks a free port)."""
        if self._runner is not None:
            return
        self._closing = False
        runner = web.AppRunner(create_app(self), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()
        self._worker = asyncio.create_task(self._webhook_worker(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        """Stop the server; pending long polls return immediately."""
        self._closing = True
        self._signal.notify()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:43123`` (the DUBAN_TELEGRAM_API_URL)."""
        if self._url is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"

    # ================================================================ test API

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
        display_name: str | None = None,
    ) -> FakeUser:
        """Get or create a user; the private chat id equals ``user_id``."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        user = FakeUser(
            self,
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
            display_name=display_name,
        )
        self._users[user_id] = user
        self._chats[user_id] = ChatState(chat_id=user_id)
        return user

    @property
    def users(self) -> list[FakeUser]:
        return list(self._users.values())

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
    ) -> None:
        """Answer the next ``times`` matching calls ``seconds`` late.

        ``process=True``: the call is carried out at once and only the answer is late, so a
        client that times out has still sent the message (how duplicates happen).
        ``process=False``: the call is never carried out; after the delay the server answers
        502 Bad Gateway (if the client is still waiting).
        """
        self._faults.delays.append(
            DelayRule(
                method=method, seconds=seconds, remaining=times, chat_id=chat_id, process=process
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

    def commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """(command, description) pairs stored with setMyCommands for a scope + language."""
        stored = self._commands.get((self._scope_key(scope), language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def file_bytes(self, file_id: str) -> bytes:
        """Bytes of any file known to the server (sent by a user or uploaded by the bot)."""
        stored = self._files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.data

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by getUpdates (or not yet delivered to the webhook)."""
        return list(self._pending)

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    @property
    def unanswered_callback_queries(self) -> list[str]:
        return [qid for qid, query in self._queries.items() if not query.answered]

    def format_transcript(self) -> str:
        return "\n".join(format_entry(entry) for entry in self.transcript)

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
            rule = self._faults.take_failure(name, chat_id)
            if rule is not None:
                raise ApiError(
                    rule.status, rule.description, retry_after=rule.retry_after, injected=True
                )
            if name in SENDING_METHODS and self._faults.limits is not None:
                now = asyncio.get_running_loop().time()
                retry_after = self._faults.limits.admit(chat_id, now)
                if retry_after is not None:
                    raise ApiError(
                        429, default_description(429, retry_after), retry_after=retry_after
                    )
            delay = self._faults.take_delay(name, chat_id)
            if delay is not None and not delay.process:
                await asyncio.sleep(delay.seconds)
                raise ApiError(502, default_description(502), injected=True)
            result = await handler(params)
            if delay is not None:
                await asyncio.sleep(delay.seconds)
        except ApiError as err:
            return self._error_response(call, err)
        call.status = 200
        return web.json_response({"ok": True, "result": result})

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

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ================================================================ updates

    def _push_update(self, kind: str, payload: JSONDict) -> None:
        if kind not in self._allowed_updates:
            return
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self._signal.notify()

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
        self._webhook = _Webhook(
            url=url, secret_token=secret, max_connections=params.get_int("max_connections") or 40
        )
        self._webhook_last_error = None
        self._poll_generation += 1
        self._signal.notify()
        return True

    async def _delete_webhook(self, params: Params) -> Any:
        self._webhook = None
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        self._signal.notify()
        return True

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

    async def _deliver_webhook(self, hook: _Webhook, update: JSONDict) -> bool:
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
            self._webhook_last_error = (_timestamp(self._now()), error)
            self.webhook_errors.append(error)
            logger.info("webhook delivery of update %s failed: %s", update["update_id"], error)
            await asyncio.sleep(0.1 * 2**attempt)
        logger.warning(
            "dropping update %s after %s failed webhook attempts",
            update["update_id"],
            self.webhook_retries,
        )
        return True

    # ================================================================ chats and messages

    def _chat(self, chat_id: int) -> ChatState:
        return self._chats[chat_id]

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _chat_for_bot(self, chat_id: int) -> ChatState:
        """The chat the bot addresses, enforcing Telegram's access rules."""
        chat = self._chats.get(chat_id)
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        if self._users[chat_id].blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def render(self, message: BotMessage, *, with_reply: bool = True) -> JSONDict:
        """The Bot API ``Message`` object of a bot message as currently shown."""
        user = self._users[message.chat_id]
        data: JSONDict = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": user.chat_dict(),
            "date": _timestamp(message.sent_at),
        }
        if message.edited_at is not None:
            data["edit_date"] = _timestamp(message.edited_at)
        if message.forward_origin is not None:
            data["forward_origin"] = message.forward_origin
        if message.photo_sizes is not None or message.document_info is not None:
            if message.photo_sizes is not None:
                data["photo"] = message.photo_sizes
            else:
                data["document"] = message.document_info
            if message.plain_text:
                data["caption"] = message.plain_text
                if message.entities:
                    data["caption_entities"] = message.entities
        else:
            data["text"] = message.plain_text
            if message.entities:
                data["entities"] = message.entities
        if message.media_group_id is not None:
            data["media_group_id"] = message.media_group_id
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        if with_reply and message.reply_to is not None:
            replied = self._render_in_chat(self._chat(message.chat_id), message.reply_to)
            if replied is not None:
                data["reply_to_message"] = replied
        return data

    def _render_in_chat(self, chat: ChatState, message_id: int) -> JSONDict | None:
        bot_message = chat.live_bot_message(message_id)
        if bot_message is not None:
            return self.render(bot_message, with_reply=False)
        user_message = chat.user_messages.get(message_id)
        if user_message is None:
            return None
        return {k: v for k, v in user_message.items() if k != "reply_to_message"}

    def _emit(
        self,
        *,
        sender: Literal["user", "bot"],
        kind: EventKind,
        chat_id: int,
        text: str,
        buttons: list[list[Button]] | None = None,
        attachment: str | None = None,
        message_id: int | None = None,
    ) -> None:
        entry = TranscriptEntry(
            at=self._now(),
            sender=sender,
            kind=kind,
            user=self._users[chat_id].display_name,
            chat_id=chat_id,
            text=text,
            buttons=tuple(tuple(b.text for b in row) for row in buttons or []),
            attachment=attachment,
            message_id=message_id,
        )
        self.transcript.append(entry)
        if self.on_event is not None:
            try:
                self.on_event(entry)
            except Exception:
                logger.exception("on_event callback failed")

    def _reply_target(self, chat: ChatState, params: Params) -> int | None:
        reply = params.get_json("reply_parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        message_id: int | None = None
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int(reply["message_id"])
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        else:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        if self._render_in_chat(chat, message_id) is not None:
            return message_id
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def _record(
        self,
        chat: ChatState,
        content: Content,
        *,
        markup: Markup | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
        forward_origin: JSONDict | None = None,
    ) -> BotMessage:
        markup = markup or Markup()
        message = BotMessage(
            message_id=chat.take_message_id(),
            chat_id=chat.chat_id,
            text=content.text,
            parse_mode=content.parse_mode,
            plain_text=content.plain,
            sent_at=self._now(),
            buttons=markup.buttons,
            photo=content.photo,
            document=content.document,
            media_group_id=media_group_id,
            reply_to=reply_to,
            reply_keyboard=markup.keyboard,
            forwarded=forward_origin is not None,
            file_id=content.file_id,
            entities=content.entities,
            reply_markup=markup.inline,
            photo_sizes=content.photo_sizes,
            document_info=content.document_info,
            forward_origin=forward_origin,
        )
        chat.bot_messages.append(message)
        chat.by_id[message.message_id] = message
        if markup.keyboard is not None:
            chat.keyboard = markup.keyboard
        elif markup.remove_keyboard:
            chat.keyboard = None
        self.stats.messages_delivered += 1
        kind: EventKind = "message"
        attachment = None
        if content.photo_sizes is not None:
            kind, attachment = "photo", "photo"
        elif content.document is not None:
            kind, attachment = "document", f"document {content.document[1]}"
        self._emit(
            sender="bot",
            kind=kind,
            chat_id=chat.chat_id,
            text=content.plain,
            buttons=markup.buttons,
            attachment=attachment,
            message_id=message.message_id,
        )
        self._signal.notify()
        return message

    def _apply_edit(
        self,
        message: BotMessage,
        markup: Markup,
        *,
        text: str | None = None,
        parse_mode: str | None = None,
        plain: str | None = None,
        entities: list[JSONDict] | None = None,
    ) -> None:
        message.edits.append(message.text)
        if text is not None and plain is not None:
            message.text = text
            message.parse_mode = parse_mode
            message.plain_text = plain
            message.entities = entities or []
        message.buttons = markup.buttons
        message.reply_markup = markup.inline
        message.edited_at = self._now()
        self._emit(
            sender="bot",
            kind="edit",
            chat_id=message.chat_id,
            text=message.plain_text,
            buttons=message.buttons,
            message_id=message.message_id,
        )
        self._signal.notify()

    def _message_to_edit(self, params: Params) -> BotMessage:
        if params.get_str("inline_message_id") and "chat_id" not in params:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat_for_bot(params.chat_id())
        message_id = params.require_int("message_id")
        message = chat.live_bot_message(message_id)
        if message is None:
            if message_id in chat.user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    # ================================================================ files

    def _store_file(
        self,
        data: bytes,
        kind: Literal["photo", "document"],
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._ids)
        if kind == "photo":
            path = f"photos/file_{number}.jpg"
            file_id = f"AgACAgIAAxkBAAI{number:08d}"
        else:
            suffix = PurePosixPath(file_name).suffix if file_name else ""
            path = f"documents/file_{number}{suffix}"
            file_id = f"BQACAgIAAxkBAAI{number:08d}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"AQAD{number:08d}",
            file_path=path,
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type or ("image/jpeg" if kind == "photo" else None),
        )
        self._files[file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _photo_sizes(self, data: bytes, size: tuple[int, int]) -> list[JSONDict]:
        sizes: list[JSONDict] = []
        for width, height in photo_dimensions(*size):
            stored = self._store_file(data, "photo")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            )
        for entry in sizes:
            self._photo_groups[entry["file_id"]] = sizes
        return sizes

    @staticmethod
    def _document_info(stored: StoredFile) -> JSONDict:
        info: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            info["file_name"] = stored.file_name
        if stored.mime_type:
            info["mime_type"] = stored.mime_type
        return info

    def _resolve_file(
        self, params: Params, reference: Any, kind: Literal["photo", "document"]
    ) -> Upload | StoredFile:
        if isinstance(reference, Upload):
            return reference
        if not isinstance(reference, str) or not reference:
            raise bad_request(f"there is no {kind} in the request")
        if reference.startswith("attach://"):
            upload = params.files.get(reference.removeprefix("attach://"))
            if upload is None:
                raise bad_request(
                    f"wrong file identifier/HTTP URL specified: {reference} is missing"
                )
            return upload
        stored = self._files.get(reference)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request("type of file mismatch")
        return stored

    def _photo_content(self, source: Upload | StoredFile) -> Content:
        if isinstance(source, StoredFile):
            sizes = self._photo_groups[source.file_id]
            return Content(photo=source.data, photo_sizes=sizes, file_id=sizes[-1]["file_id"])
        if not source.data:
            raise bad_request("file must be non-empty")
        size = image_size(source.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        sizes = self._photo_sizes(source.data, size)
        return Content(photo=source.data, photo_sizes=sizes, file_id=sizes[-1]["file_id"])

    def _document_content(self, source: Upload | StoredFile) -> Content:
        if isinstance(source, Upload):
            if not source.data:
                raise bad_request("file must be non-empty")
            source = self._store_file(
                source.data,
                "document",
                file_name=source.filename,
                mime_type=source.content_type,
            )
        name = source.file_name or PurePosixPath(source.file_path).name
        return Content(
            document=(source.data, name),
            document_info=self._document_info(source),
            file_id=source.file_id,
        )

    # ================================================================ Bot API methods

    async def _always_true(self, params: Params) -> Any:
        return True

    def _setting_handler(self, name: str) -> Handler:
        async def store(params: Params) -> Any:
            self.bot_settings[name] = params.summary()
            return True

        return store

    async def _get_me(self, params: Params) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        content = text_content(params)
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        return self.render(self._record(chat, content, markup=markup, reply_to=reply_to))

    async def _send_photo(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._resolve_file(
            params, params.files.get("photo") or params.get_str("photo"), "photo"
        )
        content = self._photo_content(source)
        self._apply_caption(content, params)
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        return self.render(self._record(chat, content, markup=markup, reply_to=reply_to))

    async def _send_document(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._resolve_file(
            params, params.files.get("document") or params.get_str("document"), "document"
        )
        caption = format_caption(
            params.get_str("caption"),
            params.get_str("parse_mode"),
            params.get_json("caption_entities"),
        )
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        content = self._document_content(source)
        self._apply_caption(content, params, parsed=caption)
        return self.render(self._record(chat, content, markup=markup, reply_to=reply_to))

    def _apply_caption(
        self, content: Content, params: Params, parsed: tuple[str, list[JSONDict]] | None = None
    ) -> None:
        caption = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode")
        if parsed is None:
            parsed = format_caption(caption, parse_mode, params.get_json("caption_entities"))
        content.text = caption
        content.parse_mode = parse_mode
        content.plain, content.entities = parsed

    async def _send_media_group(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        media = params.get_json("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the group: must include 2-10 items")
        kinds = {str(item.get("type")) for item in media}
        if not kinds <= {"photo", "document"}:
            raise bad_request(f"unsupported media type in the fake: {sorted(kinds)}")
        if len(kinds) > 1:
            raise bad_request("document can't be mixed with other media types")
        reply_to = self._reply_target(chat, params)
        prepared: list[Content] = []
        for item in media:
            kind: Literal["photo", "document"] = (
                "photo" if item.get("type") == "photo" else "document"
            )
            source = self._resolve_file(params, item.get("media"), kind)
            caption = item.get("caption")
            parse_mode = item.get("parse_mode")
            plain, entities = format_caption(
                caption if isinstance(caption, str) else None,
                parse_mode if isinstance(parse_mode, str) else None,
                item.get("caption_entities"),
            )
            content = (
                self._photo_content(source) if kind == "photo" else self._document_content(source)
            )
            content.text = caption if isinstance(caption, str) else ""
            content.parse_mode = parse_mode if isinstance(parse_mode, str) else None
            content.plain, content.entities = plain, entities
            prepared.append(content)
        group_id = str(13_000_000_000_000_000 + next(self._ids))
        messages = [
            self._record(chat, content, reply_to=reply_to, media_group_id=group_id)
            for content in prepared
        ]
        return [self.render(message) for message in messages]

    def _source_message(self, params: Params, action: str) -> JSONDict:
        from_chat = self._chats.get(params.chat_id("from_chat_id"))
        if from_chat is None or not from_chat.started:
            raise bad_request("chat not found")
        source = self._render_in_chat(from_chat, params.require_int("message_id"))
        if source is None:
            raise bad_request(f"message to {action} not found")
        return source

    def _content_from_message(self, source: JSONDict) -> Content:
        if "photo" in source:
            stored = self._files[source["photo"][-1]["file_id"]]
            content = self._photo_content(stored)
        elif "document" in source:
            content = self._document_content(self._files[source["document"]["file_id"]])
        else:
            content = Content()
        content.plain = str(source.get("text", source.get("caption", "")))
        content.text = content.plain
        content.entities = list(source.get("entities") or source.get("caption_entities") or [])
        return content

    async def _copy_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._source_message(params, "copy")
        content = self._content_from_message(source)
        if "caption" in params and ("photo" in source or "document" in source):
            self._apply_caption(content, params)
        markup = parse_markup(params)
        reply_to = self._reply_target(chat, params)
        message = self._record(chat, content, markup=markup, reply_to=reply_to)
        return {"message_id": message.message_id}

    async def _forward_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        source = self._source_message(params, "forward")
        content = self._content_from_message(source)
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        return self.render(self._record(chat, content, forward_origin=origin))

    async def _edit_message_text(self, params: Params) -> Any:
        message = self._message_to_edit(params)
        if message.is_photo or message.is_document:
            raise bad_request("there is no text in the message to edit")
        content = text_content(params)
        markup = parse_markup(params)
        if (
            content.plain == message.plain_text
            and content.entities == message.entities
            and markup.inline == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._apply_edit(
            message,
            markup,
            text=content.text,
            parse_mode=content.parse_mode,
            plain=content.plain,
            entities=content.entities,
        )
        return self.render(message)

    async def _edit_message_caption(self, params: Params) -> Any:
        message = self._message_to_edit(params)
        if not (message.is_photo or message.is_document):
            raise bad_request("there is no caption in the message to edit")
        caption = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode")
        plain, entities = format_caption(caption, parse_mode, params.get_json("caption_entities"))
        markup = parse_markup(params)
        if (
            plain == message.plain_text
            and entities == message.entities
            and markup.inline == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._apply_edit(
            message, markup, text=caption, parse_mode=parse_mode, plain=plain, entities=entities
        )
        return self.render(message)

    async def _edit_message_reply_markup(self, params: Params) -> Any:
        message = self._message_to_edit(params)
        markup = parse_markup(params)
        if markup.inline == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._apply_edit(message, markup)
        return self.render(message)

    def _delete_one(self, chat: ChatState, message_id: int) -> bool:
        message = chat.live_bot_message(message_id)
        if message is not None:
            message.deleted = True
            self._emit(
                sender="bot", kind="delete", chat_id=chat.chat_id, text="", message_id=message_id
            )
            self._signal.notify()
            return True
        return chat.user_messages.pop(message_id, None) is not None

    async def _delete_message(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        if not self._delete_one(chat, params.require_int("message_id")):
            raise bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty array of at most 100 items")
        for message_id in ids:
            self._delete_one(chat, int(message_id))
        return True

    async def _answer_callback_query(self, params: Params) -> Any:
        query_id = params.require_str("callback_query_id")
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(text=text, show_alert=params.get_bool("show_alert"))
        query.answered = True
        query.answer = answer
        self._users[query.user_id].callback_answers.append(answer)
        if text:
            self._emit(
                sender="bot",
                kind="answer",
                chat_id=query.user_id,
                text=f"({'alert' if answer.show_alert else 'toast'}) {text}",
            )
        self._signal.notify()
        return True

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The answer given to a callback query (None while unanswered)."""
        query = self._queries.get(query_id)
        return query.answer if query else None

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        normalized = dict(scope)
        for key in ("chat_id", "user_id"):
            if key in normalized:
                try:
                    normalized[key] = int(normalized[key])
                except (TypeError, ValueError):
                    raise bad_request("chat not found") from None
        return json.dumps(normalized, sort_keys=True)

    async def _set_my_commands(self, params: Params) -> Any:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON array")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _BOT_COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        self._commands[key] = cleaned
        return True

    async def _get_my_commands(self, params: Params) -> Any:
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        return self._commands.get(key, [])

    async def _delete_my_commands(self, params: Params) -> Any:
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        self._commands.pop(key, None)
        return True

    async def _send_chat_action(self, params: Params) -> Any:
        chat = self._chat_for_bot(params.chat_id())
        self.chat_actions.append((chat.chat_id, params.require_str("action")))
        return True

    async def _get_file(self, params: Params) -> Any:
        stored = self._files.get(params.require_str("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ================================================================ user actions

    def _user_can_act(self, user: FakeUser) -> ChatState:
        if user.blocked:
            raise AssertionError(
                f"{user.display_name} has blocked the bot; call unblock() before acting"
            )
        chat = self._chat(user.id)
        chat.started = True
        return chat

    def _reply_ref(self, chat: ChatState, reply_to: MessageRef | None) -> JSONDict | None:
        if reply_to is None:
            return None
        message_id = reply_to.message_id if isinstance(reply_to, BotMessage) else reply_to
        rendered = self._render_in_chat(chat, message_id)
        if rendered is None:
            raise AssertionError(f"cannot reply to message #{message_id}: not in the chat")
        return rendered

    def _user_message(
        self,
        user: FakeUser,
        content: JSONDict,
        *,
        reply_to: MessageRef | None,
        media_group_id: str | None = None,
    ) -> int:
        chat = self._user_can_act(user)
        replied = self._reply_ref(chat, reply_to)
        message_id = chat.take_message_id()
        message: JSONDict = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": user.chat_dict(),
            "date": _timestamp(self._now()),
        }
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if replied is not None:
            message["reply_to_message"] = replied
        message.update(content)
        chat.user_messages[message_id] = message
        self._push_update("message", message)
        return message_id

    def _user_text(self, user: FakeUser, text: str, *, reply_to: MessageRef | None) -> int:
        if not text:
            raise ValueError("Telegram users cannot send empty messages")
        content: JSONDict = {"text": text}
        command = _COMMAND_RE.match(text)
        if command is not None:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        message_id = self._user_message(user, content, reply_to=reply_to)
        self._emit(sender="user", kind="message", chat_id=user.id, text=text, message_id=message_id)
        return message_id

    def _user_photo_content(self, data: bytes, caption: str | None) -> JSONDict:
        size = image_size(data) or _DEFAULT_PHOTO_SIZE
        content: JSONDict = {"photo": self._photo_sizes(data, size)}
        if caption:
            content["caption"] = caption
        return content

    def _user_photo(
        self, user: FakeUser, data: bytes, *, caption: str | None, reply_to: MessageRef | None
    ) -> int:
        content = self._user_photo_content(data, caption)
        message_id = self._user_message(user, content, reply_to=reply_to)
        self._emit(
            sender="user",
            kind="photo",
            chat_id=user.id,
            text=caption or "",
            attachment="photo",
            message_id=message_id,
        )
        return message_id

    def _user_album(
        self,
        user: FakeUser,
        photos: list[bytes],
        *,
        caption: str | None,
        reply_to: MessageRef | None,
    ) -> list[int]:
        if not 2 <= len(photos) <= 10:
            raise ValueError("an album holds 2-10 photos")
        group_id = str(13_000_000_000_000_000 + next(self._ids))
        ids = [
            self._user_message(
                user,
                self._user_photo_content(data, caption if index == 0 else None),
                reply_to=reply_to,
                media_group_id=group_id,
            )
            for index, data in enumerate(photos)
        ]
        self._emit(
            sender="user",
            kind="album",
            chat_id=user.id,
            text=caption or "",
            attachment=f"album of {len(photos)} photos",
            message_id=ids[0],
        )
        return ids

    def _user_document(
        self,
        user: FakeUser,
        data: bytes,
        *,
        filename: str,
        mime_type: str,
        caption: str | None,
        reply_to: MessageRef | None,
    ) -> int:
        stored = self._store_file(data, "document", file_name=filename, mime_type=mime_type)
        content: JSONDict = {"document": self._document_info(stored)}
        if caption:
            content["caption"] = caption
        message_id = self._user_message(user, content, reply_to=reply_to)
        self._emit(
            sender="user",
            kind="document",
            chat_id=user.id,
            text=caption or "",
            attachment=f"document {filename}",
            message_id=message_id,
        )
        return message_id

    def _visible_message(self, user: FakeUser, message_id: int) -> BotMessage:
        chat = self._chat(user.id)
        message = chat.by_id.get(message_id)
        if message is None:
            raise AssertionError(
                f"no bot message #{message_id} in the chat with {user.display_name}; "
                f"the chat received:\n{user.history()}"
            )
        if message.deleted:
            raise AssertionError(f"bot message #{message_id} was deleted; cannot press it")
        return message

    def _user_callback(self, user: FakeUser, message: BotMessage, data: str, *, label: str) -> str:
        self._user_can_act(user)
        query_id = str(4_000_000_000_000_000_000 + next(self._ids))
        self._queries[query_id] = _Query(user_id=user.id, message_id=message.message_id)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self.render(message),
            "chat_instance": str(-7_000_000_000_000_000_000 - user.id),
            "data": data,
        }
        user._observe(message)
        self._push_update("callback_query", query)
        self._emit(
            sender="user",
            kind="press",
            chat_id=user.id,
            text=label,
            message_id=message.message_id,
        )
        return query_id

    def _set_blocked(self, user: FakeUser, *, blocked: bool) -> None:
        if user.blocked == blocked:
            return
        user.blocked = blocked
        member: JSONDict = {"status": "member", "user": self._bot_user()}
        kicked: JSONDict = {"status": "kicked", "user": self._bot_user(), "until_date": 0}
        self._push_update(
            "my_chat_member",
            {
                "chat": user.chat_dict(),
                "from": user.to_dict(),
                "date": _timestamp(self._now()),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )
        self._emit(sender="user", kind="block" if blocked else "unblock", chat_id=user.id, text="")
