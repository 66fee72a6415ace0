"""Forum topics (one thread per item): which topic of a forum work group holds an item's
story, and what a new one is named (the item's code and title)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.runtime import Runtime
from storage.models import Item, ItemTopic

TOPIC_NAME_MAX = 128  # Telegram's limit on a topic's name


async def item_topic(rt: Runtime, group_id: int, item_id: int) -> tuple[int | None, str]:
    """The item's topic in the group (None: none yet), and the name a new one gets."""
    async with rt.db.session() as session:
        thread = await session.scalar(
            select(ItemTopic.thread_id).where(
                ItemTopic.group_id == group_id, ItemTopic.item_id == item_id
            )
        )
        item = await session.get_one(Item, item_id)
        return thread, f"{item.code} {item.title}"[:TOPIC_NAME_MAX]


async def remember_topic(rt: Runtime, group_id: int, item_id: int, thread_id: int) -> int:
    """Keep the item's new topic; the one kept first wins when two senders opened one."""
    async with rt.db.session() as session:
        dialect = session.get_bind().dialect.name
        insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(ItemTopic)
            .values(
                group_id=group_id, item_id=item_id, thread_id=thread_id, created_at=rt.clock.now()
            )
            .on_conflict_do_nothing(index_elements=["group_id", "item_id"])
        )
        kept = await session.scalar(
            select(ItemTopic.thread_id).where(
                ItemTopic.group_id == group_id, ItemTopic.item_id == item_id
            )
        )
        await session.commit()
    return int(kept if kept is not None else thread_id)
