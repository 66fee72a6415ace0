"""A sweep pass and the deliverer marking an escalation sent, at once on PostgreSQL.

The sweep holds its claimed items' row locks while it inserts notifications (ON CONFLICT DO
NOTHING), and such an insert waits for a transaction that is updating the conflicting row. The
deliverer marks the escalation sent (updating that row) and then raises the item's level (the
item's row). Taken in opposite orders, the two deadlock and PostgreSQL aborts one of them: when
it is the deliverer, a message already in the chat stays unmarked and is sent again."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from domain.clock import FakeClock
from domain.vocabulary import NotificationStatus
from services.outbox import claims, outcomes
from services.runtime import Runtime
from services.sweep import run_sweep
from storage.db import Database
from storage.models import CHECK_NOW, Item, Notification
from tests.services.test_sweep import local, new_item


async def test_marking_an_escalation_sent_while_the_sweep_has_its_item(
    county: Runtime, database_url: str, clock: FakeClock
) -> None:
    rt = county
    if rt.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: the two cannot interleave")
    await new_item(rt, due=local(11, 25).date())
    clock.set(local(12, 3, 9))
    await run_sweep(rt)  # the ladder's levels queued
    claimed = await claims.claim(rt, limit=100, lease=timedelta(minutes=1))
    escalations = [o for o in claimed if o.kind == "escalation"]
    assert escalations
    async with rt.db.session() as session:  # the item is looked at again (as after a change)
        await session.execute(update(Item).values(next_check_at=CHECK_NOW))
        await session.commit()

    sweep_inserting = asyncio.Event()
    deliverer_updated = asyncio.Event()

    def sweep_before(conn: Connection, _c: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            sweep_inserting.set()

            async def wait() -> None:
                # until the deliverer has updated its notifications (or it cannot, for now)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(deliverer_updated.wait(), 1.5)
                await asyncio.sleep(0.2)

            await_only(wait())

    def deliverer_after(conn: Connection, _c: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE NOTIFICATIONS"):
            deliverer_updated.set()

    other = dataclasses.replace(rt, db=Database(database_url))
    event.listen(rt.db.engine.sync_engine, "before_cursor_execute", sweep_before)
    event.listen(other.db.engine.sync_engine, "after_cursor_execute", deliverer_after)

    async def deliver() -> None:
        await sweep_inserting.wait()
        await outcomes.mark_sent(other, escalations, message_id=1)

    try:
        results = await asyncio.wait_for(
            asyncio.gather(run_sweep(rt), deliver(), return_exceptions=True), 30
        )
    finally:
        event.remove(rt.db.engine.sync_engine, "before_cursor_execute", sweep_before)
        await other.db.dispose()
    swept, delivered = results
    assert not isinstance(delivered, BaseException), f"marking sent failed: {delivered!r}"
    assert not isinstance(swept, BaseException) and swept.failed == 0
    async with rt.db.session() as session:
        statuses = set(
            await session.scalars(
                select(Notification.status).where(Notification.id.in_([o.id for o in escalations]))
            )
        )
        level = await session.scalar(select(Item.escalation_level))
    assert statuses == {NotificationStatus.SENT} and level == 3
