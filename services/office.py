"""Who the supervision office (督办室) is: the active supervisors, who hear what needs them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.vocabulary import Role
from storage.models import Person, PersonRole


async def supervisors(session: AsyncSession) -> list[Person]:
    """The active supervisors, in the order they were added to the roster."""
    return list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.SUPERVISOR, Person.active)
            .order_by(Person.id)
        )
    )
