"""The people reminders, the ladder and the leaders' measures are sent to and name, read in a
few queries however many items: the office and the principal leaders, people by id, and each
item's units with their active contacts and head."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.policy import Recipient
from domain.recipients import Addressee, Directory, NamedPerson, UnitContacts
from domain.records import ShareRecord
from domain.vocabulary import AssignmentStatus, Role
from services.chases import share_reports
from services.sweep_rows import SHARE_COLUMNS, SHARES, SweptShare
from storage.models import Item, Person, PersonRole, Unit, UnitContact


async def role_holders(session: AsyncSession, role: Role, as_: Recipient) -> list[Addressee]:
    rows = await session.execute(
        select(Person.id, Person.name, Person.locale)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == str(role), Person.active)
        .order_by(Person.id)
    )
    return [Addressee(pid, name, locale, as_) for pid, name, locale in rows]


async def directory(session: AsyncSession) -> Directory:
    """The office and the principal leaders (active ones)."""
    return Directory(
        office=await role_holders(session, Role.SUPERVISOR, Recipient.OFFICE),
        principals=await role_holders(session, Role.PRINCIPAL, Recipient.PRINCIPAL),
    )


async def people_by_id(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, NamedPerson]:
    wanted = {person_id for person_id in ids if person_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.key, Person.name, Person.locale, Person.active).where(
            Person.id.in_(wanted)
        )
    )
    return {
        pid: NamedPerson(pid, key, name, locale, bool(active))
        for pid, key, name, locale, active in rows
    }


@dataclass(frozen=True)
class ItemUnits:
    """An item's units as loaded, the lead first, then co-units in order: each one's people,
    and the (assignment, unit key, unit name) rows the item's view is built from."""

    units: list[UnitContacts]
    rows: list[tuple[ShareRecord, str, str]]


async def load_units(session: AsyncSession, item_ids: Collection[int]) -> dict[int, ItemUnits]:
    """Each item's units with their active contacts, head and reports: four queries however
    many items there are."""
    if not item_ids:
        return {}
    found = await session.execute(
        select(*SHARE_COLUMNS, Unit.key, Unit.name, Unit.head_id, Unit.leader_id)
        .join(Unit, Unit.id == SHARES.c.unit_id)
        .where(SHARES.c.item_id.in_(item_ids))
        .order_by(SHARES.c.item_id, SHARES.c.role.desc(), SHARES.c.id)
    )
    width = len(SHARE_COLUMNS)
    rows = [(SweptShare(*row[:width]), *row[width:]) for row in found]
    contacts = await _unit_contacts(session, {row[0].unit_id for row in rows})
    heads = await people_by_id(session, (row[3] for row in rows))
    reports = await share_reports(session, [row[0].id for row in rows])
    loaded: dict[int, ItemUnits] = {item_id: ItemUnits([], []) for item_id in item_ids}
    for assignment, key, name, head_id, leader_id in rows:
        head = heads.get(head_id) if head_id is not None else None
        of_item = loaded[assignment.item_id]
        of_item.rows.append((assignment, key, name))
        of_item.units.append(
            UnitContacts(
                assignment_id=assignment.id,
                unit_id=assignment.unit_id,
                name=name,
                open=assignment.status != AssignmentStatus.COMPLETED,
                acknowledged=assignment.acknowledged_at is not None,
                head=head.addressed_as(Recipient.UNIT_HEAD) if head is not None else None,
                contacts=tuple(contacts.get(assignment.unit_id, ())),
                leader_id=leader_id,
                reports=reports.get(assignment.id, ()),
            )
        )
    return loaded


async def _unit_contacts(session: AsyncSession, unit_ids: set[int]) -> dict[int, list[Addressee]]:
    """Each unit's active contacts, in order."""
    contacts: dict[int, list[Addressee]] = {}
    if not unit_ids:
        return contacts
    found = await session.execute(
        select(UnitContact.unit_id, Person.id, Person.name, Person.locale)
        .join(Person, Person.id == UnitContact.person_id)
        .where(UnitContact.unit_id.in_(unit_ids), Person.active)
        .order_by(UnitContact.unit_id, UnitContact.position)
    )
    for unit_id, pid, name, locale in found:
        contacts.setdefault(unit_id, []).append(
            Addressee(pid, name, locale, Recipient.UNIT_CONTACT)
        )
    return contacts


async def item_units(session: AsyncSession, item: Item) -> list[UnitContacts]:
    """One item's units, the lead first, with their active contacts and head."""
    return (await load_units(session, [item.id]))[item.id].units
