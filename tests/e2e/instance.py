"""One instance of the application for the several-instances test, as a process of its own.

It is what ``duban run --webhook URL`` runs (``bot.app.create_app`` with the webhook, the
scheduler and the delivery worker, settings from ``DUBAN_*``), with two differences a test
needs: the clock is read from a file the test moves (time is injected, DESIGN's rule), and the
sweep job takes its turn every ``--sweep-every`` seconds instead of every minute.

    python -m tests.e2e.instance --port P --webhook URL --clock FILE [--sweep-every S]
        [--log-level DEBUG]

Prints ``ready <holder id>`` once it serves; SIGTERM stops it cleanly (the lease is given up),
SIGKILL is a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import Options, create_app, serve
from bot.logs import configure_logging
from bot.settings import Settings
from bot.sweep_job import SWEEP_JOB


class FileClock:
    """The moment written (ISO, aware) in a file; re-read when the file is replaced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._now: datetime | None = None

    def now(self) -> datetime:
        stat = os.stat(self.path)
        seen = (stat.st_ino, stat.st_mtime_ns)
        if seen != self._seen or self._now is None:
            self._now = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
            self._seen = seen
        return self._now


def write_clock(path: Path, moment: datetime) -> None:
    """Move the instances' clock: replace the file at once (never half-written)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(moment.isoformat(), encoding="utf-8")
    os.replace(temporary, path)


async def main(args: argparse.Namespace) -> None:
    configure_logging(args.log_level)
    settings = Settings()
    options = Options(webhook_url=args.webhook, sweep_every=timedelta(seconds=args.sweep_every))
    app = create_app(settings, clock=FileClock(Path(args.clock)), options=options)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(app, "127.0.0.1", args.port):
        print("ready", app[SWEEP_JOB].holder, flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--webhook", required=True)
    parser.add_argument("--clock", required=True)
    parser.add_argument("--sweep-every", type=float, default=0.2)
    parser.add_argument("--log-level", default="INFO")
    asyncio.run(main(parser.parse_args()))
