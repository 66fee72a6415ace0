"""Delivery benchmark: N notifications to N distinct chats through the fake Bot API with
Telegram's flood limits enforced (1/s per chat, 30/s overall, 20/min per group).

    .venv/bin/python -m bench.delivery                 # 10,000: ours, ours with faults, PTB
    .venv/bin/python -m bench.delivery --count 2000 --runs ours,ours-fault
    .venv/bin/python -m bench.delivery --ptb-count 1000  # PTB's runs are much slower with faults
    .venv/bin/python -m bench.delivery --count 2000 --runs ours,ptb --latency 0,0.1,0.25
    .venv/bin/python -m bench.delivery --count 2000 --runs ours --instances 3 --latency 0.1
    .venv/bin/python -m bench.delivery --count 2000 --runs ours --instances 3 --postgres URL

Runs:
- ``ours``: the outbox Deliverer (SQLite outbox, our own pacing, a Bot without PTB's limiter);
  ``--instances N`` runs N senders on one outbox, each with an engine of its own, as N processes
  would; ``--postgres URL`` puts the outbox on a fresh database on that PostgreSQL server.
- ``ours-fault``: the same, with one chat in ``--fault-every`` (100) answering one 429 with
  ``retry_after`` ``--retry-after`` (30 s).
- ``ptb``, ``ptb-fault``: the usual alternative — every message sent at once through an ExtBot
  with PTB's ``AIORateLimiter(max_retries=3)``, which paces overall and pauses every request
  while one chat's retry_after runs.

``--latency`` delays every answer of the fake by that many seconds (plus up to a fifth more, at
random), as a real network's round trip to the Bot API would (100–300 ms); several values run
the whole set once each, side by side.

Reported per run: messages/s sustained (first to last delivery), 429 answers caused by pacing
(the fake's flood limits) and injected ones; for fault runs, the extra delay of each healthy
chat against the same run without faults (p50/p99/max), and when the flooded chats got theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench.fixture import fresh_postgres
from bot.metrics import Metrics
from bot.outbox.sending import IN_FLIGHT, Deliverer
from domain.clock import SystemClock
from services.outbox.queue import enqueue
from services.runtime import Runtime
from storage.db import Database
from storage.models import Person
from testbench import FakeTelegram

FIRST_CHAT = 1_000_000


@dataclass
class Run:
    name: str
    count: int
    started: float = 0.0
    arrivals: dict[int, float] = field(default_factory=dict)  # chat -> seconds after start
    throttled_by_limits: int = 0
    throttled_injected: int = 0
    flooded: set[int] = field(default_factory=set)
    gave_up: int = 0

    @property
    def seconds(self) -> float:
        times = sorted(self.arrivals.values())
        return times[-1] - times[0] if len(times) > 1 else 0.0

    @property
    def rate(self) -> float:
        return (len(self.arrivals) - 1) / self.seconds if self.seconds else 0.0


def chats(count: int) -> list[int]:
    return [FIRST_CHAT + n for n in range(count)]


async def start_fake(
    count: int, fault_every: int, retry_after: int, latency: float
) -> tuple[FakeTelegram, set[int]]:
    fake = FakeTelegram()
    await fake.start()
    if latency:
        fake.delay("sendMessage", latency, times=10**9, jitter=latency / 5)
    for chat in chats(count):
        fake._chat(fake.user(chat, f"u{chat}").id).started = True
    fake.enforce_limits(per_chat_per_second=1, overall_per_second=30, group_per_minute=20)
    flooded = set()
    if fault_every:
        for chat in chats(count)[fault_every - 1 :: fault_every]:
            fake.fail("sendMessage", status=429, retry_after=retry_after, chat_id=chat)
            flooded.add(chat)
    return fake, flooded


def watch(fake: FakeTelegram, run: Run) -> None:
    def on_event(entry: object) -> None:
        chat = getattr(entry, "chat_id", None)
        if getattr(entry, "sender", None) == "bot" and chat not in run.arrivals:
            run.arrivals[chat] = time.monotonic() - run.started  # type: ignore[index]

    fake.on_event = on_event


async def run_ours(
    count: int,
    fault_every: int,
    retry_after: int,
    latency: float,
    workdir: Path,
    instances: int,
    postgres: str | None = None,
) -> Run:
    name = "ours-fault" if fault_every else "ours"
    run = Run(name if instances == 1 else f"{name} ×{instances} instances", count)
    if postgres:
        run.name += " (PostgreSQL)"
    fake, run.flooded = await start_fake(count, fault_every, retry_after, latency)
    async with outbox_url(workdir, f"{run.name}-{latency * 1000:.0f}ms", postgres) as url:
        db = Database(url)
        await db.upgrade()
        rt = Runtime(db=db, clock=SystemClock(), tz=ZoneInfo("Asia/Shanghai"), media_dir=workdir)
        await fill(rt, count)
        await send(rt, fake, run, instances, retry_after)
    await fake.stop()
    return run


@asynccontextmanager
async def outbox_url(workdir: Path, label: str, postgres: str | None) -> AsyncIterator[str]:
    """The outbox's database: a SQLite file in ``workdir``, or a fresh database on the
    PostgreSQL server ``postgres`` (dropped afterwards)."""
    if not postgres:
        yield f"sqlite+aiosqlite:///{workdir / f'{label}.db'}"
        return
    async with fresh_postgres(postgres, "duban_bench_delivery") as url:
        yield url


async def fill(rt: Runtime, count: int) -> None:
    """One notification due now to each of ``count`` chats."""
    now = datetime.now(UTC)
    async with rt.db.session() as session:
        people = [
            Person(
                key=f"b{chat}",
                name=f"u{chat}",
                telegram_user_id=chat,
                telegram_chat_id=chat,
                active=True,
                created_at=now,
                updated_at=now,
            )
            for chat in chats(count)
        ]
        session.add_all(people)
        await session.flush()
        for person in people:
            await enqueue(
                session,
                key=f"bench|{person.id}",
                person_id=person.id,
                kind="bench",
                text=f"通知 {person.key}",
                not_before=now,
                created_at=now,
            )
        await session.commit()


async def send(rt: Runtime, fake: FakeTelegram, run: Run, instances: int, retry_after: int) -> None:
    """Deliver the outbox with ``instances`` senders until every chat has its message."""
    # Several instances: a sender each, with an engine of its own, as separate processes have.
    engines = [rt.db] + [Database(rt.db.url) for _ in range(instances - 1)]
    bots = [
        Bot(
            fake.token,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            request=HTTPXRequest(connection_pool_size=IN_FLIGHT + 4),
        )
        for _ in engines
    ]
    for bot in bots:
        await bot.initialize()
    senders = [
        Deliverer(dataclasses.replace(rt, db=engine), bot, Metrics())
        for engine, bot in zip(engines, bots, strict=True)
    ]
    watch(fake, run)
    run.started = time.monotonic()
    wait = retry_after * 3 + 60
    await asyncio.gather(*(sender.deliver_until_idle(max_wait=wait) for sender in senders))
    while len(run.arrivals) < run.count:  # flooded chats wait out their retry_after
        await asyncio.sleep(0.5)
        await asyncio.gather(*(sender.deliver_until_idle(max_wait=wait) for sender in senders))
    run.throttled_by_limits = fake.stats.throttled_by_limits
    run.throttled_injected = fake.stats.throttled_injected
    for bot in bots:
        await bot.shutdown()
    for engine in engines:
        await engine.dispose()


async def run_ptb(count: int, fault_every: int, retry_after: int, latency: float) -> Run:
    run = Run("ptb-fault" if fault_every else "ptb", count)
    fake, run.flooded = await start_fake(count, fault_every, retry_after, latency)
    limiter: Any = AIORateLimiter(max_retries=3)
    bot: ExtBot[None] = ExtBot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(connection_pool_size=64),
        rate_limiter=limiter,
    )
    await bot.initialize()
    watch(fake, run)
    gate = asyncio.Semaphore(64)

    async def send(chat: int) -> None:
        async with gate:
            try:
                await bot.send_message(chat, f"通知 {chat}")
            except RetryAfter:
                run.gave_up += 1  # AIORateLimiter raises after max_retries: the message is lost

    run.started = time.monotonic()
    await asyncio.gather(*(send(chat) for chat in chats(count)))
    run.throttled_by_limits = fake.stats.throttled_by_limits
    run.throttled_injected = fake.stats.throttled_injected
    await bot.shutdown()
    await fake.stop()
    return run


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(run: Run, baseline: Run | None) -> str:
    lines = [
        f"{run.name}: {len(run.arrivals)}/{run.count} delivered in {run.seconds:.1f} s = "
        f"{run.rate:.1f} msg/s; 429 from flood limits: {run.throttled_by_limits}, "
        f"injected 429: {run.throttled_injected}"
        + (f"; gave up after retries (lost): {run.gave_up}" if run.gave_up else "")
    ]
    if baseline is not None and run.flooded:
        healthy = [
            run.arrivals[c] - baseline.arrivals[c]
            for c in run.arrivals
            if c not in run.flooded and c in baseline.arrivals
        ]
        lines.append(
            f"  healthy chats' extra delay vs {baseline.name}: "
            f"p50 {percentile(healthy, 0.5):.2f} s, "
            f"p99 {percentile(healthy, 0.99):.2f} s, max {max(healthy):.2f} s"
        )
        late = [run.arrivals[c] - baseline.arrivals[c] for c in run.flooded if c in run.arrivals]
        if late:
            lines.append(
                f"  flooded chats ({len(run.flooded)}): extra delay median "
                f"{statistics.median(late):.1f} s, max {max(late):.1f} s"
            )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--count", type=int, default=10_000, help="notifications (default 10000)")
    parser.add_argument(
        "--ptb-count", type=int, help="notifications for the PTB runs (default --count)"
    )
    parser.add_argument("--fault-every", type=int, default=100, help="one flooded chat in N")
    parser.add_argument(
        "--retry-after", type=int, default=30, help="the flooded chats' retry_after"
    )
    parser.add_argument(
        "--runs", default="ours,ours-fault,ptb,ptb-fault", help="which runs, comma-separated"
    )
    parser.add_argument(
        "--latency",
        default="0",
        help="seconds each answer of the fake is late, comma-separated (e.g. 0,0.1,0.25)",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="our senders on one outbox, each with its own engine (default 1)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="our outbox on a fresh database on this PostgreSQL server, e.g. "
        "postgresql+asyncpg://duban@127.0.0.1:5432/postgres (default: a SQLite file)",
    )
    args = parser.parse_args()
    try:
        latencies = [float(value) for value in args.latency.split(",")]
    except ValueError:
        parser.error(f"--latency {args.latency!r}: seconds, comma-separated (e.g. 0,0.1,0.25)")
    wanted = args.runs.split(",")
    ptb_count = args.ptb_count or args.count
    print(
        f"machine: {platform.platform()}, {platform.machine()}, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        for latency in latencies:
            print(f"-- answers {latency * 1000:.0f} ms late", flush=True)
            await run_set(parser, wanted, args, ptb_count, latency, Path(tmp))


async def run_set(
    parser: argparse.ArgumentParser,
    wanted: list[str],
    args: argparse.Namespace,
    ptb_count: int,
    latency: float,
    tmp: Path,
) -> None:
    results: dict[str, Run] = {}
    for name in wanted:
        if name == "ours":
            results[name] = await run_ours(
                args.count, 0, args.retry_after, latency, tmp, args.instances, args.postgres
            )
        elif name == "ours-fault":
            results[name] = await run_ours(
                args.count,
                args.fault_every,
                args.retry_after,
                latency,
                tmp,
                args.instances,
                args.postgres,
            )
        elif name == "ptb":
            results[name] = await run_ptb(ptb_count, 0, args.retry_after, latency)
        elif name == "ptb-fault":
            results[name] = await run_ptb(ptb_count, args.fault_every, args.retry_after, latency)
        else:
            parser.error(f"unknown run {name!r}")
        base = results.get(name.removesuffix("-fault")) if name.endswith("-fault") else None
        print(report(results[name], base), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
