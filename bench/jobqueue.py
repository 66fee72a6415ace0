"""JobQueue benchmark: the usual alternative to our sweep, side by side. One PTB ``JobQueue`` job
per reminder (PTB's timerbot example: ``job_queue.run_once`` per chat) against the sweep over
``next_check_at``, at 100k open items: start-up time, resident memory, and what a crash loses.

    .venv/bin/python -m bench.jobqueue                    # 100k items, 10k people
    .venv/bin/python -m bench.jobqueue --items 2000 --people 400 --window 10

The parent bulk-writes a SQLite database (bench.sweep.populate, at the real time, so every item's
next occasion lies ahead) and runs the fake Bot API; everything measured runs in fresh child
processes. Both kinds of child import the same modules (all at the top) and start a PTB
``Application`` against the fake first; VmRSS (/proc/self/status) is read there ("before") and
once the reminders are in hand ("after"). The two kinds run alternately, ``--runs`` times each,
back to back.

- **jobqueue**: reads the open items' next reminder (item, time, the lead unit's contact chat) and
  calls ``job_queue.run_once(remind, when=...)`` for each; ``remind`` sends a message, as the
  timerbot's ``alarm`` does. Start-up = load + schedule.
- **sweep**: an ``AsyncIOScheduler`` with the one-minute sweep job, as ``bot.app`` starts it, and
  its first turn (``SweepJob.turn``: take the sweep lock, one pass; nothing is due). Start-up =
  scheduler + first turn.

What a crash loses, jobqueue: ``--due`` of the items get a reminder time inside a ``--window``
seconds long window a little ahead; a child schedules everything, is SIGKILLed halfway through the
window, stays down ``--down`` seconds, and a new child starts in one of three ways: without
re-deriving the jobs from the database (the timerbot: jobs exist only in memory), re-deriving them
with APScheduler's default ``misfire_grace_time`` (1 s), or re-deriving with no grace limit. The
fake counts what was sent, per item. Sweep: a second database with ``--due`` of the items due
(their before-due reminder came at ``T``); a pass at ``T`` + 1 min is SIGKILLed when about 40 % of
them are queued, a new process passes at ``T`` + 30 min; the outbox is counted (time is injected
here, so the restart is "30 minutes later" without waiting for it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select, update

from bench.fixture import bench_parser, populated
from bench.memory import status
from bench.sweep import TZ, bench_now, machine
from bot.metrics import Metrics
from bot.sweep_job import SweepJob
from domain.clock import FakeClock, SystemClock
from services.runtime import Runtime
from services.views import OPEN_STATUSES
from storage.db import Database
from storage.models import Assignment, Item, Notification, Person, UnitContact

ITEM = re.compile(r"item:(\d+)")
SENDS = Counter[str]()  # the child's job runs: started, finished, failed
SETTLED = asyncio.Event()  # set whenever every job run started has finished


# --- the children ------------------------------------------------------------------------------


async def _application(token: str, api: str, *, job_queue: bool) -> Any:
    from telegram.ext import Application

    # Longer pool and connect timeouts than PTB's defaults: a catch-up burst of a thousand jobs
    # otherwise fails on the fake's single event loop with PoolTimeout/ConnectTimeout.
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{api}/bot")
        .pool_timeout(60)
        .connect_timeout(30)
    )
    if not job_queue:
        builder = builder.job_queue(None)  # as bot.ptb builds ours
    application = builder.build()
    await application.initialize()
    await application.start()
    return application


async def remind(context: Any) -> None:
    """The job: send the reminder (the timerbot's ``alarm``)."""
    job = context.job
    SENDS["started"] += 1
    SETTLED.clear()
    try:
        await context.bot.send_message(job.chat_id, text=f"督办提醒 item:{job.data}")
    except Exception:
        SENDS["failed"] += 1
        raise
    finally:
        SENDS["finished"] += 1
        if SENDS["finished"] == SENDS["started"]:
            SETTLED.set()


async def open_reminders(db: Database) -> list[tuple[int, datetime, int]]:
    """Each open item's next reminder time and the chat of its lead unit's first contact."""
    async with db.session() as session:
        rows = await session.execute(
            select(Item.id, Item.next_check_at, Person.telegram_chat_id)
            .join(Assignment, and_(Assignment.item_id == Item.id, Assignment.role == "lead"))
            .join(
                UnitContact,
                and_(UnitContact.unit_id == Assignment.unit_id, UnitContact.position == 0),
            )
            .join(Person, Person.id == UnitContact.person_id)
            .where(Item.status.in_(OPEN_STATUSES), Item.next_check_at.is_not(None))
        )
        return [(i, at, chat) for i, at, chat in rows if at is not None and chat is not None]


async def jobqueue_child(spec: dict[str, Any]) -> dict[str, Any]:
    from apscheduler.events import EVENT_JOB_MISSED

    marks: dict[str, Any] = {"imports": status()["VmRSS"]}
    application = await _application(spec["token"], spec["api"], job_queue=True)
    job_queue = application.job_queue
    missed = Counter[str]()
    job_queue.scheduler.add_listener(lambda event: missed.update(["missed"]), EVENT_JOB_MISSED)
    marks["before"] = status()["VmRSS"]
    started = time.perf_counter()
    db = Database(spec["url"])
    rows = await open_reminders(db) if spec["rederive"] else []
    marks["load_s"] = time.perf_counter() - started
    job_kwargs = {} if spec["grace"] == "default" else {"misfire_grace_time": None}
    for item_id, at, chat in rows:
        job_queue.run_once(
            remind,
            when=at,
            data=item_id,
            chat_id=chat,
            name=f"item:{item_id}",
            job_kwargs=job_kwargs,
        )
    marks["startup_s"] = time.perf_counter() - started
    marks["jobs"] = len(rows)
    marks["after"] = status()["VmRSS"]
    print(json.dumps({"ready": marks}), flush=True)
    until = spec.get("until")
    if until is not None:
        await asyncio.sleep(max(0.0, until - time.time()))
    await asyncio.sleep(0.5)
    if SENDS["finished"] < SENDS["started"]:  # let the sends under way finish
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(SETTLED.wait(), 120)
    marks["missed"] = missed["missed"]
    marks["runs"] = SENDS["started"]
    marks["failed"] = SENDS["failed"]
    marks["peak"] = status()["VmHWM"]
    await application.stop()
    await application.shutdown()
    await db.dispose()
    return marks


async def sweep_child(spec: dict[str, Any]) -> dict[str, Any]:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    marks: dict[str, Any] = {"imports": status()["VmRSS"]}
    application = await _application(spec["token"], spec["api"], job_queue=False)
    marks["before"] = status()["VmRSS"]
    now = datetime.fromisoformat(spec["now"]) if spec.get("now") else None
    started = time.perf_counter()
    db = Database(spec["url"])
    rt = Runtime(
        db=db, clock=FakeClock(now) if now else SystemClock(), tz=TZ, media_dir=Path(spec["media"])
    )
    turns = SweepJob(rt, Metrics())  # as bot.app: the lock, then the pass
    jobs = AsyncIOScheduler(timezone=TZ)

    async def sweep() -> None:
        await turns.turn()

    jobs.add_job(sweep, "interval", minutes=1, id="sweep", max_instances=1, coalesce=True)
    jobs.start()
    if spec.get("announce"):
        print(json.dumps({"passing": True}), flush=True)
    result = await turns.turn()
    assert result is not None, "another process holds the sweep lock"
    marks["startup_s"] = time.perf_counter() - started
    marks["items_checked"] = result.items_checked
    marks["queued"] = result.queued
    marks["after"] = status()["VmRSS"]
    marks["peak"] = status()["VmHWM"]
    jobs.shutdown(wait=False)
    await turns.release()  # a clean stop gives the lock up, as bot.app does
    await application.stop()
    await application.shutdown()
    await db.dispose()
    return marks


def child_main(kind: str, spec: dict[str, Any]) -> None:
    run = jobqueue_child if kind == "jobqueue" else sweep_child
    marks = asyncio.run(run(spec))
    print(json.dumps({"done": marks}), flush=True)


# --- the parent --------------------------------------------------------------------------------


async def spawn(kind: str, spec: dict[str, Any]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.jobqueue",
        "--child",
        kind,
        json.dumps(spec),
        stdout=subprocess.PIPE,
    )


async def next_line(proc: asyncio.subprocess.Process, key: str) -> Any:
    """The child's next JSON line carrying ``key``."""
    assert proc.stdout is not None
    while True:
        line = await proc.stdout.readline()
        if not line:
            raise SystemExit(f"child exited ({await proc.wait()}) before {key!r}")
        if line.startswith(b"{"):
            message = json.loads(line)
            if key in message:
                return message[key]


async def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = await spawn(kind, spec)
    marks: dict[str, Any] = await next_line(proc, "done")
    await proc.wait()
    marks["wall_s"] = time.perf_counter() - started
    return marks


def sent_items(fake: Any, since: int) -> Counter[int]:
    """Items whose reminder the fake received in calls from ``since`` on."""
    fired = Counter[int]()
    for call in fake.calls[since:]:
        if call.method == "sendMessage":
            found = ITEM.search(str(call.params.get("text", "")))
            if found:
                fired[int(found.group(1))] += 1
    return fired


async def set_window(url: str, ids: list[int], start: float, seconds: float) -> None:
    """Give the chosen items reminder times spread evenly over ``seconds`` from ``start``."""
    db = Database(url)
    async with db.session() as session:
        for n, item_id in enumerate(ids):
            at = datetime.fromtimestamp(start + seconds * n / len(ids), UTC)
            await session.execute(update(Item).where(Item.id == item_id).values(next_check_at=at))
        await session.commit()
    await db.dispose()


async def jobqueue_crash(
    fake: Any, url: str, ids: list[int], args: argparse.Namespace, lead: float, restart: str
) -> dict[str, Any]:
    """Schedule, SIGKILL halfway through the window, stay down, restart in one of three ways."""
    start = time.time() + lead
    end = start + args.window
    await set_window(url, ids, start, args.window)
    since = len(fake.calls)
    spec = {"url": url, "token": fake.token, "api": fake.url, "rederive": True, "grace": "default"}
    proc = await spawn("jobqueue", {**spec, "until": end + 3600})
    ready = await next_line(proc, "ready")
    slack = start - time.time()
    if slack < 0:
        print("  warning: the window opened before the jobs were scheduled", flush=True)
    await asyncio.sleep(max(0.0, start + args.window / 2 - time.time()))
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    before = sent_items(fake, since)
    await asyncio.sleep(args.down)
    restarted = time.time()
    spec2 = {
        **spec,
        "rederive": restart != "memory",
        "grace": "none" if restart == "no-grace" else "default",
        "until": end + 2,
    }
    after_marks = await run_child("jobqueue", spec2)
    after = sent_items(fake, since) - before
    total = before + after
    wanted = set(ids)
    return {
        "restart": restart,
        "due": len(ids),
        "ready_before_window_s": slack,
        "scheduled": ready["jobs"],
        "sent_before_kill": len(before),
        "down_s": restarted - (start + args.window / 2),
        "rescheduled": after_marks["jobs"],
        "restart_startup_s": after_marks["startup_s"],
        "sent_after_restart": sum(after.values()),
        "missed_events": after_marks["missed"],
        "failed_sends": after_marks["failed"],
        "reminded": len(wanted & set(total)),
        "lost": len(wanted - set(total)),
        "duplicates": sum(count - 1 for count in total.values() if count > 1),
    }


async def outbox_counts(url: str) -> dict[str, int]:
    db = Database(url)
    async with db.session() as session:
        rows = (await session.execute(select(Notification.item_id, Notification.late))).all()
        keys = await session.scalar(select(func.count(func.distinct(Notification.key))))
    await db.dispose()
    return {
        "notifications": len(rows),
        "distinct_keys": int(keys or 0),
        "items": len({item for item, _ in rows}),
        "late": sum(1 for _, late in rows if late),
    }


async def sweep_crash(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """A pass SIGKILLed part-way, a new process 30 minutes later; count the outbox."""
    url = f"sqlite+aiosqlite:///{workdir / 'sweep-crash.db'}"
    pop = await populated(
        url, args.items, args.people, now=bench_now(), due_share=args.due, progress=lambda _: None
    )
    due = len(pop.due_ids)
    first = pop.due_check + timedelta(minutes=1)
    spec = {"url": url, "token": "", "api": "", "media": str(workdir), "announce": True}
    # The sweep child needs no Bot API; give it the fake's address all the same (same start-up).
    spec.update(args.fake_spec)
    proc = await spawn("sweep", {**spec, "now": first.isoformat()})
    await next_line(proc, "passing")
    killed_at = 0
    while proc.returncode is None:
        counts = await outbox_counts(url)
        if counts["items"] >= due * 0.4:
            proc.send_signal(signal.SIGKILL)
            killed_at = counts["items"]
            break
        await asyncio.sleep(0.05)
    await proc.wait()
    at_kill = await outbox_counts(url)
    second = pop.due_check + timedelta(minutes=30)
    restart = await run_child("sweep", {**spec, "announce": False, "now": second.isoformat()})
    final = await outbox_counts(url)
    return {
        "due": due,
        "killed_with_items_queued": killed_at,
        "queued_items_at_kill": at_kill["items"],
        "notifications_at_kill": at_kill["notifications"],
        "restart_items_checked": restart["items_checked"],
        "restart_queued": restart["queued"],
        "restart_startup_s": restart["startup_s"],
        "items_reminded": final["items"],
        "notifications": final["notifications"],
        "duplicates": final["notifications"] - final["distinct_keys"],
        "late": final["late"] - at_kill["late"],
        "lost": due - final["items"],
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def parent(args: argparse.Namespace) -> None:
    from testbench import FakeTelegram

    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir / 'jobqueue.db'}"
        print(f"populating {args.items:,} items, {args.people:,} people", flush=True)
        pop = await populated(url, args.items, args.people, progress=lambda _: None)
        print(f"  populated in {pop.seconds:.1f} s", flush=True)
        async with FakeTelegram() as fake:
            for n in range(pop.people):
                fake._chat(fake.user(5_000_000 + n + 1, f"p{n + 1}").id).started = True
            args.fake_spec = {"token": fake.token, "api": fake.url}
            common = {"url": url, "token": fake.token, "api": fake.url, "media": tmp}
            runs = await start_ups(args, common)
            lead = 2 * _median([m["wall_s"] for m in runs["jobqueue"]]) + 3
            every = max(1, round(1 / args.due))
            ids = list(range(1, args.items + 1, every))
            crashes = []
            for restart in ("memory", "rederive", "no-grace"):
                print(f"jobqueue crash, restart: {restart}", flush=True)
                crashes.append(await jobqueue_crash(fake, url, ids, args, lead, restart))
                print(f"  {crashes[-1]}", flush=True)
            print("sweep crash", flush=True)
            swept = await sweep_crash(workdir, args)
            print(f"  {swept}", flush=True)
    print(f"\nsummary ({args.items:,} items, {pop.people:,} people, {args.runs} runs each):")
    print_start_ups(runs)
    print_crashes(crashes, swept)


async def start_ups(
    args: argparse.Namespace, common: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Each kind of child started ``--runs`` times, alternately; their marks by kind."""
    runs: dict[str, list[dict[str, Any]]] = {"jobqueue": [], "sweep": []}
    for run in range(args.runs):
        for kind in ("jobqueue", "sweep"):
            spec = {**common, "rederive": True, "grace": "default", "until": None}
            marks = await run_child(kind, spec)
            runs[kind].append(marks)
            print(
                f"  run {run + 1} {kind}: start-up {marks['startup_s']:.2f} s, "
                f"RSS {marks['before']:.0f} → {marks['after']:.0f} MB "
                f"(peak {marks['peak']:.0f}); "
                + (
                    f"{marks['jobs']:,} jobs"
                    if kind == "jobqueue"
                    else f"{marks['items_checked']} items due"
                ),
                flush=True,
            )
    return runs


def print_start_ups(runs: dict[str, list[dict[str, Any]]]) -> None:
    jq, sw = runs["jobqueue"], runs["sweep"]
    jq_start = _median([m["startup_s"] for m in jq])
    sw_start = _median([m["startup_s"] for m in sw])
    jq_grow = _median([m["after"] - m["before"] for m in jq])
    sw_grow = _median([m["after"] - m["before"] for m in sw])
    jq_after = _median([m["after"] for m in jq])
    sw_after = _median([m["after"] for m in sw])
    print(
        f"start-up: jobqueue {jq_start:.2f} s (load {_median([m['load_s'] for m in jq]):.2f} s), "
        f"sweep {sw_start:.3f} s; ratio {jq_start / sw_start:.0f}×"
    )
    print(
        f"RSS after: jobqueue {jq_after:.0f} MB (+{jq_grow:.0f}), sweep {sw_after:.0f} MB "
        f"(+{sw_grow:.0f}); before: {_median([m['before'] for m in jq]):.0f} / "
        f"{_median([m['before'] for m in sw]):.0f} MB; ratio after {jq_after / sw_after:.2f}×, "
        f"growth {jq_grow / max(sw_grow, 0.1):.0f}×; "
        f"{jq_grow * 1024 * 1024 / max(jq[0]['jobs'], 1):.0f} bytes per job"
    )


def print_crashes(crashes: list[dict[str, Any]], swept: dict[str, Any]) -> None:
    for crash in crashes:
        print(
            f"jobqueue crash, restart {crash['restart']}: {crash['due']} due in the window, "
            f"{crash['sent_before_kill']} sent before the kill, {crash['rescheduled']:,} jobs "
            f"after restart ({crash['restart_startup_s']:.1f} s), {crash['sent_after_restart']} "
            f"sent after, {crash['missed_events']} misfired, {crash['failed_sends']} sends failed; "
            f"reminded {crash['reminded']}, "
            f"lost {crash['lost']}, duplicates {crash['duplicates']}"
        )
    print(
        f"sweep crash: {swept['due']} due, killed with {swept['queued_items_at_kill']} items "
        f"queued; restart {swept['restart_items_checked']} items checked "
        f"({swept['restart_startup_s']:.1f} s); reminded {swept['items_reminded']}, "
        f"lost {swept['lost']}, duplicates {swept['duplicates']}, late {swept['late']}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2], json.loads(sys.argv[3]))
        return
    parser = bench_parser("jobqueue", __doc__)
    parser.add_argument("--runs", type=int, default=3, help="start-ups of each kind (median)")
    parser.add_argument("--due", type=float, default=0.01, help="share in the crash window")
    parser.add_argument("--window", type=float, default=30.0, help="crash window, seconds")
    parser.add_argument("--down", type=float, default=5.0, help="seconds down after the kill")
    args = parser.parse_args()
    asyncio.run(parent(args))


if __name__ == "__main__":
    main()
