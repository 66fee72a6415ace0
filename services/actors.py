"""Who is acting: the :class:`domain.authority.Actor` of a person, loaded from the roster."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Subquery, literal, null, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import Actor
from domain.vocabulary import Role
from storage.models import Person, PersonRole, Unit, UnitContact

__all__ = ["Actor", "actor_by_telegram", "load_actor"]

_ROLE, _HEAD, _CONTACT, _LEADS = "role", "head", "contact", "leads"

Membership = tuple[str | None, str | None, int | None]  # kind, role, unit


def _memberships(person_id: ColumnElement[int] | int) -> Subquery:
    """The person's roles and the three kinds of unit membership, as (kind, role, unit) rows
    of one ``UNION ALL``."""
    return union_all(
        select(
            literal(_ROLE).label("kind"), PersonRole.role.label("role"), null().label("unit")
        ).where(PersonRole.person_id == person_id),
        select(literal(_HEAD), null(), Unit.id).where(Unit.head_id == person_id, Unit.active),
        select(literal(_CONTACT), null(), UnitContact.unit_id)
        .join(Unit, Unit.id == UnitContact.unit_id)
        .where(UnitContact.person_id == person_id, Unit.active),
        select(literal(_LEADS), null(), Unit.id).where(Unit.leader_id == person_id, Unit.active),
    ).subquery("memberships")


async def load_actor(session: AsyncSession, person: Person) -> Actor:
    memberships = _memberships(person.id)
    return _actor(person, (tuple(row) for row in await session.execute(select(memberships))))


async def actor_by_telegram(session: AsyncSession, telegram_user_id: int) -> Actor | None:
    """The bound, active person's actor, in one statement (this runs for every update a person
    sends): the person's row once per membership, or once with none."""
    bound = (Person.telegram_user_id == telegram_user_id, Person.active)
    memberships = _memberships(select(Person.id).where(*bound).scalar_subquery())
    rows = (
        await session.execute(
            select(Person, memberships.c.kind, memberships.c.role, memberships.c.unit)
            .outerjoin(memberships, true())
            .where(*bound)
        )
    ).all()
    if not rows:
        return None
    return _actor(rows[0][0], ((kind, role, unit) for _, kind, role, unit in rows))


def _actor(person: Person, memberships: Iterable[Membership]) -> Actor:
    roles: set[Role] = set()
    units: dict[str, set[int]] = {_HEAD: set(), _CONTACT: set(), _LEADS: set()}
    for kind, role, unit in memberships:
        if role is not None:
            roles.add(Role(role))
        elif kind is not None and unit is not None:
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
