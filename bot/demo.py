"""``duban demo``: the example county played through the real bot against a fake Telegram.

Each act is a function taking the :class:`Stage`; later capabilities add acts to ``ACTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.app import Options, create_app, serve
from bot.demo_complaint import complaint
from bot.demo_escalation import escalation
from bot.demo_lifecycle import lifecycle
from bot.demo_registration import registering
from bot.settings import Settings
from domain.clock import FakeClock
from domain.roster import parse_roster
from services.people import issue_invites
from services.roster import import_roster
from services.runtime import Runtime
from storage.db import Database
from testbench import FakeTelegram, FakeUser, format_entry

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEMO_START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FIRST_USER_ID = 710_000_001


@dataclass
class Stage:
    """Everything an act needs: the fake Telegram, the people, the services and the clock."""

    fake: FakeTelegram
    rt: Runtime
    clock: FakeClock
    users: dict[str, FakeUser] = field(default_factory=dict)
    say: Callable[[str], None] = print

    def narrate(self, text: str) -> None:
        self.say(f"\n== {text}")


Act = Callable[[Stage], Awaitable[None]]


async def joining(stage: Stage) -> None:
    """Everyone on the roster joins with their invitation; a reused code is refused."""
    stage.narrate("Everyone on the roster joins by invitation")
    invites = await issue_invites(stage.rt, bot_username=stage.fake.bot_username)
    for number, invite in enumerate(invites):
        user = stage.fake.user(FIRST_USER_ID + number, invite.name)
        stage.users[invite.person] = user
        await user.send_text(f"/start {invite.token}")
        await user.wait_message(lambda m: bool(m.plain_text), timeout=10)
    if invites:
        stage.narrate("A used invitation cannot be used again")
        stranger = stage.fake.user(FIRST_USER_ID + 9_999, "路人甲")
        await stranger.send_text(f"/start {invites[0].token}")
        await stranger.wait_message(timeout=10)
        stage.narrate("Someone who has not joined writes to the bot")
        await stranger.send_text("你好")
        await stranger.wait_message(timeout=10)


ACTS: list[Act] = [joining, registering, lifecycle, complaint, escalation]


async def run_demo(*, serve: bool = True, workdir: Path | None = None) -> None:
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="duban-demo-")))
        workdir.mkdir(parents=True, exist_ok=True)
        await _run(workdir, keep_serving=serve)


async def _run(workdir: Path, *, keep_serving: bool) -> None:
    clock = FakeClock(DEMO_START)
    database_url = f"sqlite+aiosqlite:///{workdir / 'demo.db'}"
    db = Database(database_url)
    await db.upgrade()
    await db.dispose()

    def say(line: str) -> None:
        print(line, flush=True)

    async with FakeTelegram(bot_username="duban_demo_bot", now=clock.now) as fake:
        fake.on_event = lambda entry: say(format_entry(entry))
        settings = Settings(
            _env_file=None,
            bot_token=SecretStr(fake.token),
            telegram_api_url=fake.url,
            database_url=database_url,
            media_dir=workdir / "media",
            web_port=int(os.environ.get("DUBAN_WEB_PORT", "8080")) if keep_serving else 0,
        )
        app = create_app(settings, clock=clock, options=Options())
        async with serve(app, settings.web_host, settings.web_port) as base_url:
            from bot.keys import RUNTIME

            rt = app[RUNTIME]
            roster = parse_roster(EXAMPLES / "roster.yaml")
            summary = await import_roster(rt, roster)
            say(
                f"Demo county loaded: {summary.people_added} people, {summary.units_added} units."
                f" Fake Telegram at {fake.url}; web server at {base_url}"
            )
            stage = Stage(fake=fake, rt=rt, clock=clock, say=say)
            for act in ACTS:
                await act(stage)
            say("\nThe demo script has ended.")
            if keep_serving:
                say(f"Health: {base_url}/healthz  Metrics: {base_url}/metrics  (Ctrl-C to stop)")
                await _forever()


async def _forever() -> None:
    stop = asyncio.Event()
    try:
        await stop.wait()
    except asyncio.CancelledError:
        sys.stdout.flush()
        raise
