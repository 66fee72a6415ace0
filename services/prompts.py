"""Where a reply in chat belongs: a bot message that asked a person for an answer (a reason, a
date, an instruction) is remembered, and a reply to it, to an item's notification or to a
draft's preview is routed back to what it is about."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain.authority import Actor
from services.runtime import Runtime
from storage.models import ChatPrompt, Notification, ReportDraft, WorkGroup


@dataclass(frozen=True)
class ReplyTarget:
    item_id: int | None
    purpose: str | None
    target: str


async def remember_prompt(
    rt: Runtime,
    actor: Actor,
    *,
    chat_id: int,
    message_id: int,
    item_id: int | None,
    purpose: str,
    target: str = "",
) -> None:
    """Note that a bot message asks this person for an answer (a reply routes to ``purpose``)."""
    async with rt.db.session() as session:
        session.add(
            ChatPrompt(
                chat_id=chat_id,
                message_id=message_id,
                person_id=actor.person_id,
                item_id=item_id,
                purpose=purpose,
                target=target,
                created_at=rt.clock.now(),
            )
        )
        await session.commit()


async def reply_target(
    rt: Runtime, actor: Actor, chat_id: int, message_id: int
) -> ReplyTarget | None:
    """What a reply to this bot message is about: a prompt, or an item's notification."""
    async with rt.db.session() as session:
        prompt = await session.scalar(
            select(ChatPrompt).where(
                ChatPrompt.chat_id == chat_id,
                ChatPrompt.message_id == message_id,
                ChatPrompt.person_id == actor.person_id,
            )
        )
        if prompt is not None:
            return ReplyTarget(prompt.item_id, prompt.purpose, prompt.target)
        if chat_id == actor.chat_id:  # the person's own chat
            item_id = await session.scalar(
                select(Notification.item_id).where(
                    Notification.person_id == actor.person_id,
                    Notification.message_id == message_id,
                    Notification.item_id.is_not(None),
                )
            )
        else:  # a message to the work group this chat is
            item_id = await session.scalar(
                select(Notification.item_id)
                .join(WorkGroup, WorkGroup.id == Notification.group_id)
                .where(
                    WorkGroup.chat_id == chat_id,
                    Notification.message_id == message_id,
                    Notification.item_id.is_not(None),
                )
            )
        if item_id is not None:
            return ReplyTarget(item_id, None, "")
        draft_item = await session.scalar(
            select(ReportDraft.item_id).where(
                ReportDraft.person_id == actor.person_id,
                ReportDraft.prompt_message_id == message_id,
            )
        )
        if draft_item is not None:
            return ReplyTarget(draft_item, None, "")
    return None
