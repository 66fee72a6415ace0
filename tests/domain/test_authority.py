"""Who may see an item, report on it and write an instruction on it (no I/O)."""

from __future__ import annotations

from domain.authority import (
    Actor,
    may_instruct,
    may_order,
    may_report,
    may_urge,
    may_view,
    own_unit,
)
from domain.vocabulary import Role

ME = 7
EDU, HEALTH, WATER = 1, 2, 3


def person(
    *roles: Role,
    head_of: set[int] | None = None,
    contact_of: set[int] | None = None,
    leads: set[int] | None = None,
) -> Actor:
    return Actor(
        person_id=ME,
        key="p",
        name="某人",
        roles=frozenset(roles),
        head_of=frozenset(head_of or ()),
        contact_of=frozenset(contact_of or ()),
        leads=frozenset(leads or ()),
        locale=None,
        chat_id=None,
    )


def test_the_office_the_principal_and_admins_see_every_item() -> None:
    for role in (Role.SUPERVISOR, Role.PRINCIPAL, Role.ADMIN):
        assert may_view(person(role), None, set())


def test_a_leader_sees_the_items_they_lead_or_whose_units_they_lead() -> None:
    deputy = person(Role.DEPUTY, leads={EDU})
    assert may_view(deputy, ME, {WATER})
    assert may_view(deputy, None, {EDU, HEALTH})
    assert not may_view(deputy, 99, {HEALTH})


def test_a_unit_sees_the_items_assigned_to_it() -> None:
    assert may_view(person(contact_of={EDU}), None, {EDU})
    assert may_view(person(head_of={HEALTH}), None, {EDU, HEALTH})
    assert not may_view(person(contact_of={EDU}), None, {HEALTH})


def test_the_principal_instructs_on_any_item_a_deputy_on_their_own() -> None:
    assert may_instruct(person(Role.PRINCIPAL), None, set())
    deputy = person(Role.DEPUTY, leads={EDU})
    assert may_instruct(deputy, ME, {WATER})
    assert may_instruct(deputy, None, {EDU})
    assert not may_instruct(deputy, 99, {WATER})


def test_the_office_and_units_do_not_instruct() -> None:
    assert not may_instruct(person(Role.SUPERVISOR), None, {EDU})
    assert not may_instruct(person(head_of={EDU}, leads={EDU}), ME, {EDU})


def test_a_head_or_contact_of_one_of_the_units_may_report() -> None:
    assert may_report(person(contact_of={EDU}), {EDU, HEALTH})
    assert may_report(person(head_of={HEALTH}), {EDU, HEALTH})
    assert not may_report(person(Role.SUPERVISOR, leads={EDU}), {EDU})


def test_own_unit_prefers_a_unit_one_is_contact_of_then_one_one_heads() -> None:
    both = person(head_of={EDU}, contact_of={HEALTH})
    assert own_unit(both, [EDU, HEALTH]) == HEALTH
    assert own_unit(person(head_of={EDU, HEALTH}), [HEALTH, EDU]) == HEALTH
    assert own_unit(person(contact_of={WATER}), [EDU, HEALTH]) is None


def test_the_items_leader_a_deputy_of_its_units_the_principal_and_the_office_may_urge() -> None:
    assert may_urge(person(Role.DEPUTY), ME, {EDU})
    assert may_urge(person(Role.DEPUTY, leads={EDU}), 99, {EDU, HEALTH})
    assert may_urge(person(Role.PRINCIPAL), 99, set())
    assert may_urge(person(Role.SUPERVISOR), 99, set())
    assert not may_urge(person(Role.DEPUTY, leads={WATER}), 99, {EDU})
    assert not may_urge(person(leads={EDU}), 99, {EDU})  # leads a unit but is no deputy


def test_only_the_principal_or_the_office_orders_a_talk_or_a_criticism() -> None:
    assert may_order(person(Role.PRINCIPAL))
    assert may_order(person(Role.SUPERVISOR))
    assert not may_order(person(Role.DEPUTY, leads={EDU}))
