"""Who is told about an item: the supervision office, a unit's contacts and head, and every
person of the item's units. Only active people are told."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from domain.vocabulary import Role
from storage.models import Assignment, Person, PersonRole, Unit, UnitContact


async def _active_linked(
    session: AsyncSession,
    link: type[PersonRole] | type[UnitContact],
    where: ColumnElement[bool],
    order_by: InstrumentedAttribute[int],
) -> list[Person]:
    """The active people that ``link`` rows matching ``where`` name, in ``order_by``'s order."""
    query = select(Person).join(link, link.person_id == Person.id).where(where, Person.active)
    return list(await session.scalars(query.order_by(order_by)))


async def role_people(session: AsyncSession, role: Role) -> list[Person]:
    """Every active person with a roster role."""
    return await _active_linked(session, PersonRole, PersonRole.role == role, Person.id)


async def office_people(session: AsyncSession) -> list[Person]:
    """The supervision office: every active supervisor."""
    return await role_people(session, Role.SUPERVISOR)


async def unit_contacts(session: AsyncSession, unit_id: int) -> list[Person]:
    """A unit's active contacts, in the roster's order."""
    where = UnitContact.unit_id == unit_id
    return await _active_linked(session, UnitContact, where, UnitContact.position)


async def unit_people(session: AsyncSession, unit_id: int) -> list[Person]:
    """A unit's contacts, then its head."""
    people = await unit_contacts(session, unit_id)
    unit = await session.get_one(Unit, unit_id)
    if unit.head_id is not None and unit.head_id not in {p.id for p in people}:
        head = await session.get(Person, unit.head_id)
        if head is not None and head.active:
            people.append(head)
    return people


async def item_people(session: AsyncSession, item_id: int) -> list[Person]:
    """Every assigned unit's contacts and head, each once."""
    seen: dict[int, Person] = {}
    for unit_id in await session.scalars(
        select(Assignment.unit_id).where(Assignment.item_id == item_id).order_by(Assignment.id)
    ):
        for person in await unit_people(session, unit_id):
            seen.setdefault(person.id, person)
    return list(seen.values())


async def item_and_office_people(session: AsyncSession, item_id: int) -> list[Person]:
    """The item's units' people, then the office's supervisors not among them."""
    people = await item_people(session, item_id)
    known = {p.id for p in people}
    return people + [p for p in await office_people(session) if p.id not in known]
