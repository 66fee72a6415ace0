"""Who is acting: the :class:`domain.authority.Actor` of a person, loaded from the roster."""

from __future__ import annotations

from sqlalchemy import CompoundSelect, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import Actor
from domain.vocabulary import Role
from storage.models import Person, PersonRole, Unit, UnitContact

__all__ = ["Actor", "actor_by_telegram", "load_actor"]

_ROLE, _HEAD, _CONTACT, _LEADS = "role", "head", "contact", "leads"


async def load_actor(session: AsyncSession, person: Person) -> Actor:
    # One round trip for the roles and the three kinds of unit membership (this runs for
    # every update a person sends).
    memberships: CompoundSelect[str, str | None, int | None] = union_all(
        select(
            literal(_ROLE).label("kind"), PersonRole.role.label("role"), null().label("unit")
        ).where(PersonRole.person_id == person.id),
        select(literal(_HEAD), null(), Unit.id).where(Unit.head_id == person.id, Unit.active),
        select(literal(_CONTACT), null(), UnitContact.unit_id)
        .join(Unit, Unit.id == UnitContact.unit_id)
        .where(UnitContact.person_id == person.id, Unit.active),
        select(literal(_LEADS), null(), Unit.id).where(Unit.leader_id == person.id, Unit.active),
    )
    roles: set[Role] = set()
    units: dict[str, set[int]] = {_HEAD: set(), _CONTACT: set(), _LEADS: set()}
    for kind, role, unit in await session.execute(memberships):
        if role is not None:
            roles.add(Role(role))
        elif unit is not None:
            units[kind].add(unit)
    head_of, contact_of, leads = units[_HEAD], units[_CONTACT], units[_LEADS]
    if head_of:
        roles.add(Role.UNIT_HEAD)
    if contact_of:
        roles.add(Role.UNIT_CONTACT)
    return Actor(
        person_id=person.id,
        key=person.key,
        name=person.name,
        roles=frozenset(roles),
        head_of=frozenset(head_of),
        contact_of=frozenset(contact_of),
        leads=frozenset(leads),
        locale=person.locale,
        chat_id=person.telegram_chat_id,
    )


async def actor_by_telegram(session: AsyncSession, telegram_user_id: int) -> Actor | None:
    person = await session.scalar(
        select(Person).where(Person.telegram_user_id == telegram_user_id, Person.active)
    )
    if person is None:
        return None
    return await load_actor(session, person)
