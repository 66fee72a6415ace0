"""Who is told (DESIGN §3): reminders and ladder levels resolved to people, from plain facts."""

from __future__ import annotations

from domain.policy import Policy, Recipient
from domain.recipients import (
    Addressee,
    Audience,
    Directory,
    NamedPerson,
    UnitContacts,
    deputy_leader_id,
    level_recipients,
    names_told,
    reminder_recipients,
)

LADDER = Policy().ladder
DEPUTY = Addressee(1, "Deputy", None, Recipient.DEPUTY_LEADER)
PRINCIPAL = Addressee(2, "Principal", "en", Recipient.PRINCIPAL)
OFFICE = Addressee(3, "Office", None, Recipient.OFFICE)
PEOPLE = Directory(office=[OFFICE], principals=[PRINCIPAL])


def contact(pid: int) -> Addressee:
    return Addressee(pid, f"contact {pid}", None, Recipient.UNIT_CONTACT)


def head(pid: int) -> Addressee:
    return Addressee(pid, f"head {pid}", None, Recipient.UNIT_HEAD)


def unit(
    unit_id: int,
    contacts: tuple[Addressee, ...],
    head: Addressee | None,
    *,
    open: bool = True,
    leader_id: int | None = None,
) -> UnitContacts:
    return UnitContacts(
        assignment_id=unit_id + 100,
        unit_id=unit_id,
        name=f"unit {unit_id}",
        open=open,
        acknowledged=True,
        head=head,
        contacts=contacts,
        leader_id=leader_id,
    )


def told(
    level: int, leader: Addressee | None, units: list[UnitContacts]
) -> list[tuple[int, int | None, bool, Audience]]:
    roles = LADDER.levels[level - 1].recipients
    return [
        (r.person.id, r.unit.unit_id if r.unit else None, r.can_act, r.audience)
        for r in level_recipients(roles, leader, PEOPLE, units)
    ]


def test_a_reminder_goes_to_the_units_people_in_its_roles_each_once() -> None:
    both = unit(1, (contact(10), contact(11)), head(10))  # the head is also a contact
    roles = (Recipient.UNIT_CONTACT, Recipient.UNIT_HEAD)
    assert [p.id for p in reminder_recipients(roles, both)] == [10, 11]
    assert [p.id for p in reminder_recipients((Recipient.UNIT_HEAD,), both)] == [10]
    assert reminder_recipients((Recipient.UNIT_HEAD,), unit(2, (contact(12),), None)) == []
    assert reminder_recipients((Recipient.OFFICE,), both) == []


def test_level_one_the_deputy_leader_acts_and_the_office_is_informed() -> None:
    units = [unit(1, (contact(10),), head(11))]
    assert told(1, DEPUTY, units) == [
        (1, None, True, Audience.LEADER),
        (3, None, False, Audience.OFFICE),
    ]


def test_without_a_leader_to_tell_the_office_can_act() -> None:
    assert told(1, None, []) == [(3, None, True, Audience.LEADER)]


def test_level_two_tells_each_open_units_people_once_per_unit() -> None:
    shared = contact(10)  # a contact of two units is told for each
    units = [
        unit(1, (shared,), head(11)),
        unit(2, (shared, contact(12), contact(12)), None),
        unit(3, (contact(13),), head(14), open=False),
    ]
    assert told(2, DEPUTY, units) == [
        (11, 1, False, Audience.UNIT),
        (10, 1, False, Audience.UNIT),
        (10, 2, False, Audience.UNIT),
        (12, 2, False, Audience.UNIT),
        (3, None, True, Audience.LEADER),
    ]


def test_level_three_the_principal_acts() -> None:
    assert told(3, DEPUTY, []) == [
        (2, None, True, Audience.LEADER),
        (3, None, False, Audience.OFFICE),
    ]


def test_the_names_told_leave_out_the_office_and_repeats() -> None:
    units = [unit(1, (contact(10),), None), unit(2, (contact(10),), None)]
    roles = (Recipient.DEPUTY_LEADER, Recipient.UNIT_CONTACT, Recipient.OFFICE)
    recipients = level_recipients(roles, DEPUTY, PEOPLE, units)
    assert names_told(recipients) == ("Deputy", "contact 10")


def test_the_items_deputy_leader_is_its_own_else_its_lead_units() -> None:
    lead = unit(1, (), None, leader_id=7)
    co = unit(2, (), None, leader_id=8)
    assert deputy_leader_id(5, [lead, co]) == 5
    assert deputy_leader_id(None, [lead, co]) == 7
    assert deputy_leader_id(None, []) is None


def test_someone_no_longer_active_is_not_addressed() -> None:
    active = NamedPerson(4, "p4", "Four", "en", active=True)
    assert active.addressed_as(Recipient.UNIT_HEAD) == Addressee(
        4, "Four", "en", Recipient.UNIT_HEAD
    )
    gone = NamedPerson(5, "p5", "Five", None, active=False)
    assert gone.addressed_as(Recipient.UNIT_HEAD) is None
