"""Who is acting and what they may do: the bot's command menu by role, and who may see an
item, report on it, write an instruction on it or order the leaders' measures on it. The
services check every action again with these rules; the menu only shows what a person will
be allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """A person with their roster roles and their place in the units."""

    person_id: int
    key: str
    name: str
    roles: frozenset[Role]
    head_of: frozenset[int]
    contact_of: frozenset[int]
    leads: frozenset[int]
    locale: str | None
    chat_id: int | None

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_office(self) -> bool:
        return Role.SUPERVISOR in self.roles

    @property
    def units(self) -> frozenset[int]:
        """Units this person works for (as head or contact)."""
        return self.head_of | self.contact_of


# --- the command menu -------------------------------------------------------------------------

# Commands in menu order, with the roles that see them (None: every person who joined).
COMMAND_ROLES: dict[str, frozenset[Role] | None] = {
    "items": None,
    "item": None,
    "report": frozenset({Role.UNIT_CONTACT, Role.UNIT_HEAD}),
    "overdue": frozenset({Role.SUPERVISOR, Role.PRINCIPAL, Role.DEPUTY, Role.UNIT_HEAD}),
    "new": frozenset({Role.SUPERVISOR}),
    "stats": frozenset({Role.SUPERVISOR, Role.PRINCIPAL, Role.DEPUTY}),
    "bind": frozenset({Role.SUPERVISOR, Role.UNIT_HEAD}),  # work groups (domain.groups)
    "help": None,
    "lang": None,
    "cancel": None,
}

# What anyone may do, joined or not: the public's channel.
PUBLIC_COMMANDS = ("complain", "track", "help", "lang")


def commands_for(roles: Iterable[Role]) -> list[str]:
    have = set(roles)
    return [
        command for command, allowed in COMMAND_ROLES.items() if allowed is None or allowed & have
    ]


# --- an item's people -------------------------------------------------------------------------


def may_view(actor: Actor, leader_id: int | None, unit_ids: set[int]) -> bool:
    """The office, the principal and admins see every item; a leader the items they lead or
    whose units they lead; a unit's head and contacts the items assigned to it."""
    if actor.has(Role.SUPERVISOR, Role.PRINCIPAL, Role.ADMIN):
        return True
    if leader_id == actor.person_id:
        return True
    return bool(unit_ids & (actor.units | actor.leads))


def may_instruct(actor: Actor, leader_id: int | None, unit_ids: set[int]) -> bool:
    """The principal on any item; a deputy on the items they lead or whose units they lead."""
    if actor.has(Role.PRINCIPAL):
        return True
    if not actor.has(Role.DEPUTY):
        return False
    return leader_id == actor.person_id or bool(unit_ids & actor.leads)


def may_urge(actor: Actor, leader_id: int | None, unit_ids: set[int]) -> bool:
    """督办: the item's leader, a deputy leading one of its units, the principal, the office."""
    return (
        actor.person_id == leader_id
        or actor.has(Role.PRINCIPAL)
        or actor.is_office
        or (actor.has(Role.DEPUTY) and bool(unit_ids & actor.leads))
    )


def may_order(actor: Actor) -> bool:
    """约谈 and 通报批评: the principal, or the office on their behalf."""
    return actor.has(Role.PRINCIPAL) or actor.is_office


def may_report(actor: Actor, unit_ids: set[int]) -> bool:
    """A head or contact of one of the item's units."""
    return bool(unit_ids & actor.units)


def own_unit(actor: Actor, unit_ids: Sequence[int]) -> int | None:
    """The unit the actor reports for among the item's units, in the item's order: one they
    are a contact of first, else one they head; None when they are neither."""
    for unit_id in unit_ids:
        if unit_id in actor.contact_of:
            return unit_id
    for unit_id in unit_ids:
        if unit_id in actor.head_of:
            return unit_id
    return None
