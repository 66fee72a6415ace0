"""Importing the roster into a real database: idempotent, in place, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.roster import RosterError, parse_roster
from domain.vocabulary import Role
from services.actors import load_actor
from services.roster import import_roster
from services.runtime import Runtime
from storage.models import Person, PersonRole, Unit, UnitContact
from tests.conftest import EXAMPLES


async def counts(rt: Runtime) -> tuple[int, int, int, int]:
    async with rt.db.session() as session:
        return (
            await session.scalar(select(func.count()).select_from(Person)) or 0,
            await session.scalar(select(func.count()).select_from(PersonRole)) or 0,
            await session.scalar(select(func.count()).select_from(Unit)) or 0,
            await session.scalar(select(func.count()).select_from(UnitContact)) or 0,
        )


async def test_example_county_imports(rt: Runtime) -> None:
    summary = await import_roster(rt, parse_roster(EXAMPLES / "roster.yaml"))
    assert summary.units_added == 8
    people, _roles, units, contacts = await counts(rt)
    assert units == 8
    assert people == summary.people_added
    assert contacts >= 8
    async with rt.db.session() as session:
        lina = await session.scalar(select(Person).where(Person.key == "lina"))
        assert lina is not None
        actor = await load_actor(session, lina)
        wang = await session.scalar(select(Person).where(Person.key == "wang"))
        assert wang is not None
        leader = await load_actor(session, wang)
    assert Role.UNIT_CONTACT in actor.roles
    assert len(actor.contact_of) == 1
    assert Role.DEPUTY in leader.roles
    assert len(leader.leads) == 3


async def test_reimport_is_idempotent(rt: Runtime) -> None:
    roster = parse_roster(EXAMPLES / "roster.yaml")
    await import_roster(rt, roster)
    before = await counts(rt)
    again = await import_roster(rt, roster)
    assert again.people_added == again.people_updated == 0
    assert again.units_added == again.units_updated == 0
    assert await counts(rt) == before
    excel = await import_roster(rt, parse_roster(EXAMPLES / "roster.xlsx"))
    assert excel.people_added == excel.units_added == 0
    assert await counts(rt) == before


async def test_reimport_updates_in_place(rt: Runtime, tmp_path: Path) -> None:
    await import_roster(rt, parse_roster(EXAMPLES / "roster.yaml"))
    async with rt.db.session() as session:
        ids_before = dict((await session.execute(select(Person.key, Person.id))).all())
    changed = (EXAMPLES / "roster.yaml").read_text(encoding="utf-8")
    changed = changed.replace("{key: lina, name: 李娜}", "{key: lina, name: 李娜娜}")
    changed = changed.replace("contacts: [dengli, caihui]", "contacts: [caihui]")
    path = tmp_path / "roster.yaml"
    path.write_text(changed, encoding="utf-8")
    summary = await import_roster(rt, parse_roster(path))
    assert summary.people_added == 0
    assert summary.people_updated >= 1
    assert summary.units_updated == 1
    async with rt.db.session() as session:
        ids_after = dict((await session.execute(select(Person.key, Person.id))).all())
        lina = await session.scalar(select(Person).where(Person.key == "lina"))
        eco = await session.scalar(select(Unit).where(Unit.key == "eco"))
        assert eco is not None
        eco_contacts = list(
            await session.scalars(
                select(UnitContact.person_id).where(UnitContact.unit_id == eco.id)
            )
        )
    assert ids_after == ids_before
    assert lina is not None and lina.name == "李娜娜"
    assert eco_contacts == [ids_before["caihui"]]


async def test_malformed_roster_names_the_row_and_imports_nothing(
    rt: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(
        "people:\n"
        "  - {key: a, name: 甲, roles: [supervisor]}\n"
        "  - {key: b, name: 乙, roles: [wizard]}\n"
        "units:\n"
        "  - {key: u, name: 单位, head: nobody, contacts: [a]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RosterError) as caught:
        parse_roster(path)
    message = str(caught.value)
    assert "line 3" in message and "roles" in message
    assert "line 5" in message and "nobody" in message
    assert await counts(rt) == (0, 0, 0, 0)


async def test_people_left_out_are_deactivated(rt: Runtime, tmp_path: Path) -> None:
    await import_roster(rt, parse_roster(EXAMPLES / "roster.yaml"))
    text = (EXAMPLES / "roster.yaml").read_text(encoding="utf-8")
    text = text.replace("  - {key: caihui, name: 蔡辉}", "")
    text = text.replace("contacts: [dengli, caihui]", "contacts: [dengli]")
    path = tmp_path / "roster.yaml"
    path.write_text(text, encoding="utf-8")
    summary = await import_roster(rt, parse_roster(path))
    assert summary.people_deactivated == 1
    async with rt.db.session() as session:
        caihui = await session.scalar(select(Person).where(Person.key == "caihui"))
    assert caihui is not None and not caihui.active
