"""Ending an item while the deliverer records sends about it, at once on PostgreSQL.

Closing an item cancels what is still queued about it: one statement over several rows. The
deliverer records the sends of a merged message row by row. When the two take the same rows in
different orders (the closing's scan meets the rows as the heap lays them out, the deliverer in
the order of its message), PostgreSQL finds a deadlock and aborts one: the close fails with a
500, or a message already in the chat stays unmarked and is sent again. Both now lock the rows
in id order first, so one waits for the other."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from domain.clock import FakeClock
from domain.vocabulary import NotificationStatus
from services.outbox import claims, outcomes
from services.outbox.queue import cancel_queued
from services.runtime import Runtime
from services.views import find_item
from storage.db import Database
from storage.models import Notification
from tests.services.test_sweep import local, new_item


async def test_cancelling_an_items_queue_while_its_sends_are_recorded(
    county: Runtime, database_url: str, clock: FakeClock
) -> None:
    rt = county
    if rt.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: the two cannot interleave")
    clock.set(local(12, 1, 9))
    ref = await new_item(rt, due=local(12, 20).date())
    claimed = await claims.claim(rt, limit=100, lease=timedelta(minutes=1))
    first, second = sorted(claimed, key=lambda out: out.id)[:2]

    recorded_one = asyncio.Event()
    cancelling = asyncio.Event()
    paused = False

    def deliverer_after(conn: Connection, _c: Any, statement: str, *_: Any) -> None:
        nonlocal paused
        if paused or not statement.lstrip().upper().startswith("UPDATE NOTIFICATIONS"):
            return
        paused = True
        recorded_one.set()

        async def wait() -> None:  # until the closing has begun on the same rows
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(cancelling.wait(), 1.5)
            await asyncio.sleep(0.3)

        await_only(wait())

    def closer_before(conn: Connection, _c: Any, statement: str, *_: Any) -> None:
        if "NOTIFICATIONS" in statement.upper():
            cancelling.set()

    other = dataclasses.replace(rt, db=Database(database_url))
    event.listen(other.db.engine.sync_engine, "after_cursor_execute", deliverer_after)

    async def close() -> int:
        await recorded_one.wait()
        async with rt.db.session() as session:
            item = await find_item(session, ref)
            event.listen(rt.db.engine.sync_engine, "before_cursor_execute", closer_before)
            cancelled = await cancel_queued(session, item.id)
            await session.commit()
        return cancelled

    try:
        # The message's order puts the younger row first, as a merged message may.
        results = await asyncio.wait_for(
            asyncio.gather(
                outcomes.mark_sent(other, [second, first], message_id=1),
                close(),
                return_exceptions=True,
            ),
            30,
        )
    finally:
        event.remove(other.db.engine.sync_engine, "after_cursor_execute", deliverer_after)
        with contextlib.suppress(Exception):
            event.remove(rt.db.engine.sync_engine, "before_cursor_execute", closer_before)
        await other.db.dispose()
    delivered, cancelled = results
    assert not isinstance(delivered, BaseException), f"recording the send failed: {delivered!r}"
    assert not isinstance(cancelled, BaseException), f"the closing failed: {cancelled!r}"
    async with rt.db.session() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Notification.id, Notification.status).where(
                        Notification.id.in_([first.id, second.id])
                    )
                )
            ).all()
        )
    # The sends went out and are recorded; the rest of the item's queue is cancelled.
    assert statuses == {first.id: NotificationStatus.SENT, second.id: NotificationStatus.SENT}
    assert cancelled == len(claimed) - 2
