"""Updates benchmark: contacts acknowledging (✅ 签收) their dispatch notices and sending text
reports (/report → kind → reply → ✅ 确认提交) through the real app (create_app: PTB polling,
handlers, services, outbox) against the fake Bot API, with 100k items in the database.

    .venv/bin/python -m bench.updates                    # 100k items, 100 acting contacts
    .venv/bin/python -m bench.updates --items 10000 --users 50 --profile
    .venv/bin/python -m bench.updates --items 10000 --rate 25 --seconds 20   # steady, limits on

The roster and the 100k items are bulk-written (bench.sweep.populate, SQLite file); then one real
item per acting unit is registered and dispatched (register_item through the API's origin) so
its contacts get a real notice. Each acting contact then, at once with the others: presses
✅ 签收 (1 update), sends /report REF (1), picks the kind (1), replies with the text (1) and
presses ✅ 确认提交 (1): five updates, each answered by the bot (a callback answer, a message or
an edit). Latency: from the moment the update is handed to the fake until the bot's answer to it
arrives there. Throughput: updates handled / wall time of the whole burst.

Two modes. The burst (default): ``--users`` contacts act at once, the fake's flood limits off
(``--no-limits``), so what the figures show is the CPU an update costs, not Telegram's 30
messages/s. The steady rate (``--rate R --seconds S``): updates are handed to the fake at R per
second for S seconds (one contact per five updates, each taking the next free slot of the
schedule), the fake's flood limits on (``--limits``: Telegram's 1 message/s per chat, 30/s
overall), and the latency from update to answer is what counts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import math
import pstats
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.fixture import app_settings, bench_parser, populated
from bench.sweep import PEOPLE_PER_UNIT, Population, machine
from bot.app import Options, create_app, serve
from bot.keys import DATABASE, RUNTIME
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from storage.db import Database
from testbench import FakeTelegram
from testbench.users import FakeUser

TIMEOUT = 60.0
STEPS = 5  # updates each acting contact sends


def has(*parts: str) -> Callable[[Any], bool]:
    return lambda m: all(p in (m.text or "") for p in parts)


class Pacer:
    """Hands out the moments of a steady schedule, ``rate`` per second from the first call; a
    slot nobody takes in time is not made up later (the offered rate never exceeds ``rate``)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next: float | None = None

    async def slot(self) -> None:
        now = time.perf_counter()
        at = now if self.next is None else max(self.next, now)
        self.next = at + self.interval
        await asyncio.sleep(at - now)


async def act(
    user: FakeUser, notice: Any, ref: str, latencies: list[float], pacer: Pacer | None = None
) -> None:
    async def timed(step: Callable[[], Awaitable[Any]]) -> Any:
        if pacer is not None:
            await pacer.slot()
        started = time.perf_counter()
        result = await step()
        latencies.append((time.perf_counter() - started) * 1000)
        return result

    async def acknowledge() -> None:
        await user.press(notice, "✅ 签收")
        await user.wait_callback_answer(timeout=TIMEOUT)

    await timed(acknowledge)

    async def ask() -> Any:
        await user.send_text(f"/report {ref}")
        return await user.wait_message(has("请选择反馈类型"), timeout=TIMEOUT)

    menu = await timed(ask)

    async def kind() -> Any:
        await user.press(menu, "进展")
        return await user.wait_message(has("请回复本消息"), timeout=TIMEOUT)

    prompt = await timed(kind)

    async def content() -> Any:
        await user.send_text("已完成第一阶段排查，整改台账已建立。", reply_to=prompt)
        return await user.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=TIMEOUT)

    preview = await timed(content)

    async def submit() -> None:
        await user.press(preview, "✅ 确认提交")
        await user.wait_edit(preview, timeout=TIMEOUT)

    await timed(submit)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class StatementCounter:
    """Counts the SQL statements the app runs while ``on``, by verb and by text (its first 150
    characters). Made before the app has work: adding a listener while a statement runs can
    break that statement."""

    def __init__(self, db: Database) -> None:
        self.on = False
        self.verbs: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, *event_args: Any) -> None:
        if self.on:
            statement = str(event_args[2])
            self.verbs[statement.split(None, 1)[0].upper()] += 1
            self.texts[" ".join(statement.split())[:150]] += 1


@dataclass
class Burst:
    """What one burst of updates took: each update's latency, the wall and CPU time, and
    the Bot API calls and SQL statements it caused."""

    latencies: list[float]
    wall: float
    cpu: float
    loop_cpu: float
    calls: Counter[str]
    statements: Counter[str]
    texts: Counter[str]  # the statements themselves (their first 150 characters)
    throttled: int  # 429 answers from the fake's flood limits


async def run(args: argparse.Namespace, workdir: Path) -> None:
    url = f"sqlite+aiosqlite:///{workdir / 'updates.db'}"
    async with FakeTelegram() as fake:
        settings = app_settings(url, token=fake.token, api=fake.url, media=workdir / "media")
        print(f"populating {args.items:,} items, {args.people:,} people", flush=True)
        pop = await populated(url, args.items, args.people)
        print(f"  populated in {pop.seconds:.1f} s", flush=True)
        app = create_app(settings, options=Options())
        async with serve(app, "127.0.0.1", 0):
            counter = StatementCounter(app[DATABASE])  # listening before the app has work
            users = await dispatch_items(fake, app[RUNTIME], pop, args.users)
            print(f"dispatched {len(users)} real items; waiting for their notices", flush=True)
            notices = [await user.wait_message(has("签收"), timeout=TIMEOUT) for user, _ in users]
            if args.limits:
                fake.enforce_limits()  # Telegram's: 1 message/s per chat, 30/s overall
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            pacer = Pacer(args.rate) if args.rate else None
            burst = await measure(fake, counter, users, notices, pacer)
            if profiler:
                profiler.disable()
                profiler.dump_stats(str(args.profile_out))
        report(args, burst)
        if profiler:
            print_profile(profiler)
            print("SQL statements by text, per update:")
            for text, n in burst.texts.most_common(30):
                print(f"  {n / len(burst.latencies):5.2f}  {text}")


async def dispatch_items(
    fake: FakeTelegram, rt: Runtime, pop: Population, count: int
) -> list[tuple[FakeUser, str]]:
    """One real item dispatched to each of ``count`` units spread over the roster; the acting
    contact of each, with the item's ref. The unit's people have started the bot."""
    users: list[tuple[FakeUser, str]] = []
    for k in range(count):
        unit = k * (pop.units // count) + 1
        contact = (unit - 1) * PEOPLE_PER_UNIT + 2
        user = fake.user(5_000_000 + contact, f"c{contact}")
        fake._chat(user.id).started = True
        for other in (contact - 1, contact + 1):  # the head and the second contact
            fake._chat(fake.user(5_000_000 + other, f"c{other}").id).started = True
        view = await register_item(
            rt,
            Origin(actor=None, via_api=True),
            ItemDraft(
                title=f"基准事项{k}",
                body="",
                source=Source.SUPERIOR,
                time_class=TimeClass.GENERAL,
                lead_unit=f"u{unit}",
            ),
            dispatch=True,
        )
        users.append((user, view.ref))
    return users


async def measure(
    fake: FakeTelegram,
    counter: StatementCounter,
    users: list[tuple[FakeUser, str]],
    notices: list[Any],
    pacer: Pacer | None,
) -> Burst:
    """All the contacts act at once (each update in the pacer's next slot, if any); what it
    took."""
    latencies: list[float] = []
    counter.on = True
    calls_before = len(fake.calls)
    cpu_started, thread_started = time.process_time(), time.thread_time()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            act(user, notice, ref, latencies, pacer)
            for (user, ref), notice in zip(users, notices, strict=True)
        )
    )
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    loop_cpu = time.thread_time() - thread_started
    calls = Counter(call.method for call in fake.calls[calls_before:])
    counter.on = False
    return Burst(
        latencies,
        wall,
        cpu,
        loop_cpu,
        calls,
        counter.verbs,
        counter.texts,
        fake.stats.throttled_by_limits,
    )


def report(args: argparse.Namespace, burst: Burst) -> None:
    latencies, wall, loop_cpu = burst.latencies, burst.wall, burst.loop_cpu
    count = len(latencies)
    how = f"at {args.rate:g} updates/s offered" if args.rate else "acting at once"
    print(
        f"\n{args.items:,} items, {args.users} contacts {how}, the fake's flood limits "
        f"{'on' if args.limits else 'off'} ({burst.throttled} × 429): {count} updates in "
        f"{wall:.2f} s = {count / wall:.0f} updates/s; latency p50 "
        f"{statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
    )
    print(
        f"CPU during the burst: {burst.cpu:.2f} s in the process "
        f"({burst.cpu / count * 1000:.1f} ms per update), {loop_cpu:.2f} s in the event "
        f"loop's thread ({loop_cpu / wall:.0%} of the wall time, "
        f"{loop_cpu / count * 1000:.1f} ms per update); Bot API calls: "
        + ", ".join(f"{method} {n}" for method, n in burst.calls.most_common())
        + f"; SQL statements {sum(burst.statements.values())} ("
        + ", ".join(f"{verb} {n}" for verb, n in burst.statements.most_common())
        + f") = {sum(burst.statements.values()) / count:.1f} per update"
    )


def print_profile(profiler: cProfile.Profile) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


async def main() -> None:
    parser = bench_parser("updates", __doc__)
    parser.add_argument("--users", type=int, default=100, help="contacts acting at once")
    parser.add_argument("--rate", type=float, help="steady mode: updates handed over per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="steady mode: for how long")
    parser.add_argument(
        "--limits",
        action=argparse.BooleanOptionalAction,
        help="the fake's flood limits (default: on at a steady rate, off in a burst)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the burst")
    parser.add_argument(
        "--profile-out", type=Path, default=Path("updates.prof"), help="where --profile saves"
    )
    args = parser.parse_args()
    if args.rate:
        args.users = math.ceil(args.rate * args.seconds / STEPS)
    if args.limits is None:
        args.limits = bool(args.rate)
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        await run(args, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
