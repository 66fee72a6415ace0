"""Sweep benchmark: one pass of ``services.sweep.run_sweep`` at 10k, 100k (and 1M) items with 1 %
due, on SQLite (a temporary file) and on PostgreSQL when ``--postgres URL`` is given (a fresh
database is created in that server and dropped afterwards).

    .venv/bin/python -m bench.sweep                       # 10k and 100k on SQLite
    .venv/bin/python -m bench.sweep --sizes 10000,100000,1000000
    .venv/bin/python -m bench.sweep --postgres postgresql+asyncpg://duban@127.0.0.1:54330/postgres

The roster, items and assignments are written with bulk INSERTs (not through register_item):
items in progress, dispatched 30 days ago, acknowledged, one unit each. Each item's
``next_check_at`` is what the sweep itself would have stored: the earliest occasion of its
schedule after the previous pass. For ``--due`` of them (1 %) a before-due reminder came due
within the hour before the measured ``now``; the others' next occasion lies in the future.

Measured: the pass with 1 % due (median of ``--runs``; between runs the queued notifications and
timeline entries are deleted and the due items' ``next_check_at`` restored), and the pass with
nothing due (the same ``now`` right after a pass). No delivery runs; the once-a-day digest is
marked as already sent for the day so the pass is the reminders-and-ladder pass.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from domain.clock import FakeClock
from domain.deadlines import end_of_day
from services.runtime import Runtime
from services.sweep import DIGEST_SETTING, UnitInfo, next_check, plan_item, run_sweep
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
    item = Item(
        id=0,
        status="in_progress",
        time_class="general",
        dispatched_at=dispatched,
        due_date=due,
        due_at=end_of_day(due, rt.tz),
    )
    assignment = Assignment(
        id=0, item_id=0, unit_id=0, role="lead", status="in_progress", acknowledged_at=dispatched
    )
    unit = UnitInfo(assignment=assignment, unit_id=0, name="u", head=None, contacts=())
    return next_check(plan_item(rt, item, [unit], at), at)


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
    stamp = {"created_at": created, "updated_at": created}
    async with rt.db.engine.begin() as conn:
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
        progress(f"  roster: {units * PEOPLE_PER_UNIT} people, {units} units")
        every = max(1, round(1 / due_share)) if due_share else 0
        due_ids: list[int] = []
        for start in range(0, items, CHUNK):
            item_rows = []
            assignment_rows = []
            for n in range(start, min(items, start + CHUNK)):
                item_id = n + 1
                if due_one is not None and every and n % every == 0:
                    template = due_one
                    due_ids.append(item_id)
                else:
                    template = spread[n % len(spread)]
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
            await conn.execute(insert(Item), item_rows)
            await conn.execute(insert(Assignment), assignment_rows)
            if (start // CHUNK) % 20 == 19:
                progress(f"  items: {start + len(item_rows):,}")
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
            for table in (
                "people",
                "person_roles",
                "units",
                "unit_contacts",
                "items",
                "assignments",
            ):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            await conn.execute(text("ANALYZE"))
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


async def reset(rt: Runtime, pop: Population) -> None:
    """Undo a pass: its notifications and timeline entries, and the due items' next check."""
    async with rt.db.session() as session:
        await session.execute(delete(Notification))
        await session.execute(delete(TimelineEvent))
        for start in range(0, len(pop.due_ids), 500):
            await session.execute(
                update(Item)
                .where(Item.id.in_(pop.due_ids[start : start + 500]))
                .values(next_check_at=pop.due_check)
                .execution_options(synchronize_session=False)
            )
        await session.commit()


@dataclass
class Figures:
    backend: str
    items: int
    due: int
    populate_s: float
    due_ms: list[float]
    idle_ms: list[float]
    queued: int


async def measure(rt: Runtime, pop: Population, now: datetime, runs: int) -> Figures:
    due_ms, idle_ms, queued = [], [], 0
    for run in range(runs):
        await reset(rt, pop)
        started = time.perf_counter()
        result = await run_sweep(rt, now)
        due_ms.append((time.perf_counter() - started) * 1000)
        assert result.items_checked == len(pop.due_ids), result
        queued = result.queued
        started = time.perf_counter()
        idle = await run_sweep(rt, now)
        idle_ms.append((time.perf_counter() - started) * 1000)
        assert idle.items_checked == 0, idle
        print(
            f"  run {run + 1}: {result.items_checked} due items, {result.queued} queued in "
            f"{due_ms[-1]:.0f} ms; nothing due: {idle_ms[-1]:.1f} ms",
            flush=True,
        )
    return Figures(rt.db.dialect, pop.items, len(pop.due_ids), pop.seconds, due_ms, idle_ms, queued)


def runtime(db: Database, now: datetime) -> Runtime:
    return Runtime(db=db, clock=FakeClock(now), tz=TZ, media_dir=Path(tempfile.gettempdir()))


async def on_sqlite(size: int, args: argparse.Namespace, workdir: Path) -> Figures:
    now = bench_now()
    db = Database(f"sqlite+aiosqlite:///{workdir / f'sweep-{size}.db'}")
    await db.upgrade()
    rt = runtime(db, now)
    print(f"sqlite, {size:,} items: populating", flush=True)
    pop = await populate(rt, size, args.people, now, args.due)
    print(f"  populated in {pop.seconds:.1f} s", flush=True)
    figures = await measure(rt, pop, now, args.runs)
    await db.dispose()
    return figures


async def on_postgres(size: int, args: argparse.Namespace) -> Figures:
    now = bench_now()
    server = make_url(args.postgres)
    name = f"duban_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        db = Database(server.set(database=name).render_as_string(hide_password=False))
        await db.upgrade()
        rt = runtime(db, now)
        print(f"postgresql, {size:,} items: populating", flush=True)
        pop = await populate(rt, size, args.people, now, args.due)
        print(f"  populated in {pop.seconds:.1f} s", flush=True)
        figures = await measure(rt, pop, now, args.runs)
        await db.dispose()
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    return figures


def report(f: Figures) -> str:
    return (
        f"{f.backend} {f.items:,} items ({f.due:,} due): pass "
        f"median {statistics.median(f.due_ms):.0f} ms "
        f"(min {min(f.due_ms):.0f}, max {max(f.due_ms):.0f}; "
        f"{statistics.median(f.due_ms) / max(f.due, 1):.2f} ms per due item, "
        f"{f.queued} notifications queued); nothing due: median "
        f"{statistics.median(f.idle_ms):.1f} ms; populate {f.populate_s:.0f} s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes", default="10000,100000", help="item counts, comma-separated (default 10k,100k)"
    )
    parser.add_argument("--due", type=float, default=0.01, help="share due at now (0.01)")
    parser.add_argument("--people", type=int, default=10_000, help="roster size (10000)")
    parser.add_argument("--runs", type=int, default=5, help="passes per size (median)")
    parser.add_argument("--postgres", metavar="URL", help="also on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
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


if __name__ == "__main__":
    asyncio.run(main())
