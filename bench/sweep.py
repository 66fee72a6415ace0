"""Sweep benchmark: one pass of ``services.sweep.run_sweep`` at 10k, 100k and 1M items with 1 %
due, on SQLite (a temporary file) and on PostgreSQL when ``--postgres URL`` is given (a database
``duban_bench_sweep_<size>`` is created in that server and dropped afterwards).

    .venv/bin/python -m bench.sweep                       # 10k, 100k and 1M on SQLite
    .venv/bin/python -m bench.sweep --postgres postgresql+asyncpg://duban@127.0.0.1:54330/postgres
    .venv/bin/python -m bench.sweep --sizes 10000,100000 --runs 3 --no-sqlite --postgres URL

The roster, items and assignments are written with bulk INSERTs (executemany in chunks of
5,000; not through register_item), with progress every 100,000 items: items in progress,
dispatched 30 days ago, acknowledged, one unit each. Each item's ``next_check_at`` is what the
sweep itself would have stored: the earliest occasion of its schedule after the previous pass.
For ``--due`` of them (1 %) a before-due reminder came due within the hour before the measured
``now``; the others' next occasion lies in the future.

Measured, each the median of ``--runs`` (between runs the queued notifications and timeline
entries are deleted and the due items' ``next_check_at`` restored): the pass with 1 % due, the
pass with a fixed ``--fixed`` (100) due whatever the size, and the pass with nothing due (the
same ``now`` right after a pass). Wall time and this process's CPU time (the database server's
is not in it) are both given: the machine may be shared. No delivery runs; the once-a-day digest
is marked as already sent for the day so the pass is the reminders-and-ladder pass. Once populated,
the heap is frozen (`bot.heap.settle`), as `duban run` and `duban sweep` do after start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, text, update

from bench.fixture import bench_parser, fresh_postgres
from bot import heap
from domain.clock import FakeClock
from domain.deadlines import end_of_day
from domain.occasions import ItemFacts, next_check, plan_item
from domain.recipients import UnitContacts
from domain.vocabulary import TimeClass
from services.digest import DIGEST_SETTING
from services.runtime import Runtime
from services.sweep import SweepResult, run_sweep
from storage.db import Database
from storage.models import (
    Assignment,
    Item,
    Notification,
    Person,
    PersonRole,
    Setting,
    TimelineEvent,
    Unit,
    UnitContact,
)

TZ = ZoneInfo("Asia/Shanghai")
CHUNK = 5_000
PEOPLE_PER_UNIT = 4  # head, two contacts, and one in four units' fourth is a deputy


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {model}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


def bench_now() -> datetime:
    """A fixed working-day morning, 09:30 local, after the reminders' time of day."""
    return datetime.combine(date(2026, 11, 23), dtime(9, 30), TZ).astimezone(UTC)


@dataclass
class Template:
    due_date: date
    next_check_at: datetime | None


def _plan(rt: Runtime, due: date, dispatched: datetime, at: datetime) -> datetime | None:
    """The next check the sweep would store at ``at`` for a bench item due on ``due``."""
    item = ItemFacts(
        open=True,
        time_class=TimeClass.GENERAL,
        dispatched_at=dispatched,
        due_date=due,
        due_at=end_of_day(due, rt.tz),
    )
    unit = UnitContacts(
        assignment_id=0,
        unit_id=0,
        name="u",
        open=True,
        acknowledged=True,
        head=None,
        contacts=(),
    )
    return next_check(plan_item(item, [unit], at, rt.policy, rt.tz), at)


def templates(rt: Runtime, now: datetime) -> tuple[list[Template], Template | None]:
    """Due dates spread over the next year with the next_check_at the sweep would store, and one
    due date whose next occasion came within the hour before ``now``."""
    dispatched = now - timedelta(days=30)
    today = now.astimezone(rt.tz).date()
    spread = []
    due_one: Template | None = None
    for offset in range(1, 366):
        due = today + timedelta(days=offset)
        before = _plan(rt, due, dispatched, now - timedelta(hours=1))
        if due_one is None and before is not None and before <= now:
            due_one = Template(due, before)
            continue
        after = _plan(rt, due, dispatched, now)
        if after is not None and after > now:
            spread.append(Template(due, after))
    return spread, due_one


@dataclass
class Population:
    items: int
    people: int
    units: int
    due_ids: list[int]
    due_check: datetime
    seconds: float


PROGRESS_EVERY = 100_000


async def _bulk(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(insert(table), rows[start : start + CHUNK])


async def populate(
    rt: Runtime,
    items: int,
    people: int,
    now: datetime,
    due_share: float,
    progress: Callable[[str], None] = print,
) -> Population:
    """Bulk-write a roster of ``people`` (units of four) and ``items`` in-progress items."""
    started = time.monotonic()
    spread, due_one = templates(rt, now)
    if due_share and due_one is None:
        raise SystemExit("no due date has an occasion in the hour before now")
    units = max(1, people // PEOPLE_PER_UNIT)
    created = now - timedelta(days=30)
    async with rt.db.engine.begin() as conn:
        deputies = await _write_roster(conn, units, created)
        progress(f"  roster: {units * PEOPLE_PER_UNIT} people, {units} units")
        every = max(1, round(1 / due_share)) if due_share else 0
        due_ids: list[int] = []
        for start in range(0, items, CHUNK):
            numbers = range(start, min(items, start + CHUNK))
            chosen = []
            for n in numbers:
                if due_one is not None and every and n % every == 0:
                    chosen.append(due_one)
                    due_ids.append(n + 1)
                else:
                    chosen.append(spread[n % len(spread)])
            item_rows, assignment_rows = _item_rows(rt, numbers, chosen, units, deputies, created)
            await conn.execute(insert(Item), item_rows)
            await conn.execute(insert(Assignment), assignment_rows)
            written = start + len(item_rows)
            if written % PROGRESS_EVERY == 0 or written == items:
                elapsed = time.monotonic() - started
                progress(
                    f"  items: {written:,} / {items:,} ({elapsed:.0f} s, "
                    f"{written / max(elapsed, 1e-9):,.0f} items/s)"
                )
        progress("  indexes and statistics")
        await _finish(rt, conn, now)
    if rt.db.dialect == "sqlite":
        async with rt.db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    return Population(
        items,
        units * PEOPLE_PER_UNIT,
        units,
        due_ids,
        due_one.next_check_at if due_one and due_one.next_check_at else now,
        time.monotonic() - started,
    )


async def _write_roster(conn: Any, units: int, created: datetime) -> list[int]:
    """People, roles, units and their contacts; the deputies' ids (one per four units)."""
    stamp = {"created_at": created, "updated_at": created}
    await _bulk(
        conn,
        Person.__table__,
        [
            {
                "id": n + 1,
                "key": f"p{n + 1}",
                "name": f"人员{n + 1}",
                "telegram_user_id": 5_000_000 + n + 1,
                "telegram_chat_id": 5_000_000 + n + 1,
                "bound_at": created,
                "active": True,
                **stamp,
            }
            for n in range(units * PEOPLE_PER_UNIT)
        ],
    )
    deputies = [u * PEOPLE_PER_UNIT + 4 for u in range(0, units, 4)]
    roles = [{"person_id": p, "role": "deputy"} for p in deputies]
    roles += [{"person_id": 4, "role": "supervisor"}, {"person_id": 8, "role": "principal"}]
    await _bulk(conn, PersonRole.__table__, roles)
    await _bulk(
        conn,
        Unit.__table__,
        [
            {
                "id": u + 1,
                "key": f"u{u + 1}",
                "name": f"单位{u + 1}",
                "leader_id": deputies[u // 4],
                "head_id": u * PEOPLE_PER_UNIT + 1,
                "position": u,
                "active": True,
                **stamp,
            }
            for u in range(units)
        ],
    )
    await _bulk(
        conn,
        UnitContact.__table__,
        [
            {"unit_id": u + 1, "person_id": u * PEOPLE_PER_UNIT + 2 + c, "position": c}
            for u in range(units)
            for c in range(2)
        ],
    )
    return deputies


def _item_rows(
    rt: Runtime,
    numbers: range,
    chosen: list[Template],
    units: int,
    deputies: list[int],
    created: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of items ``numbers`` (0-based, each with its template's due date and next
    check) and of their one assignment each, acknowledged."""
    stamp = {"created_at": created, "updated_at": created}
    item_rows = []
    assignment_rows = []
    for n, template in zip(numbers, chosen, strict=True):
        item_id = n + 1
        item_rows.append(
            {
                "id": item_id,
                "year": 2025,
                "seq": item_id,
                "code": f"督〔2025〕{item_id}号",
                "ref": f"B{item_id}",
                "title": f"测试事项{item_id}",
                "body": "",
                "source": "superior",
                "time_class": "general",
                "status": "in_progress",
                "leader_id": deputies[(n % units) // 4],
                "approval_step": 0,
                "due_date": template.due_date,
                "due_at": end_of_day(template.due_date, rt.tz),
                "dispatched_at": created,
                "inspection": False,
                "escalation_level": 0,
                "next_check_at": template.next_check_at,
                **stamp,
            }
        )
        assignment_rows.append(
            {
                "id": item_id,
                "item_id": item_id,
                "unit_id": n % units + 1,
                "role": "lead",
                "status": "in_progress",
                "acknowledged_at": created,
                "acknowledged_by_id": (n % units) * PEOPLE_PER_UNIT + 2,
            }
        )
    return item_rows, assignment_rows


async def _finish(rt: Runtime, conn: Any, now: datetime) -> None:
    """Mark today's digest as sent; on PostgreSQL, move the id sequences on and analyze."""
    await conn.execute(
        insert(Setting),
        [
            {
                "name": DIGEST_SETTING,
                "value": now.astimezone(rt.tz).date().isoformat(),
                "updated_at": now,
            }
        ],
    )
    if rt.db.dialect == "postgresql":
        for table in ("people", "person_roles", "units", "unit_contacts", "items", "assignments"):
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        await conn.execute(text("ANALYZE"))


async def reset(rt: Runtime, pop: Population, due_ids: list[int]) -> None:
    """Undo a pass: its notifications and timeline entries; ``due_ids`` are due again."""
    async with rt.db.session() as session:
        await session.execute(delete(Notification))
        await session.execute(delete(TimelineEvent))
        for start in range(0, len(due_ids), 500):
            await session.execute(
                update(Item)
                .where(Item.id.in_(due_ids[start : start + 500]))
                .values(next_check_at=pop.due_check)
                .execution_options(synchronize_session=False)
            )
        await session.commit()


@dataclass
class Timing:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_ms) if self.wall_ms else 0.0

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else 0.0


@dataclass
class Figures:
    backend: str
    items: int
    due: int
    fixed: int
    populate_s: float
    due_pass: Timing
    fixed_pass: Timing
    idle_pass: Timing
    queued: int


async def timed(rt: Runtime, now: datetime, timing: Timing, expect: int) -> SweepResult:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await run_sweep(rt, now)
    timing.wall_ms.append((time.perf_counter() - wall) * 1000)
    timing.cpu_ms.append((time.process_time() - cpu) * 1000)
    assert result.items_checked == expect and not result.failed, result
    return result


async def measure(rt: Runtime, pop: Population, now: datetime, runs: int, fixed: int) -> Figures:
    due_pass, fixed_pass, idle_pass = Timing(), Timing(), Timing()
    queued = 0
    few = pop.due_ids[:fixed]
    for run in range(runs):
        await reset(rt, pop, pop.due_ids)
        result = await timed(rt, now, due_pass, len(pop.due_ids))
        queued = result.queued
        await timed(rt, now, idle_pass, 0)
        await reset(rt, pop, few)
        await timed(rt, now, fixed_pass, len(few))
        print(
            f"  run {run + 1}: {result.items_checked:,} due items, {result.queued:,} queued in "
            f"{due_pass.wall_ms[-1]:,.0f} ms (cpu {due_pass.cpu_ms[-1]:,.0f}); {len(few)} due: "
            f"{fixed_pass.wall_ms[-1]:.0f} ms; nothing due: {idle_pass.wall_ms[-1]:.1f} ms",
            flush=True,
        )
    return Figures(
        rt.db.dialect,
        pop.items,
        len(pop.due_ids),
        len(few),
        pop.seconds,
        due_pass,
        fixed_pass,
        idle_pass,
        queued,
    )


def runtime(db: Database, now: datetime) -> Runtime:
    return Runtime(db=db, clock=FakeClock(now), tz=TZ, media_dir=Path(tempfile.gettempdir()))


async def on_sqlite(size: int, args: argparse.Namespace, workdir: Path) -> Figures:
    db = Database(f"sqlite+aiosqlite:///{workdir / f'sweep-{size}.db'}")
    return await _populate_and_measure(db, "sqlite", size, args)


async def _populate_and_measure(
    db: Database, backend: str, size: int, args: argparse.Namespace
) -> Figures:
    """Migrate ``db``, populate it with ``size`` items and measure its passes."""
    now = bench_now()
    await db.upgrade()
    rt = runtime(db, now)
    print(f"{backend}, {size:,} items: populating", flush=True)
    pop = await populate(rt, size, args.people, now, args.due, progress)
    print(f"  populated in {pop.seconds:.1f} s", flush=True)
    heap.settle()  # as `duban run` and `duban sweep` do once started
    figures = await measure(rt, pop, now, args.runs, args.fixed)
    await db.dispose()
    return figures


async def on_postgres(size: int, args: argparse.Namespace) -> Figures:
    async with fresh_postgres(args.postgres, f"duban_bench_sweep_{size}") as url:
        return await _populate_and_measure(Database(url), "postgresql", size, args)


def progress(line: str) -> None:
    print(line, flush=True)


def report(f: Figures) -> str:
    d, x, i = f.due_pass, f.fixed_pass, f.idle_pass
    return (
        f"{f.backend} {f.items:,} items ({f.due:,} due): pass median {d.wall:,.0f} ms "
        f"(cpu {d.cpu:,.0f}; min {min(d.wall_ms):,.0f}, max {max(d.wall_ms):,.0f}), "
        f"{d.wall / max(f.due, 1):.3f} ms per due item, {f.queued:,} notifications queued; "
        f"{f.fixed} due: {x.wall:.0f} ms; nothing due: {i.wall:.1f} ms; "
        f"populate {f.populate_s:.0f} s"
    )


def table_row(f: Figures) -> str:
    """A row for bench/RESULTS.md."""
    d, x, i = f.due_pass, f.fixed_pass, f.idle_pass
    backend = "PostgreSQL" if f.backend == "postgresql" else "SQLite"
    return (
        f"| {backend} | {f.items:,} | {f.due:,} | {d.wall:,.0f} ms (cpu {d.cpu:,.0f}) | "
        f"{d.wall / max(f.due, 1):.2f} ms | {f.queued:,} | {x.wall:.0f} ms | {i.wall:.1f} ms | "
        f"{f.populate_s:.0f} s |"
    )


def item_counts(text: str) -> list[int]:
    """``10k,100k,1M`` → [10000, 100000, 1000000]; argparse reports anything else."""
    scale = {"k": 1_000, "m": 1_000_000}
    counts = []
    for part in text.split(","):
        part = part.strip().lower()
        digits, unit = (part[:-1], scale[part[-1]]) if part[-1:] in scale else (part, 1)
        if not digits.isdigit() or int(digits) == 0:
            raise argparse.ArgumentTypeError(f"not an item count: {part!r} (e.g. 100000 or 100k)")
        counts.append(int(digits) * unit)
    return counts


async def main() -> None:
    parser = bench_parser("sweep", __doc__, items=False)
    parser.add_argument(
        "--sizes",
        type=item_counts,
        default="10k,100k,1M",
        help="item counts, comma-separated: 100000 or 100k, 1M (default 10k,100k,1M)",
    )
    parser.add_argument("--due", type=float, default=0.01, help="share due at now (0.01)")
    parser.add_argument("--runs", type=int, default=5, help="passes per size (median)")
    parser.add_argument("--fixed", type=int, default=100, help="due items of the fixed pass")
    parser.add_argument("--postgres", metavar="URL", help="also on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    sizes: list[int] = args.sizes
    print(f"machine: {machine()}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        for size in sizes:
            if not args.no_sqlite:
                results.append(await on_sqlite(size, args, Path(tmp)))
                print(report(results[-1]), flush=True)
            if args.postgres:
                results.append(await on_postgres(size, args))
                print(report(results[-1]), flush=True)
    print("\nsummary:")
    for figures in results:
        print(report(figures))
    print()
    for figures in results:
        print(table_row(figures))


if __name__ == "__main__":
    asyncio.run(main())
