"""The bot's own profile: getMe, the command menu (setMyCommands, getMyCommands,
deleteMyCommands), name, descriptions and menu button; and close/logOut."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from ..params import Params, bad_request
from .core import BotApiCore, JSONDict, bot_method

__all__ = ["Settings"]

_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


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


def _commands_key(params: Params) -> tuple[str, str]:
    """Where a call's commands are kept: its scope and language."""
    return _scope_key(params.get_json("scope")), params.get_str("language_code") or ""


def _kept_setting(name: str) -> Callable[[BotApiCore, Params], Awaitable[Any]]:
    """A handler that keeps the call's parameters in ``bot_settings[name]``."""

    @bot_method(name)
    async def keep(self: BotApiCore, params: Params) -> Any:
        self.bot_settings[name] = params.summary()
        return True

    return keep


class Settings(BotApiCore):
    """Who the bot is and which commands it offers, per scope and language."""

    _set_my_name = _kept_setting("setMyName")
    _set_my_description = _kept_setting("setMyDescription")
    _set_my_short_description = _kept_setting("setMyShortDescription")
    _set_chat_menu_button = _kept_setting("setChatMenuButton")

    def commands(
        self, scope: JSONDict | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """(command, description) pairs stored with setMyCommands for a scope + language."""
        stored = self._commands.get((_scope_key(scope), language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    @bot_method("getMe")
    async def _get_me(self, params: Params) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @bot_method("close", "logOut")
    async def _always_true(self, params: Params) -> Any:
        return True

    @bot_method("setMyCommands")
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
        key = _commands_key(params)
        self._commands[key] = cleaned
        return True

    @bot_method("getMyCommands")
    async def _get_my_commands(self, params: Params) -> Any:
        return self._commands.get(_commands_key(params), [])

    @bot_method("deleteMyCommands")
    async def _delete_my_commands(self, params: Params) -> Any:
        self._commands.pop(_commands_key(params), None)
        return True
