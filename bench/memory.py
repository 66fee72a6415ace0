"""Memory benchmark: resident size of a ``duban run``-equivalent process (create_app against the
fake Bot API, polling, scheduler and deliverer running) with 100k items and 10k people, after a
sweep, idle.

    .venv/bin/python -m bench.memory                     # 100k items, 10k people
    .venv/bin/python -m bench.memory --items 10000

The parent process bulk-writes the SQLite database (bench.sweep.populate) and runs the fake Bot
API; the measured process is a fresh child that only runs the app, so neither the population nor
the fake counts in its size. Reported from the child's /proc/self/status: VmRSS after imports,
after start-up, after a sweep pass, and after ``--idle`` seconds idle; VmHWM (the peak).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def status() -> dict[str, float]:
    """VmRSS and VmHWM of this process, in MB."""
    values: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


async def child(url: str, token: str, api: str, idle: float, media: Path) -> None:
    marks = {"imports": 0.0}
    from bench.fixture import app_settings
    from bot.app import Options, create_app, serve
    from bot.keys import RUNTIME
    from services.sweep import run_sweep

    marks["imports"] = status()["VmRSS"]
    settings = app_settings(url, token=token, api=api, media=media)
    app = create_app(settings, options=Options())
    async with serve(app, "127.0.0.1", 0):
        await asyncio.sleep(2)
        marks["started"] = status()["VmRSS"]
        started = time.perf_counter()
        result = await run_sweep(app[RUNTIME])
        marks["sweep_ms"] = (time.perf_counter() - started) * 1000
        marks["swept_items"] = result.items_checked
        marks["after_sweep"] = status()["VmRSS"]
        await asyncio.sleep(idle)
        now = status()
        marks["idle"] = now["VmRSS"]
        marks["peak"] = now["VmHWM"]
    print(json.dumps(marks), flush=True)


async def parent(args: argparse.Namespace) -> None:
    from bench.fixture import populated
    from bench.sweep import machine
    from testbench import FakeTelegram

    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}"
        print(f"populating {args.items:,} items, {args.people:,} people", flush=True)
        pop = await populated(url, args.items, args.people)
        print(f"  populated in {pop.seconds:.1f} s; starting the app process", flush=True)
        async with FakeTelegram() as fake:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.memory",
                "--child",
                url,
                fake.token,
                fake.url,
                str(args.idle),
                str(Path(tmp) / "media"),
                stdout=subprocess.PIPE,
            )
            out, _ = await proc.communicate()
        marks = json.loads(out.decode().strip().splitlines()[-1])
    print(
        f"\n{args.items:,} items, {pop.people:,} people: resident size after imports "
        f"{marks['imports']:.0f} MB, started {marks['started']:.0f} MB, after a sweep "
        f"({marks['swept_items']} items due, {marks['sweep_ms']:.0f} ms) "
        f"{marks['after_sweep']:.0f} MB, idle {args.idle:.0f} s later {marks['idle']:.0f} MB; "
        f"peak (VmHWM) {marks['peak']:.0f} MB (goal < 150 MB)"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        url, token, api, idle, media = sys.argv[2:7]
        asyncio.run(child(url, token, api, float(idle), Path(media)))
        return
    from bench.fixture import bench_parser  # not in the child, whose imports are measured

    parser = bench_parser("memory", __doc__)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before measuring")
    asyncio.run(parent(parser.parse_args()))


if __name__ == "__main__":
    main()
