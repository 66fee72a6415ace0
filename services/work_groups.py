"""Binding work groups (工作群): one-time group links, /bind and /unbind in a group, the
console's view and undo, and Telegram's group life (the bot removed, a group upgraded to a
supergroup and given a new id)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import Actor
from domain.errors import DubanError, Forbidden, NotFound
from domain.groups import LEADERS_WORD, OFFICE_WORD, Target, may_bind, targets_for
from domain.i18n import N_
from domain.tokens import hash_token
from domain.vocabulary import GroupKind, NotificationStatus
from services.actors import actor_by_telegram, load_actor
from services.group_notices import fall_back
from services.one_time_links import Refusals, claim_link, open_link
from services.outbox.kinds import OFFICE_ALERT
from services.outbox.queue import enqueue, lock_notifications
from services.recipients import office_people
from services.runtime import Runtime
from storage.models import GroupLink, Notification, Person, Unit, WorkGroup
from texts import groups as texts

PENDING = NotificationStatus.PENDING


class GroupLinkUnknown(DubanError):
    key = N_("This group link is not valid. Ask for a new one with /bind in your chat with me.")


class GroupLinkUsed(DubanError):
    key = N_("This group link has already been used. Ask for a new one with /bind.")


class GroupLinkExpired(DubanError):
    key = N_("This group link has expired. Ask for a new one with /bind.")


class GroupLinkNotYours(DubanError):
    key = N_("This group link was made for {name}; only they can use it.")


class GroupLinkInPrivate(DubanError):
    key = N_("This link binds a group: add me to the group with it, not to this chat.")


class NotAllowedToBind(Forbidden):
    key = N_("Only the supervision office, or a unit's head for their own unit, can bind a group.")


class GroupTaken(DubanError):
    key = N_("This group is already the group of {what}. Send /unbind here first.")
    status = 409


class TargetTaken(DubanError):
    key = N_("{what} already has a group ({title}). Unbind that group first.")
    status = 409


class NotBound(DubanError):
    key = N_("This group is not bound to anything.")
    status = 404


class UnknownTarget(NotFound):
    key = N_("No unit with the key {target}. Send /bind office, /bind leaders or /bind UNIT.")


@dataclass(frozen=True)
class BoundGroup:
    """A group and what it is bound to, as messages and the console show it."""

    id: int
    chat_id: int
    title: str
    kind: GroupKind
    unit_id: int | None
    unit_name: str | None
    broken: bool


@dataclass(frozen=True)
class GroupChat:
    """The Telegram group being bound: its id, title, and whether it is a forum (topics on)."""

    chat_id: int
    title: str
    forum: bool = False


@dataclass(frozen=True)
class GroupLinkIssued:
    target: Target
    unit_name: str | None
    link: str


def group_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?startgroup={token}"


async def _bound(session: AsyncSession, group: WorkGroup) -> BoundGroup:
    unit = await session.get(Unit, group.unit_id) if group.unit_id is not None else None
    return BoundGroup(
        group.id,
        group.chat_id,
        group.title,
        GroupKind(group.kind),
        group.unit_id,
        unit.name if unit else None,
        group.broken_at is not None,
    )


async def _unit_name(session: AsyncSession, unit_id: int | None) -> str | None:
    unit = await session.get(Unit, unit_id) if unit_id is not None else None
    return unit.name if unit else None


async def issue_links(rt: Runtime, actor: Actor, bot_username: str) -> list[GroupLinkIssued]:
    """A fresh one-time link for each thing ``actor`` may bind a group to."""
    now = rt.clock.now()
    lifetime = timedelta(hours=rt.policy.groups.link_hours)
    async with rt.db.session() as session:
        unit_ids = list(
            await session.scalars(select(Unit.id).where(Unit.active).order_by(Unit.position))
        )
        issued = []
        for target in targets_for(actor, unit_ids):
            token = secrets.token_urlsafe(18)
            session.add(
                GroupLink(
                    person_id=actor.person_id,
                    token_hash=hash_token(token),
                    kind=target.kind,
                    unit_id=target.unit_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            name = await _unit_name(session, target.unit_id)
            issued.append(GroupLinkIssued(target, name, group_link(bot_username, token)))
        await session.commit()
    return issued


async def _check_free(session: AsyncSession, rt: Runtime, chat_id: int, target: Target) -> None:
    """One group, one binding; one live group per unit, office and leaders. A broken binding
    (the bot was removed) gives way to the new one."""
    existing = await session.scalar(select(WorkGroup).where(WorkGroup.chat_id == chat_id))
    if existing is not None and existing.broken_at is None:
        bound = await _bound(session, existing)
        raise GroupTaken(what=texts.what(rt.text(None), bound.kind, bound.unit_name))
    holder = await session.scalar(
        select(WorkGroup).where(
            WorkGroup.kind == target.kind,
            WorkGroup.unit_id.is_(None)
            if target.unit_id is None
            else WorkGroup.unit_id == target.unit_id,
        )
    )
    if holder is not None and holder.broken_at is None:
        what = texts.what(rt.text(None), target.kind, await _unit_name(session, target.unit_id))
        raise TargetTaken(what=what, title=holder.title)
    for stale in dict.fromkeys(g for g in (existing, holder) if g is not None):
        await _drop(session, stale, commit=False)


async def _bind(
    session: AsyncSession,
    rt: Runtime,
    person_id: int,
    chat: GroupChat,
    target: Target,
) -> BoundGroup:
    await _check_free(session, rt, chat.chat_id, target)
    group = WorkGroup(
        chat_id=chat.chat_id,
        title=chat.title[:255],
        forum=chat.forum,
        kind=target.kind,
        unit_id=target.unit_id,
        bound_by_id=person_id,
        bound_at=rt.clock.now(),
    )
    session.add(group)
    await session.flush()
    bound = await _bound(session, group)
    await session.commit()
    return bound


_LINK_REFUSALS = Refusals(GroupLinkUnknown, GroupLinkUsed, GroupLinkExpired)


async def bind_by_link(
    rt: Runtime, token: str, telegram_user_id: int, chat: GroupChat
) -> BoundGroup:
    """Bind the group a one-time link was used in to what the link was made for."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        link = await open_link(session, GroupLink, token, now, _LINK_REFUSALS)
        person = await session.get_one(Person, link.person_id)
        if person.telegram_user_id != telegram_user_id or not person.active:
            raise GroupLinkNotYours(name=person.name)
        actor = await load_actor(session, person)
        target = Target(GroupKind(link.kind), link.unit_id)
        if not may_bind(actor, target):
            raise NotAllowedToBind()
        await claim_link(session, link, now, _LINK_REFUSALS)
        return await _bind(session, rt, person.id, chat, target)


async def check_link_token(rt: Runtime, token: str) -> None:
    """A group link used where it cannot bind (a private chat): say so, if it is one."""
    async with rt.db.session() as session:
        if await session.scalar(
            select(GroupLink.id).where(GroupLink.token_hash == hash_token(token))
        ):
            raise GroupLinkInPrivate()


async def _target(session: AsyncSession, actor: Actor, word: str | None) -> Target:
    """``office``, ``leaders`` or a unit's key; none given: the unit ``actor`` heads."""
    if word is None:
        if not actor.is_office and len(actor.head_of) == 1:
            return Target(GroupKind.UNIT, next(iter(actor.head_of)))
        raise UnknownTarget(target="")
    if word.lower() == OFFICE_WORD:
        return Target(GroupKind.OFFICE)
    if word.lower() == LEADERS_WORD:
        return Target(GroupKind.LEADERS)
    unit_id = await session.scalar(select(Unit.id).where(Unit.key == word, Unit.active))
    if unit_id is None:
        raise UnknownTarget(target=word)
    return Target(GroupKind.UNIT, unit_id)


async def bind(rt: Runtime, telegram_user_id: int, chat: GroupChat, word: str | None) -> BoundGroup:
    """/bind in a group: bind it to ``word`` if the sender may."""
    async with rt.db.session() as session:
        actor = await actor_by_telegram(session, telegram_user_id)
        if actor is None or not (actor.is_office or actor.head_of):
            raise NotAllowedToBind()
        target = await _target(session, actor, word)
        if not may_bind(actor, target):
            raise NotAllowedToBind()
        return await _bind(session, rt, actor.person_id, chat, target)


async def _drop(session: AsyncSession, group: WorkGroup, *, commit: bool = True) -> BoundGroup:
    """Forget a binding; what is still queued for the group is cancelled with it."""
    bound = await _bound(session, group)
    ids = await lock_notifications(session, Notification.group_id == group.id)
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(status=NotificationStatus.CANCELLED, claimed_until=None)
    )
    await session.execute(
        update(Notification).where(Notification.id.in_(ids)).values(group_id=None)
    )
    await session.delete(group)
    await session.flush()
    if commit:
        await session.commit()
    return bound


async def unbind(rt: Runtime, telegram_user_id: int, chat_id: int) -> BoundGroup:
    """/unbind in a group, by someone who could have bound it."""
    async with rt.db.session() as session:
        group = await session.scalar(select(WorkGroup).where(WorkGroup.chat_id == chat_id))
        if group is None:
            raise NotBound()
        actor = await actor_by_telegram(session, telegram_user_id)
        if actor is None or not may_bind(actor, Target(GroupKind(group.kind), group.unit_id)):
            raise NotAllowedToBind()
        return await _drop(session, group)


async def unbind_by_id(rt: Runtime, group_id: int) -> BoundGroup:
    """The console's undo (an office member is signed in)."""
    async with rt.db.session() as session:
        group = await session.get(WorkGroup, group_id)
        if group is None:
            raise NotBound()
        return await _drop(session, group)


async def groups(rt: Runtime) -> list[BoundGroup]:
    """Every bound group, for the console."""
    async with rt.db.session() as session:
        found = await session.scalars(select(WorkGroup).order_by(WorkGroup.id))
        return [await _bound(session, group) for group in found]


async def group_of_chat(rt: Runtime, chat_id: int) -> BoundGroup | None:
    async with rt.db.session() as session:
        group = await session.scalar(select(WorkGroup).where(WorkGroup.chat_id == chat_id))
        return await _bound(session, group) if group is not None else None


async def may_add_bot(rt: Runtime, telegram_user_id: int) -> bool:
    """Whether the person adding the bot to a group could bind it (else the bot leaves)."""
    async with rt.db.session() as session:
        actor = await actor_by_telegram(session, telegram_user_id)
        return actor is not None and bool(actor.is_office or actor.head_of)


async def mark_broken(rt: Runtime, chat_id: int) -> BoundGroup | None:
    """The bot was removed or blocked in a group: its binding is broken, the office is told,
    and what was queued for the group goes to its people privately."""
    async with rt.db.session() as session:
        group = await session.scalar(
            select(WorkGroup).where(WorkGroup.chat_id == chat_id).with_for_update()
        )
        if group is None or group.broken_at is not None:
            return None
        await lose(rt, session, group)
        bound = await _bound(session, group)
        await session.commit()
    rt.wake_outbox()
    return bound


async def lose(rt: Runtime, session: AsyncSession, group: WorkGroup) -> None:
    """Mark ``group`` broken, fall back to private messages for what it had queued, and tell
    the office (in the caller's unit of work)."""
    now = rt.clock.now()
    group.broken_at = now
    queued = list(
        await session.scalars(
            select(Notification).where(
                Notification.group_id == group.id, Notification.status == PENDING
            )
        )
    )
    await fall_back(session, group, queued, now)
    bound = await _bound(session, group)
    for person in await office_people(session):
        t = rt.text(person.locale)
        await enqueue(
            session,
            key=f"group_lost|group:{group.id}|{now.isoformat()}|office:{person.id}",
            person_id=person.id,
            kind=OFFICE_ALERT,
            text=texts.lost(t, texts.what(t, bound.kind, bound.unit_name), group.title),
            not_before=now,
            created_at=now,
        )


async def migrate(rt: Runtime, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup with a new id: the binding (and what is queued) follows."""
    async with rt.db.session() as session:
        group = await session.scalar(
            select(WorkGroup).where(WorkGroup.chat_id == old_chat_id).with_for_update()
        )
        if group is None:
            return False
        group.chat_id = new_chat_id
        await session.commit()
    rt.wake_outbox()
    return True
