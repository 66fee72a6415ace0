"""Where people's chat conversations (such as /new) stand, kept in the database.

A conversation's step and draft live in ``chat_conversations`` rather than one process's
memory, so the next update of the conversation may land on any instance, or after a restart.
A conversation untouched for longer than its ``max_age`` is stale: it reads as absent (the
person is not trapped in a draft they forgot) and is deleted the next time it is written.

Complaint conversations are never kept here: the complainant is anonymous. They are kept
sealed under a keyed hash of the chat instead (:mod:`services.complaint_drafts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from services.runtime import Runtime
from storage.models import ChatConversation


@dataclass(frozen=True)
class Conversation:
    """One conversation's step (``None``: none) and draft, as stored."""

    state: int | None
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    gone: bool = False  # there was one, but it expired or cannot be read any more

    @property
    def empty(self) -> bool:
        return self.state is None and not self.data


NONE = Conversation(None)


async def load_conversations(rt: Runtime, chat_id: int, user_id: int) -> dict[str, Conversation]:
    """Every stored conversation of this person in this chat, by name (one indexed read)."""
    async with rt.db.session() as session:
        rows = await session.execute(
            select(
                ChatConversation.name,
                ChatConversation.state,
                ChatConversation.data,
                ChatConversation.updated_at,
            ).where(ChatConversation.chat_id == chat_id, ChatConversation.user_id == user_id)
        )
        return {
            name: Conversation(state, dict(data or {}), updated_at)
            for name, state, data, updated_at in rows
        }


def is_stale(rt: Runtime, conversation: Conversation, max_age: timedelta) -> bool:
    at = conversation.updated_at
    return at is not None and rt.clock.now() - at > max_age


async def save_conversations(
    rt: Runtime, chat_id: int, user_id: int, changed: dict[str, Conversation]
) -> None:
    """Store these conversations (an empty one is deleted), in one unit of work."""
    if not changed:
        return
    now = rt.clock.now()
    for attempt in range(2):
        async with rt.db.session() as session:
            try:
                for name, conversation in changed.items():
                    where = (
                        ChatConversation.chat_id == chat_id,
                        ChatConversation.user_id == user_id,
                        ChatConversation.name == name,
                    )
                    if conversation.empty:
                        await session.execute(delete(ChatConversation).where(*where))
                        continue
                    result = await session.execute(
                        update(ChatConversation)
                        .where(*where)
                        .values(state=conversation.state, data=conversation.data, updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    if getattr(result, "rowcount", 0) == 0:
                        session.add(
                            ChatConversation(
                                chat_id=chat_id,
                                user_id=user_id,
                                name=name,
                                state=conversation.state,
                                data=conversation.data,
                                updated_at=now,
                            )
                        )
                        await session.flush()
                await session.commit()
                return
            except IntegrityError:
                # Another instance inserted the same conversation at the same moment: the
                # second attempt updates its row instead (the later step wins).
                await session.rollback()
                if attempt:
                    raise
