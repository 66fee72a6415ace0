"""Who is told (DESIGN §3): the policy's recipients (a role: contact, unit head, deputy leader,
principal leader, office) resolved to people, from plain facts about an item's units and people.

- A reminder goes to the unit's people in the occasion's roles, each person once.
- A ladder level tells the item's people (its deputy leader, the principal leaders, the office)
  once, and each open unit's head and contacts once per unit. The leaders told can act from the
  message; the office can too, but only when no leader is told.
- The item's deputy leader is its own, else its lead unit's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.policy import Recipient
from domain.vocabulary import ReportKind

LEADERS = frozenset({Recipient.DEPUTY_LEADER, Recipient.PRINCIPAL})


@dataclass(frozen=True, slots=True)
class Addressee:
    """A person a message goes to, and the role they receive it in; or a work group
    (``group_id`` set, ``id`` 0), which receives it for the people of ``role``."""

    id: int
    name: str
    locale: str | None
    role: Recipient
    group_id: int | None = None


def person_ids(told: Sequence[Addressee]) -> list[int]:
    """The people among ``told`` (work groups left out)."""
    return [a.id for a in told if a.group_id is None]


def group_ids(told: Sequence[Addressee]) -> list[int]:
    return [a.group_id for a in told if a.group_id is not None]


@dataclass(frozen=True, slots=True)
class NamedPerson:
    """A person as messages name them, active or not."""

    id: int
    key: str
    name: str
    locale: str | None
    active: bool

    def addressed_as(self, role: Recipient) -> Addressee | None:
        """As a recipient in ``role``; None when they are no longer active."""
        return Addressee(self.id, self.name, self.locale, role) if self.active else None


@dataclass(frozen=True, slots=True)
class UnitContacts:
    """One unit's share of an item (its assignment) and the people told there: its active
    contacts and its head."""

    assignment_id: int
    unit_id: int
    name: str
    open: bool  # its share is not completed
    acknowledged: bool
    head: Addressee | None
    contacts: tuple[Addressee, ...]
    leader_id: int | None = None  # the unit's deputy leader
    reports: tuple[tuple[ReportKind, datetime], ...] = ()  # the share's reports, oldest first

    def people(self, role: Recipient) -> list[Addressee]:
        if role is Recipient.UNIT_CONTACT:
            return list(self.contacts)
        if role is Recipient.UNIT_HEAD:
            return [self.head] if self.head is not None else []
        return []


@dataclass
class Directory:
    """The office and the principal leaders."""

    office: list[Addressee] = field(default_factory=list)
    principals: list[Addressee] = field(default_factory=list)


def deputy_leader_id(item_leader_id: int | None, units: Sequence[UnitContacts]) -> int | None:
    """The item's deputy leader: its own, else its lead unit's (``units`` lead first)."""
    if item_leader_id is not None:
        return item_leader_id
    return units[0].leader_id if units else None


def reminder_recipients(roles: Sequence[Recipient], unit: UnitContacts) -> list[Addressee]:
    """The unit's people in ``roles``, in role order, each person once."""
    recipients: list[Addressee] = []
    for role in roles:
        for person in unit.people(role):
            if person.id not in {r.id for r in recipients}:
                recipients.append(person)
    return recipients


def item_people(
    roles: Sequence[Recipient], leader: Addressee | None, people: Directory
) -> list[Addressee]:
    """The item's people in ``roles`` (its deputy leader, the principal leaders, the office),
    in role order, each person once; unit roles name nobody here."""
    found: list[Addressee] = []
    for role in roles:
        if role is Recipient.DEPUTY_LEADER and leader is not None:
            found.append(leader)
        elif role is Recipient.PRINCIPAL:
            found += people.principals
        elif role is Recipient.OFFICE:
            found += people.office
    unique: list[Addressee] = []
    for person in found:
        if person.id not in {u.id for u in unique}:
            unique.append(person)
    return unique


class Audience(StrEnum):
    """Whom an escalation message speaks to."""

    UNIT = "unit"  # must act
    LEADER = "leader"  # can act
    OFFICE = "office"  # informed


@dataclass(frozen=True, slots=True)
class LevelRecipient:
    """One person told at a ladder level."""

    person: Addressee
    unit: UnitContacts | None  # None: told once for the item
    can_act: bool

    @property
    def audience(self) -> Audience:
        if self.unit is not None:
            return Audience.UNIT
        return Audience.LEADER if self.can_act else Audience.OFFICE


def level_recipients(
    roles: Sequence[Recipient],
    leader: Addressee | None,
    people: Directory,
    units: Sequence[UnitContacts],
) -> list[LevelRecipient]:
    """Who is told at a ladder level whose recipients are ``roles``: item-level people once,
    unit people once per open unit, in role order; ``leader`` is the item's deputy leader."""
    targets: list[tuple[Addressee, UnitContacts | None]] = []
    open_units = [u for u in units if u.open]
    for role in roles:
        if role is Recipient.DEPUTY_LEADER and leader is not None:
            targets.append((leader, None))
        elif role is Recipient.PRINCIPAL:
            targets.extend((p, None) for p in people.principals)
        elif role is Recipient.OFFICE:
            targets.extend((p, None) for p in people.office)
        elif role in (Recipient.UNIT_HEAD, Recipient.UNIT_CONTACT):
            for open_unit in open_units:
                targets.extend((p, open_unit) for p in open_unit.people(role))
    seen: set[tuple[int, int | None]] = set()
    unique: list[tuple[Addressee, UnitContacts | None]] = []
    for person, unit in targets:
        mark = (person.id, unit.unit_id if unit else None)
        if mark not in seen:
            seen.add(mark)
            unique.append((person, unit))
    leaders_here = any(p.role in LEADERS for p, _ in unique)
    return [
        LevelRecipient(
            person,
            unit,
            can_act=person.role in LEADERS
            or (person.role is Recipient.OFFICE and not leaders_here),
        )
        for person, unit in unique
    ]


def names_told(told: Sequence[LevelRecipient]) -> tuple[str, ...]:
    """The names an escalation message lists as told: everyone but the office, each once."""
    return tuple(
        dict.fromkeys(r.person.name for r in told if r.person.role is not Recipient.OFFICE)
    )
