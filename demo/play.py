"""The demo's play: load the example county, start the fake Telegram and the real app, and run
the acts in order (later capabilities add acts to ``ACTS``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.app import Options, create_app, serve
from bot.keys import RUNTIME
from bot.settings import Settings
from demo.complaint import complaint
from demo.escalation import escalation
from demo.joining import joining
from demo.lifecycle import lifecycle
from demo.registration import registering
from demo.stage import Act, Stage
from domain.clock import FakeClock
from domain.roster import parse_roster
from services.roster import import_roster
from storage.db import Database
from testbench import FakeTelegram, format_entry

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEMO_START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


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
