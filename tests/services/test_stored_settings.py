"""Small remembered values: several instances starting at once all remember the console's URL
(on PostgreSQL they raced on the insert and one failed to start); the time moves only when the
value changes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from domain.clock import FakeClock
from services.runtime import Runtime
from services.stored_settings import remember_setting, stored_setting
from storage.db import Database
from storage.models import Setting


async def test_instances_remember_a_setting_at_once(
    rt: Runtime, database_url: str, clock: FakeClock
) -> None:
    others = [dataclasses.replace(rt, db=Database(database_url)) for _ in range(3)]
    try:
        await asyncio.gather(
            *(remember_setting(o, "console_url", "https://duban.example/") for o in others)
        )
    finally:
        for other in others:
            await other.db.dispose()
    assert await stored_setting(rt, "console_url") == "https://duban.example/"
    async with rt.db.session() as session:
        first = (await session.get_one(Setting, "console_url")).updated_at
    clock.advance(timedelta(hours=1))
    await remember_setting(rt, "console_url", "https://duban.example/")
    async with rt.db.session() as session:
        assert (await session.get_one(Setting, "console_url")).updated_at == first
    await remember_setting(rt, "console_url", "https://duban.example/console/")
    async with rt.db.session() as session:
        row = await session.get_one(Setting, "console_url")
    assert row.value == "https://duban.example/console/" and row.updated_at > first
