"""Document numbers on PostgreSQL with two instances (two ``Database`` objects, as two processes
behind a load balancer): issued at once from both, with some acts rolled back after taking their
number and one connection killed mid-act (a crash), the numbers that stay are 1..N, no gap, no
duplicate, and the counter says N."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import select, text

from domain.documents import DocumentKind
from services.documents.access import issue_for_item
from services.documents.issue import issue_document
from services.runtime import Runtime
from services.views import find_item
from storage.db import Database
from storage.models import Counter, Document
from tests.services.test_documents import dispatched


class ActFailed(Exception):
    """The act that took a number failed before its commit."""


async def failing_act(rt: Runtime, ref: str) -> None:
    """An act that takes a number and then fails: its transaction is rolled back."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        await issue_document(session, rt, item, DocumentKind.URGING, rt.clock.now())
        raise ActFailed


async def urging_numbers(rt: Runtime) -> tuple[list[int], int]:
    async with rt.db.session() as session:
        seqs = list(
            await session.scalars(
                select(Document.seq).where(Document.kind == "urging").order_by(Document.seq)
            )
        )
        counter = await session.get(Counter, ("urging", 2026))
    return seqs, counter.value if counter is not None else 0


async def test_two_instances_issue_at_once_without_gaps(county: Runtime, database_url: str) -> None:
    if county.db.dialect != "postgresql":
        pytest.skip("two instances on one database: PostgreSQL (SQLite has one writer)")
    ref = await dispatched(county)
    other = dataclasses.replace(county, db=Database(database_url))
    try:
        instances = (county, other)
        acts = []
        for n in range(25):  # 20 issued, 5 rolled back after taking their number
            rt = instances[n % 2]
            acts.append(
                failing_act(rt, ref) if n % 5 == 2 else issue_for_item(rt, ref, DocumentKind.URGING)
            )
        results = await asyncio.gather(*acts, return_exceptions=True)
    finally:
        await other.db.dispose()
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 5 and all(isinstance(r, ActFailed) for r in failed), failed
    issued = sorted(info.number for info, _ in (r for r in results if isinstance(r, tuple)))
    seqs, counter = await urging_numbers(county)
    assert seqs == list(range(1, 21)) and counter == 20
    assert sorted(issued) == sorted(f"催〔2026〕{n}号" for n in range(1, 21))


async def test_a_crash_after_taking_a_number_leaves_no_gap(
    county: Runtime, database_url: str
) -> None:
    """The instance holding a number dies (its connection is cut by the server) while the other
    waits for the counter: the other gets that number, and the next is the one after."""
    if county.db.dialect != "postgresql":
        pytest.skip("a connection killed mid-transaction: PostgreSQL")
    ref = await dispatched(county)
    other = dataclasses.replace(county, db=Database(database_url))
    taken = asyncio.Event()
    pid: list[int] = []

    async def dying() -> None:
        async with county.db.session() as session:
            pid.append(int(await session.scalar(text("SELECT pg_backend_pid()")) or 0))
            item = await find_item(session, ref)
            document = await issue_document(
                session, county, item, DocumentKind.URGING, county.clock.now()
            )
            assert document.seq == 1
            taken.set()
            await asyncio.sleep(3600)  # the process hangs here until it is killed

    try:
        crashing = asyncio.create_task(dying())
        await taken.wait()
        waiting = asyncio.create_task(issue_for_item(other, ref, DocumentKind.URGING))
        await asyncio.sleep(0)
        assert not waiting.done()
        async with other.db.session() as session:  # the crash: the server ends that backend
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid[0]})
        crashing.cancel()
        info, _ = await asyncio.wait_for(waiting, 30)
        assert info.number == "催〔2026〕1号"
        again, _ = await issue_for_item(county, ref, DocumentKind.URGING)
        assert again.number == "催〔2026〕2号"
    finally:
        await other.db.dispose()
    assert await urging_numbers(county) == ([1, 2], 2)
