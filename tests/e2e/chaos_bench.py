"""The chaos month's machinery: a small county, a Bot API that fails at random, a chat app that
can crash, and sweep-and-deliver processes that are SIGKILLed.

- :class:`ChaosTelegram` is the fake Bot API with seeded random faults on the sends of the
  outbox (10% 5xx, 5% gateway timeouts — no answer, then 502 —, and bursts of 429).
- :class:`ChatApp` is the product's app (PTB polling, handlers, services) on the test's
  FakeClock, with its scheduler and delivery worker off. ``duban run`` has no injected clock, so a
  crash of the chat side is simulated in-process: its PTB tasks are cancelled, the database
  connections they held are closed as the OS would close a dead process's (a cancelled task can
  leave one checked out mid-transaction, holding SQLite's write lock or PostgreSQL's row locks),
  and the app is dropped without any shutdown, then a new one starts (updates not yet confirmed
  by a getUpdates come again, as after a real crash).
- :class:`Ticker` runs the real ``duban sweep --now T`` (sweep, then deliver) as a subprocess
  and SIGKILLs it at random moments, then starts it again, until one run completes. A run
  killed mid-sweep loses the sweep lock with its process (the database frees it when the
  connection or file closes), so the next run sweeps at once. A run that found the lock held all
  the same (it only delivered) is not counted as a sweep, and the next one is started: counting
  it was the lost day of reminders and escalations seen with seed 72700.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import event

from bot.app import Options, create_app
from bot.cli_sweep import OffsetClock
from bot.keys import DATABASE, RUNTIME
from bot.metrics import Metrics
from bot.outbox.sending import Deliverer
from bot.outbox.telegram import notification_bot
from bot.settings import Settings
from domain.clock import FakeClock
from services import sweep_lock
from services.runtime import Runtime
from services.sweep import run_sweep
from testbench import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]

# Eight units, each with a head and a contact; two office staff, a principal, two deputies.
UNITS = ["edu", "health", "transport", "housing", "resources", "agri", "civil", "eco"]
UNIT_NAMES = {
    "edu": "县教育局",
    "health": "县卫生健康局",
    "transport": "县交通运输局",
    "housing": "县住房和城乡建设局",
    "resources": "县自然资源局",
    "agri": "县农业农村局",
    "civil": "县民政局",
    "eco": "县生态环境分局",
}
DEPUTY = {u: ("wang" if i % 2 == 0 else "chen") for i, u in enumerate(UNITS)}
OFFICE = ["qian"]
PRINCIPAL = "zhao"


def roster_yaml() -> str:
    lines = [
        "people:",
        "  - {key: qian, name: 钱丽华, roles: [supervisor]}",
        "  - {key: zhao, name: 赵志刚, roles: [principal]}",
        "  - {key: wang, name: 王立新, roles: [deputy]}",
        "  - {key: chen, name: 陈明辉, roles: [deputy]}",
    ]
    for number, unit in enumerate(UNITS, 1):
        lines.append(f"  - {{key: head_{unit}, name: 局长{number}号}}")
        lines.append(f"  - {{key: contact_{unit}, name: 专人{number}号}}")
    lines.append("units:")
    for unit in UNITS:
        lines.append(
            f"  - {{key: {unit}, name: {UNIT_NAMES[unit]}, leader: {DEPUTY[unit]}, "
            f"head: head_{unit}, contacts: [contact_{unit}]}}"
        )
    return "\n".join(lines) + "\n"


# The defaults, except that the sender may go fast and retry soon: the fake enforces no flood
# limits, and the month's few thousand messages, a sixth of them failing at first, must fit in
# the test's time (a sweep's deliverer waits for retries that come due while it works).
POLICY = """
delivery:
  per_chat_per_second: 50
  overall_per_second: 500
  backoff_base_seconds: 0.25
documents:
  pdf: false  # LibreOffice's seconds a document are not what this month measures
"""

SENDS = frozenset({"sendmessage", "sendphoto"})


class ChaosTelegram(FakeTelegram):
    """The fake Bot API; while ``chaos`` is on, each send may fail (seeded)."""

    def __init__(self, rng: random.Random, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = rng
        self.chaos = False
        self.injected: Counter[str] = Counter()
        self._burst = 0
        # (monotonic time, method, chat id, fault, chaos on) of each injected fault as a call
        # took it: which chat a fault hit, and whether one outlived the chaos that queued it
        self.hits: list[tuple[float, str, int | None, str, bool]] = []
        faults = self._faults
        take_failure, take_delay = faults.take_failure, faults.take_delay

        def failure(method: str, chat_id: int | None) -> Any:
            rule = take_failure(method, chat_id)
            if rule is not None:
                self.hits.append((time.monotonic(), method, chat_id, str(rule.status), self.chaos))
            return rule

        def delayed(method: str, chat_id: int | None) -> Any:
            rule = take_delay(method, chat_id)
            if rule is not None:
                self.hits.append((time.monotonic(), method, chat_id, "timeout", self.chaos))
            return rule

        faults.take_failure = failure  # type: ignore[method-assign]
        faults.take_delay = delayed  # type: ignore[method-assign]

    def hits_for(self, chat_id: int, seconds: float) -> list[str]:
        """The injected faults that hit ``chat_id`` in the last ``seconds`` (and any, for any
        chat, taken while chaos was off: left over from a send that never took its own)."""
        since = time.monotonic() - seconds
        return [
            f"{at - time.monotonic():.1f}s {method} chat={chat} {fault} chaos={on}"
            for at, method, chat, fault, on in self.hits
            if at >= since and (chat == chat_id or not on)
        ]

    def queued(self) -> str:
        faults = self._faults
        return f"{len(faults.failures)} failures, {len(faults.delays)} delays queued"

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info.get("method", "")
        if self.chaos and method.lower() in SENDS:
            self._roll(method)
        return await super()._handle_api(request)

    def _roll(self, method: str) -> None:
        # One send is in flight at a time (bot.outbox.sending; chaos is on only during a sweep,
        # which starts once the chat app is quiet), so the rule queued here is this call's. ``hits``
        # shows which chat each fault hit, and one taken with chaos off (none seen).
        if self._burst > 0:
            self._burst -= 1
            self.fail(method, status=429, retry_after=1)
            self.injected["429"] += 1
            return
        roll = self.rng.random()
        if roll < 0.10:
            self.fail(method, status=self.rng.choice((500, 502, 503)))
            self.injected["5xx"] += 1
        elif roll < 0.15:
            self.delay(method, 0.05, process=False)  # never carried out; 502 after a while
            self.injected["timeout"] += 1
        elif roll < 0.158:
            self._burst = self.rng.randint(1, 4)
            self.fail(method, status=429, retry_after=1)
            self.injected["429"] += 1
            self.injected["429 bursts"] += 1


def settings_for(fake: FakeTelegram, database_url: str, workdir: Path) -> Settings:
    policy = workdir / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return Settings(
        _env_file=None,
        bot_token=SecretStr(fake.token),
        telegram_api_url=fake.url,
        database_url=database_url,
        media_dir=workdir / "media",
        policy_file=policy,
    )


def _is_ours(task: asyncio.Task[Any]) -> bool:
    """A task of PTB (polling, update processing, our handlers run inside it)."""
    coro = task.get_coro()
    code = getattr(coro, "cr_code", None)
    filename = code.co_filename if code is not None else ""
    return f"{os.sep}telegram{os.sep}" in filename


class ChatApp:
    """The product's app serving chat on the FakeClock; ``crash()`` drops it mid-flight."""

    def __init__(self, settings: Settings, clock: FakeClock) -> None:
        self.settings = settings
        self.clock = clock
        self.generation = 0
        self.crashes = 0
        self._runner: web.AppRunner | None = None
        self._dead: list[web.Application] = []
        self._checked_out: dict[int, Any] = {}  # the live app's connections in use
        self.left_open = 0  # connections a crash found in use (closed as the OS would)
        self.crashing = False

    @property
    def rt(self) -> Runtime:
        assert self._runner is not None
        return self._runner.app[RUNTIME]

    async def start(self) -> None:
        before = set(asyncio.all_tasks())
        app = create_app(
            self.settings, clock=self.clock, options=Options(scheduler=False, delivery=False)
        )
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        checked_out: dict[int, Any] = {}
        pool = app[DATABASE].engine.sync_engine.pool

        def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            checked_out[id(dbapi_connection)] = dbapi_connection

        def checkin(dbapi_connection: Any, _record: Any) -> None:
            checked_out.pop(id(dbapi_connection), None)

        event.listen(pool, "checkout", checkout)
        event.listen(pool, "checkin", checkin)
        self._checked_out = checked_out
        self._runner = runner
        self._tasks_before = before
        self.generation += 1

    async def crash(self) -> None:
        """Cancel the app's PTB tasks (polling, handlers mid-way) and drop it: no shutdown."""
        assert self._runner is not None
        self.crashing = True
        mine = asyncio.current_task()
        victims = [t for t in asyncio.all_tasks() if t is not mine and _is_ours(t)]
        for task in victims:
            task.cancel()
        # (bounded: a dead process waits for nothing; what is still running is abandoned)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*victims, return_exceptions=True)
        # What the OS does for a killed process: its database connections close, those a
        # cancelled task left checked out (maybe mid-transaction, holding locks) too.
        for connection in list(self._checked_out.values()):
            self.left_open += 1
            driver = connection.driver_connection
            with contextlib.suppress(Exception):
                if hasattr(driver, "terminate"):
                    driver.terminate()  # asyncpg: the socket closes, the server rolls back
                else:
                    async with asyncio.timeout(5):
                        await driver.close()  # aiosqlite: SQLite rolls back, its locks go
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await self._runner.app[DATABASE].dispose()
        self._dead.append(self._runner.app)
        self.crashes += 1
        await self.start()  # replaces the runner: ``rt`` is never missing meanwhile
        self.crashing = False

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for app in self._dead:  # what a killed process would have left to the OS
            with contextlib.suppress(Exception):
                await app[DATABASE].dispose()


@dataclass
class Ticker:
    """``duban sweep --now T`` in a subprocess, SIGKILLed at random moments and restarted."""

    fake: ChaosTelegram
    settings: Settings
    workdir: Path
    rng: random.Random
    kill_chance: float = 0.75
    kills: int = 0
    runs: int = 0  # subprocesses started
    inline: int = 0  # sweeps run in this process
    skipped: int = 0  # runs that found the sweep lock held (not counted as sweeps)
    seconds: float = 0.0  # real time spent sweeping and delivering
    mid_sweep: int = 0  # kills of a run holding the sweep lock
    sweeps: list[datetime] = field(default_factory=list)  # every --now a sweep started at
    outputs: list[str] = field(default_factory=list)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
        assert self.settings.bot_token is not None and self.settings.policy_file is not None
        env.update(
            PYTHONPATH=str(ROOT),
            DUBAN_DATABASE_URL=self.settings.database_url,
            DUBAN_BOT_TOKEN=self.settings.bot_token.get_secret_value(),
            DUBAN_TELEGRAM_API_URL=self.fake.url,
            DUBAN_POLICY_FILE=str(self.settings.policy_file),
            DUBAN_MEDIA_DIR=str(self.settings.media_dir),
        )
        return env

    async def _start(self, now: datetime) -> asyncio.subprocess.Process:
        self.runs += 1
        self.sweeps.append(now)
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "sweep",
            "--now",
            now.isoformat(),
            "--lease",
            "2",
            "--wait",
            "30",
            cwd=self.workdir,
            env=self._env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def tick(self, at: datetime, rt: Runtime, *, process: bool) -> datetime:
        """Sweep and deliver at ``at``; returns the moment it ended (``at`` plus the real time
        it took: the sweep's clock runs on from ``at``, as ``duban sweep --now`` does).

        ``process``: the real ``duban sweep`` in a subprocess, killed at random moments and
        started again until one run completes; else the same steps in this process, on ``rt``'s
        database (cheaper: no interpreter to start).

        A run killed while it swept frees the sweep lock as it dies (``services.sweep_lock``),
        so the next run sweeps. A run that skipped all the same is not counted as a sweep.
        """
        started = time.monotonic()

        def now() -> datetime:
            return at + timedelta(seconds=time.monotonic() - started)

        self.fake.chaos = True
        try:
            if process:
                first = True
                while True:
                    moment = now()
                    outcome = await self._run(await self._start(moment), first, rt)
                    if outcome == "done":
                        break
                    if outcome == "skipped":
                        self.sweeps.remove(moment)
                        self.skipped += 1
                    first = False
            else:
                await self._in_process(at, rt)
        finally:
            self.fake.chaos = False
            self.seconds += time.monotonic() - started
        return now()

    async def _in_process(self, at: datetime, rt: Runtime) -> None:
        """What ``duban sweep --now`` does (bot/cli_sweep.py), in this process."""
        rt = dataclasses.replace(rt, clock=OffsetClock(at))
        self.sweeps.append(rt.clock.now())
        await run_sweep(rt, rt.clock.now())
        bot = notification_bot(self.settings)
        await bot.initialize()
        try:
            deliverer = Deliverer(rt, bot, Metrics(), lease=timedelta(seconds=2))
            await deliverer.deliver_until_idle(max_wait=30)
        finally:
            await bot.shutdown()
        self.inline += 1

    def _sends(self) -> int:
        return sum(self.fake.stats.calls[m] for m in ("sendMessage", "sendPhoto"))

    async def _run(self, process: asyncio.subprocess.Process, first: bool, rt: Runtime) -> str:
        """Let it run, or kill it at a random moment (after some sends, after some time, or
        while it holds the sweep lock: mid-sweep): "killed", "skipped" (it found the sweep
        lock held) or "done"."""
        if self.rng.random() < (self.kill_chance if first else 0.1):
            how = self.rng.choices(["sends", "time", "sweeping"], [50, 25, 25])[0]
            sends_before = self._sends()
            target = self.rng.randint(1, 60)
            deadline = time.monotonic() + self.rng.uniform(0.5, 2.0)
            while process.returncode is None:
                if how == "sends" and self._sends() - sends_before >= target:
                    break
                if how == "time" and time.monotonic() >= deadline:
                    break
                if how == "sweeping" and await sweep_lock.holder_of_sweep(rt.db):
                    self.mid_sweep += 1
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 0.005)
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
                await process.wait()
                self.kills += 1
                return "killed"
        out, err = await asyncio.wait_for(process.communicate(), 90)
        assert process.returncode == 0, err.decode()
        output = out.decode().strip()
        self.outputs.append(output)
        return "skipped" if "skipped" in output.splitlines()[0] else "done"
