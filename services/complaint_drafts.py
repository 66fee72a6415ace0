"""Complaints being written in chat, kept sealed between their steps (issue 18).

Each step of ``/complain`` may land on another instance, so the step and the draft are kept in
the database, but never in a form that names the chat: a row is found by a keyed hash of the
chat and holds the conversation encrypted for that chat (:mod:`services.sealing`). A row lives
for an hour after its last step, is removed when the complaint is filed or cancelled, and the
sweep deletes the expired ones; one that expired or cannot be read (damaged, or sealed under
another secret) reads as gone, and the complainant is told to start again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from services.conversations import NONE, Conversation
from services.runtime import Runtime
from storage.models import ComplaintLimit, SealedDraft
from storage.upserts import insert_for

LIFETIME = timedelta(hours=1)  # untouched for longer, a draft is gone
GONE = Conversation(None, gone=True)


async def load_sealed(rt: Runtime, name: str, chat_id: int) -> Conversation:
    """This chat's conversation ``name``: NONE when there is none, GONE when there was one
    that expired or cannot be read."""
    key = rt.sealer.draft_key(name, chat_id)
    async with rt.db.session() as session:
        row = (
            await session.execute(
                select(SealedDraft.sealed, SealedDraft.expires_at).where(SealedDraft.key == key)
            )
        ).first()
    if row is None:
        return NONE
    sealed, expires_at = row
    if expires_at <= rt.clock.now():
        return GONE
    content = rt.sealer.unseal(chat_id, key, bytes(sealed))
    if content is None:
        return GONE
    state, data = content.get("state"), content.get("data")
    if not isinstance(state, int | None) or isinstance(state, bool) or not isinstance(data, dict):
        return GONE
    return Conversation(state, data)


async def save_sealed(
    rt: Runtime, name: str, chat_id: int, conversation: Conversation, lifetime: timedelta
) -> None:
    """Keep this chat's conversation sealed for ``lifetime``; an empty one is removed."""
    key = rt.sealer.draft_key(name, chat_id)
    async with rt.db.session() as session:
        if conversation.empty:
            await session.execute(delete(SealedDraft).where(SealedDraft.key == key))
        else:
            content = {"state": conversation.state, "data": conversation.data}
            values = {
                "sealed": rt.sealer.seal(chat_id, key, content),
                "expires_at": rt.clock.now() + lifetime,
            }
            statement = insert_for(session, SealedDraft).values(key=key, **values)
            await session.execute(
                statement.on_conflict_do_update(index_elements=["key"], set_=values)
            )
        await session.commit()


async def delete_expired(rt: Runtime, now: datetime) -> int:
    """Delete the drafts and the limit counts whose time is over; how many rows went."""
    async with rt.db.session() as session:
        drafts = await session.execute(delete(SealedDraft).where(SealedDraft.expires_at <= now))
        limits = await session.execute(
            delete(ComplaintLimit).where(ComplaintLimit.expires_at <= now)
        )
        await session.commit()
    return int(getattr(drafts, "rowcount", 0) or 0) + int(getattr(limits, "rowcount", 0) or 0)
