"""Loading the roster: people, their roles, and the units with their leader, head and contacts.

Re-importing updates in place by key and never duplicates. The whole file is applied in one
transaction: a problem anywhere leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.roster import Roster
from services.runtime import Runtime
from storage.models import Organisation, Person, PersonRole, Unit, UnitContact


@dataclass(frozen=True)
class RosterSummary:
    people_added: int
    people_updated: int
    units_added: int
    units_updated: int
    people_deactivated: int = 0
    units_deactivated: int = 0


async def import_roster(rt: Runtime, roster: Roster) -> RosterSummary:
    now = rt.clock.now()
    async with rt.db.session() as session:
        existing = {p.key: p for p in await session.scalars(select(Person))}
        people: dict[str, Person] = {}
        added = updated = 0
        for entry in roster.people:
            person = existing.get(entry.key)
            if person is None:
                person = Person(
                    key=entry.key, name=entry.name, active=True, created_at=now, updated_at=now
                )
                session.add(person)
                added += 1
            elif person.name != entry.name or not person.active:
                person.name = entry.name
                person.active = True
                person.updated_at = now
                updated += 1
            people[entry.key] = person
        await session.flush()
        for entry in roster.people:
            changed = await _set_roles(session, people[entry.key], {str(r) for r in entry.roles})
            if changed and existing.get(entry.key) is not None:
                updated += 1

        units = {u.key: u for u in await session.scalars(select(Unit))}
        units_added = units_updated = 0
        for position, unit_entry in enumerate(roster.units):
            leader = people[unit_entry.leader].id if unit_entry.leader else None
            head = people[unit_entry.head].id if unit_entry.head else None
            unit = units.get(unit_entry.key)
            if unit is None:
                unit = Unit(
                    key=unit_entry.key,
                    name=unit_entry.name,
                    leader_id=leader,
                    head_id=head,
                    position=position,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
                session.add(unit)
                units_added += 1
                await session.flush()
            else:
                fields = (unit.name, unit.leader_id, unit.head_id, unit.position, unit.active)
                if fields != (unit_entry.name, leader, head, position, True):
                    unit.name, unit.leader_id, unit.head_id = unit_entry.name, leader, head
                    unit.position, unit.active, unit.updated_at = position, True, now
                    units_updated += 1
            contacts = [people[key].id for key in unit_entry.contacts]
            if await _set_contacts(session, unit.id, contacts) and unit_entry.key in units:
                units_updated += 1
        # The file is the whole roster: whoever it no longer lists can no longer act.
        people_gone = [p for key, p in existing.items() if key not in people and p.active]
        for person in people_gone:
            person.active = False
            person.updated_at = now
        listed_units = {entry.key for entry in roster.units}
        units_gone = [u for key, u in units.items() if key not in listed_units and u.active]
        for unit in units_gone:
            unit.active = False
            unit.updated_at = now
        await _set_organisations(session, roster, people)
        await session.commit()
    return RosterSummary(
        added, updated, units_added, units_updated, len(people_gone), len(units_gone)
    )


async def _set_roles(session: AsyncSession, person: Person, roles: set[str]) -> bool:
    current = set(
        await session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id))
    )
    if current == roles:
        return False
    await session.execute(
        delete(PersonRole).where(PersonRole.person_id == person.id, PersonRole.role.not_in(roles))
    )
    for role in sorted(roles - current):
        session.add(PersonRole(person_id=person.id, role=role))
    return True


async def _set_contacts(session: AsyncSession, unit_id: int, person_ids: list[int]) -> bool:
    rows = list(
        await session.scalars(
            select(UnitContact).where(UnitContact.unit_id == unit_id).order_by(UnitContact.position)
        )
    )
    if [row.person_id for row in rows] == person_ids:
        return False
    for row in rows:
        await session.delete(row)
    await session.flush()
    for position, person_id in enumerate(person_ids):
        session.add(UnitContact(unit_id=unit_id, person_id=person_id, position=position))
    return True


async def _set_organisations(
    session: AsyncSession, roster: Roster, people: dict[str, Person]
) -> None:
    """The bodies copied on notices (通报), as the roster lists them; the others inactive."""
    known = {o.key: o for o in await session.scalars(select(Organisation))}
    for position, entry in enumerate(roster.organisations):
        members = [people[key].id for key in entry.members]
        found = known.get(entry.key)
        if found is None:
            found = Organisation(key=entry.key)
            session.add(found)
        found.name, found.position, found.active = entry.name, position, True
        found.member_ids = members
    listed = {entry.key for entry in roster.organisations}
    for key, organisation in known.items():
        if key not in listed:
            organisation.active = False
