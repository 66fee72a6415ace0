"""Talks' commitments as the item's plan reads them (``domain.occasions.talk_owed``): each
item's recorded talks (约谈), with the date the units committed to and the shares talked to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.talks import TalkFacts
from storage.models import Talk


async def talk_facts(
    session: AsyncSession, item_ids: Collection[int]
) -> dict[int, tuple[TalkFacts, ...]]:
    """Each item's recorded talks as its plan sees them (``domain.occasions``); one query."""
    found: dict[int, list[TalkFacts]] = defaultdict(list)
    if not item_ids:
        return {}
    rows = await session.scalars(
        select(Talk)
        .where(Talk.item_id.in_(list(item_ids)), Talk.recorded_at.is_not(None))
        .order_by(Talk.recorded_at, Talk.id)
    )
    for talk in rows:
        assert talk.recorded_at is not None and talk.commit_by is not None
        found[talk.item_id].append(
            TalkFacts(talk.recorded_at, talk.commit_by, frozenset(talk.assignment_ids))
        )
    return {item_id: tuple(found[item_id]) for item_id in item_ids}
