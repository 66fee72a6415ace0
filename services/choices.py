"""What people choose from: the active units (with their people) and the leaders.

The /new conversation and the API offer these when an item is registered; the complaint
channel offers the units as places and, to the office, as lead units.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.vocabulary import Role
from services.runtime import Runtime
from storage.models import Person, PersonRole, Unit, UnitContact


@dataclass(frozen=True)
class UnitWithPeople:
    """A unit and its people, by roster key: its leader (and the leader's name), head, contacts."""

    key: str
    name: str
    leader: str | None
    leader_name: str | None
    head: str | None
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class UnitChoice:
    id: int
    key: str
    name: str


@dataclass(frozen=True)
class LeaderChoice:
    key: str
    name: str
    principal: bool


async def _active_units(session: AsyncSession) -> list[Unit]:
    """The active units in roster order."""
    return list(
        await session.scalars(select(Unit).where(Unit.active).order_by(Unit.position, Unit.id))
    )


async def list_units(rt: Runtime) -> list[UnitWithPeople]:
    """Active units in roster order, with their leader, head and contacts by key."""
    async with rt.db.session() as session:
        units = await _active_units(session)
        people = {
            pid: (key, name)
            for pid, key, name in await session.execute(select(Person.id, Person.key, Person.name))
        }
        contacts: dict[int, list[str]] = {}
        rows = await session.execute(
            select(UnitContact.unit_id, UnitContact.person_id).order_by(
                UnitContact.unit_id, UnitContact.position
            )
        )
        for unit_id, person_id in rows:
            contacts.setdefault(unit_id, []).append(people[person_id][0])
    return [
        UnitWithPeople(
            key=unit.key,
            name=unit.name,
            leader=people[unit.leader_id][0] if unit.leader_id else None,
            leader_name=people[unit.leader_id][1] if unit.leader_id else None,
            head=people[unit.head_id][0] if unit.head_id else None,
            contacts=tuple(contacts.get(unit.id, ())),
        )
        for unit in units
    ]


async def list_leaders(rt: Runtime) -> list[LeaderChoice]:
    """Who can be an item's responsible leader: deputies, then the principal."""
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Person.key, Person.name, PersonRole.role)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.active, PersonRole.role.in_([Role.DEPUTY, Role.PRINCIPAL]))
            .order_by(Person.id)
        )
        found: dict[str, LeaderChoice] = {}
        for key, name, role in rows:
            principal = role == Role.PRINCIPAL or (key in found and found[key].principal)
            found[key] = LeaderChoice(key, name, principal)
    return sorted(found.values(), key=lambda leader: leader.principal)


async def unit_choices(rt: Runtime) -> list[UnitChoice]:
    """The county's units, in roster order: the places a complaint can name, the lead units."""
    async with rt.db.session() as session:
        return [UnitChoice(u.id, u.key, u.name) for u in await _active_units(session)]
