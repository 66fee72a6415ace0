"""Joining by invite, and the small facts people set about themselves."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from domain.errors import DubanError, NotFound
from domain.i18n import N_
from services.actors import Actor, actor_by_telegram, load_actor
from services.one_time_links import Refusals, claim_link, open_link
from services.runtime import Runtime
from services.stored_settings import remember_setting, stored_setting
from storage.models import Invite, Person, Unit, token_row

INVITE_DAYS = 14
BOT_USERNAME = "bot_username"


class InviteUnknown(DubanError):
    key = N_("This invitation code is not valid. Ask the supervision office for a new link.")


class InviteUsed(DubanError):
    key = N_("This invitation has already been used. Ask the supervision office for a new link.")


class InviteExpired(DubanError):
    key = N_("This invitation has expired. Ask the supervision office for a new link.")


class AccountTaken(DubanError):
    key = N_(
        "This Telegram account is already linked to {name}. "
        "Ask the supervision office if that is wrong."
    )


@dataclass(frozen=True)
class IssuedInvite:
    person: str
    name: str
    token: str
    link: str | None


def invite_link(bot_username: str | None, token: str) -> str | None:
    if not bot_username:
        return None
    return f"https://t.me/{bot_username}?start={token}"


async def stored_bot_username(rt: Runtime) -> str | None:
    return await stored_setting(rt, BOT_USERNAME)


async def remember_bot_username(rt: Runtime, username: str) -> None:
    await remember_setting(rt, BOT_USERNAME, username)


async def issue_invites(
    rt: Runtime,
    *,
    bot_username: str | None,
    keys: list[str] | None = None,
    days: int = INVITE_DAYS,
) -> list[IssuedInvite]:
    """Issue a fresh invite to each person not yet bound; earlier unused invites stop working."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        query = select(Person).where(Person.active, Person.telegram_user_id.is_(None))
        if keys:
            known = set(await session.scalars(select(Person.key).where(Person.key.in_(keys))))
            missing = [key for key in keys if key not in known]
            if missing:
                raise NotFound(N_("Unknown person: {keys}"), keys=", ".join(missing))
            query = query.where(Person.key.in_(keys))
        people = list(await session.scalars(query.order_by(Person.id)))
        issued: list[IssuedInvite] = []
        for person in people:
            await session.execute(
                update(Invite)
                .where(
                    Invite.person_id == person.id,
                    Invite.used_at.is_(None),
                    Invite.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            token = secrets.token_urlsafe(18)
            session.add(token_row(Invite, person.id, token, now, timedelta(days=days)))
            issued.append(
                IssuedInvite(person.key, person.name, token, invite_link(bot_username, token))
            )
        await session.commit()
    return issued


_INVITE_REFUSALS = Refusals(InviteUnknown, InviteUsed, InviteExpired)


async def accept_invite(rt: Runtime, token: str, telegram_user_id: int, chat_id: int) -> Actor:
    """Bind a Telegram account to the roster entry the invite was issued for."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        invite = await open_link(session, Invite, token, now, _INVITE_REFUSALS)
        person = await session.get_one(Person, invite.person_id)
        holder = await session.scalar(
            select(Person).where(Person.telegram_user_id == telegram_user_id)
        )
        if holder is not None and holder.id != person.id:
            raise AccountTaken(name=holder.name)
        await claim_link(
            session, invite, now, _INVITE_REFUSALS, used_by_telegram_id=telegram_user_id
        )
        person.telegram_user_id = telegram_user_id
        person.telegram_chat_id = chat_id
        person.bound_at = now
        person.unreachable_at = None
        person.updated_at = now
        await session.commit()
        return await load_actor(session, person)


async def whoami(rt: Runtime, telegram_user_id: int) -> Actor | None:
    async with rt.db.session() as session:
        return await actor_by_telegram(session, telegram_user_id)


async def set_locale(rt: Runtime, telegram_user_id: int, locale: str) -> bool:
    """Remember a bound person's language; False when the user is not bound."""
    async with rt.db.session() as session:
        person = await session.scalar(
            select(Person).where(Person.telegram_user_id == telegram_user_id)
        )
        if person is None:
            return False
        person.locale = locale
        person.updated_at = rt.clock.now()
        await session.commit()
        return True


async def unit_names(rt: Runtime, unit_ids: frozenset[int]) -> list[str]:
    if not unit_ids:
        return []
    async with rt.db.session() as session:
        rows = await session.scalars(
            select(Unit.name).where(Unit.id.in_(unit_ids)).order_by(Unit.position)
        )
        return list(rows)
