"""``duban sweep [--now ISO]``: one reminder and escalation pass, then deliver what is due.

A deployment can drive the sweep from cron with this instead of (or besides) ``duban run``'s
every-minute job: both decide from the database and the time alone and queue each notification
once, so overlapping runs change nothing. It takes the sweep lock like an instance of
``duban run`` does (giving it up when done): while a running instance holds it, this run does
not sweep (it says who does) and only delivers. A run killed mid-pass loses the lock with its
connection, so the next run sweeps at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from bot import heap
from bot.cli_table import Command, add_command, option


class OffsetClock:
    """A clock that starts at a given moment and runs on with real time."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


def parse_now(value: str, tz: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def cmd_sweep(args: argparse.Namespace, cli: ModuleType) -> None:
    from bot.metrics import Metrics
    from bot.outbox.sending import Deliverer
    from bot.outbox.telegram import notification_bot
    from bot.sweep_job import SweepJob
    from services.sweep_lock import holder_of_sweep

    settings = cli.load_settings()
    if args.now:
        try:
            start = parse_now(args.now, settings.tz)
        except ValueError:
            cli.fail(f"--now {args.now!r}: not an ISO date and time (e.g. 2026-12-01T09:00)", 2)
    else:
        start = None

    async def main() -> None:
        async with cli.runtime(settings) as opened:
            rt = opened if start is None else dataclasses.replace(opened, clock=OffsetClock(start))
            # The same job as an instance's: it sweeps only if nobody else holds the lock.
            job = SweepJob(rt, Metrics())
            heap.settle()  # started: the pass's collections skip the start-up objects
            now = rt.clock.now()
            try:
                result = await job.turn()
            finally:
                await job.release()
            if result is not None:
                print(
                    f"sweep at {now.astimezone(rt.tz).isoformat(timespec='minutes')}: "
                    f"{result.items_checked} items checked; queued {result.reminders} "
                    f"reminders, {result.escalations} escalations, {result.digests} digests",
                    flush=True,
                )
            else:
                other = await holder_of_sweep(rt.db)
                print(
                    f"sweep at {now.astimezone(rt.tz).isoformat(timespec='minutes')}: skipped, "
                    f"{other or 'another process'} holds the sweep lock",
                    flush=True,
                )
            if args.no_deliver:
                return
            if settings.bot_token is None:
                print("not delivered: DUBAN_BOT_TOKEN is not set", flush=True)
                return
            bot = notification_bot(settings)
            try:
                await bot.initialize()
            except Exception as exc:
                cli.fail(f"cannot reach the Bot API: {type(exc).__name__}: {exc}")
            try:
                deliverer = Deliverer(rt, bot, Metrics(), lease=timedelta(seconds=args.lease))
                await deliverer.deliver_until_idle(max_wait=args.wait)
            finally:
                await bot.shutdown()
            tally = deliverer.tally
            print(
                f"delivered: {tally['sent']} sent ({tally['merged']} merged, {tally['late']} "
                f"late), {tally['unreachable']} unreachable, {tally['failed']} failed",
                flush=True,
            )

    cli.run_async(main)


def add_sweep_parser(sub: Any, cli: ModuleType) -> None:
    add_command(
        sub,
        Command(
            "sweep",
            "one reminder/escalation pass, then deliver",
            "Queue the reminders, escalations and digests that are due (each once, however often "
            "this runs), then deliver what is due and exit.",
            lambda args: cmd_sweep(args, cli),
            (
                option(
                    "--now",
                    metavar="ISO",
                    help="act as if it were this moment (local time unless a zone is given), "
                    "e.g. 2026-12-01T09:00",
                ),
                option("--no-deliver", action="store_true", help="only queue; do not send"),
                option(
                    "--wait",
                    type=float,
                    default=120.0,
                    help="seconds to wait at most for chats' flood waits and other workers "
                    "(default 120)",
                ),
                option("--lease", type=float, default=60.0, help=argparse.SUPPRESS),
            ),
        ),
    )
