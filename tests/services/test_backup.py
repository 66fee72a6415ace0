"""Backup while the bot is writing; the restored ledger is consistent and complete up to then."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.clock import FakeClock
from domain.vocabulary import Source, TimeClass
from services.backup import pg_dump_hint, sqlite_backup
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from services.views import load_item
from storage.db import Database
from storage.models import Assignment, Counter, Item, TimelineEvent
from tests.conftest import SHANGHAI, import_example_county


async def test_backup_while_writing_restores_consistently(tmp_path: Path, clock: FakeClock) -> None:
    source = tmp_path / "live.db"
    db = Database(f"sqlite+aiosqlite:///{source}")
    await db.upgrade()
    rt = Runtime(db=db, clock=clock, tz=SHANGHAI, media_dir=tmp_path / "media")
    await import_example_county(rt)
    draft = ItemDraft("排查", "内容", Source.OTHER, TimeClass.GENERAL, "edu", ("health",))
    stop = asyncio.Event()
    written = 0

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            await register_item(rt, Origin(None, via_api=True), draft, dispatch=True)
            written += 1

    task = asyncio.create_task(writer())
    for _ in range(2000):
        if written >= 20:
            break
        await asyncio.sleep(0.01)
    target = tmp_path / "copy.db"
    progress: list[tuple[int, int]] = []
    result = await asyncio.to_thread(
        sqlite_backup, source, target, progress=lambda d, t: progress.append((d, t))
    )
    stop.set()
    await task
    await db.dispose()
    assert result.integrity == "ok"
    assert progress and progress[-1][0] == progress[-1][1]

    restored = Database(f"sqlite+aiosqlite:///{target}")
    try:
        await restored.ensure_migrated()
        copy_rt = Runtime(db=restored, clock=clock, tz=SHANGHAI, media_dir=tmp_path / "m")
        async with restored.session() as session:
            seqs = sorted(await session.scalars(select(Item.seq)))
            counter = await session.scalar(select(Counter.value).where(Counter.name == "item"))
            per_item = dict(
                (
                    await session.execute(
                        select(Assignment.item_id, func.count()).group_by(Assignment.item_id)
                    )
                ).all()
            )
            registered = await session.scalar(
                select(func.count()).where(TimelineEvent.kind == "registered")
            )
            assert seqs == list(range(1, len(seqs) + 1))
            assert 20 <= len(seqs) <= written
            assert counter == len(seqs)
            assert set(per_item.values()) == {2}
            assert registered == len(seqs)
            view = await load_item(session, f"2026-{len(seqs)}", clock.now(), copy_rt.policy)
            assert view.lead is not None and view.lead.unit_key == "edu"
    finally:
        await restored.dispose()


def test_backup_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "a.db").write_bytes(b"")
    (tmp_path / "b.db").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        sqlite_backup(tmp_path / "a.db", tmp_path / "b.db")


def test_pg_dump_hint_has_no_password() -> None:
    hint = pg_dump_hint("postgresql+asyncpg://duban:secret@db.internal:5433/duban", "x.dump")
    assert "secret" not in hint
    assert "--host=db.internal --port=5433 --username=duban --file=x.dump duban" in hint
