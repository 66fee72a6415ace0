"""Typed keys for what the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from bot.metrics import Metrics
from bot.outbox.sending import Deliverer
from bot.ptb import DubanApplication
from bot.settings import Settings
from services.runtime import Runtime
from storage.db import Database
from texts import Translator

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
RUNTIME = web.AppKey("runtime", Runtime)
METRICS = web.AppKey("metrics", Metrics)
TRANSLATOR = web.AppKey("translator", Translator)
TELEGRAM = web.AppKey("telegram", DubanApplication)
DELIVERER = web.AppKey("deliverer", Deliverer)
CONSOLE_BASE = web.AppKey("console_base", str)
"""The console's address for the links the bot sends (see ``bot.app.console_base``)."""
