"""Two ``duban sweep`` processes at once on one database create each notification once
(issue 4): SQLite here, PostgreSQL in the run with DUBAN_TEST_POSTGRES_URL.

Each process asks for the sweep lease, so usually one sweeps and the other says it skipped;
when the first is done before the second asks, both sweep and the second finds nothing left.
(Two sweeps without the lease, claiming items side by side, are tested in
tests/services/test_sweep_batches.py.)"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from services.sweep import run_sweep
from storage.models import Counter, Notification, TimelineEvent
from tests.conftest import START

ROOT = Path(__file__).resolve().parents[2]
UNITS = ["edu", "health", "transport", "housing", "resources", "agri", "civil", "eco"]
SWEEP_KINDS = [
    "receipt_chase",
    "before_due",
    "escalation",
    "digest",
    "duty_reminder",
    "duty_chase",
    "duty_notice",
]


async def sweep_process(database_url: str, now: str, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(PYTHONPATH=str(ROOT), DUBAN_DATABASE_URL=database_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sweep",
        "--now",
        now,
        "--no-deliver",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def queued(output: str) -> int:
    if "holds the sweep lock" in output:
        return 0
    match = re.search(r"queued (\d+) reminders, (\d+) escalations, (\d+) digests", output)
    assert match, output
    return sum(int(group) for group in match.groups())


async def count(rt: Runtime, model: object, *where: object) -> int:
    async with rt.db.session() as session:
        return int(
            await session.scalar(select(func.count()).select_from(model).where(*where))  # type: ignore[arg-type]
            or 0
        )


async def test_two_sweeps_at_once_queue_each_notification_once(
    county: Runtime, database_url: str, tmp_path: Path
) -> None:
    rt = county
    # 40 items dispatched over the last 25 days: receipts to chase, reminders, every level.
    for number in range(40):
        draft = ItemDraft(
            title=f"并发测试事项{number}",
            body="",
            source=Source.OTHER,
            time_class=TimeClass.GENERAL,
            lead_unit=UNITS[number % len(UNITS)],
            co_units=(UNITS[(number + 1) % len(UNITS)],) if number % 3 == 0 else (),
        )
        dispatched = START - timedelta(days=number % 25, hours=number % 5)
        await register_item(
            rt, Origin(None, via_api=True), draft, dispatch=True, dispatched_at=dispatched
        )
    now = (START + timedelta(hours=1)).isoformat()
    results = await asyncio.gather(*(sweep_process(database_url, now, tmp_path) for _ in range(2)))
    for code, _, err in results:
        assert code == 0, err
    total = sum(queued(out) for _, out, _ in results)
    assert sum("holds the sweep lock" in out for _, out, _ in results) <= 1
    stored = await count(rt, Notification, Notification.kind.in_(SWEEP_KINDS))
    assert stored == total > 50
    # Each urging notice number was taken once (a unit's notice lists its items: one number,
    # an entry on each item), and no item is in two notices of one level and unit.
    async with rt.db.session() as session:
        issued = (
            await session.execute(
                select(TimelineEvent.item_id, TimelineEvent.data).where(
                    TimelineEvent.kind == "urging_notice"
                )
            )
        ).all()
        counter = await session.get(Counter, ("urging", 2026))
    numbers = {data["code"] for _, data in issued}
    assert numbers and counter is not None and counter.value == len(numbers)
    listed = [(item_id, data["level"], data.get("unit")) for item_id, data in issued]
    assert len(listed) == len(set(listed))
    assert await count(rt, TimelineEvent, TimelineEvent.kind == "inspection_item") > 0
    # A third pass, in this process, finds nothing left to queue.
    again = await run_sweep(rt, START + timedelta(hours=1))
    assert again.queued == 0
