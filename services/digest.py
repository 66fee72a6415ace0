"""The morning digest (DESIGN §3): once a day, from the policy's ``digest.time`` local, each unit
contact gets their open items in one message. The day last sent is kept in a setting, so a second
pass on the same day (or a second process) adds nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import at_local_time
from domain.quiet_hours import hold_until, is_quiet
from domain.vocabulary import AssignmentStatus
from services.outbox.kinds import DIGEST
from services.outbox.queue import enqueue
from services.runtime import Runtime
from services.views import OPEN_STATUSES, item_light
from storage.models import Assignment, Item, Person, Setting, Unit, UnitContact
from texts import reminders as texts

DIGEST_SETTING = "digest_last_day"


async def _setting(session: AsyncSession, name: str) -> str | None:
    row = await session.get(Setting, name)
    return row.value if row else None


async def _put_setting(session: AsyncSession, name: str, value: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Setting).values(name=name, value=value, updated_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": value, "updated_at": now}
        )
    )


async def run_digest(rt: Runtime, now: datetime) -> int:
    """Once a day, from ``digest.time`` local: each contact's open items in one message."""
    local = now.astimezone(rt.tz)
    today = local.date()
    if local.time().replace(tzinfo=None) < rt.policy.digest.time:
        return 0
    async with rt.db.session() as session:
        last = await _setting(session, DIGEST_SETTING)
        if last is not None and last >= today.isoformat():
            return 0
        lines = await _digest_lines(rt, session, now)
        count = 0
        moment = at_local_time(today, rt.policy.digest.time, rt.tz)
        if is_quiet(now, rt.policy.quiet_hours, rt.tz):
            moment = hold_until(now, rt.policy.quiet_hours, rt.tz)
        not_before = moment
        for person, person_lines in lines.values():
            t = rt.text(person.locale)
            added = await enqueue(
                session,
                key=f"digest|person:{person.id}|{today.isoformat()}",
                person_id=person.id,
                kind=DIGEST,
                text=texts.digest(t, person.name, person_lines, today),
                not_before=not_before,
                created_at=now,
            )
            count += int(added)
        await _put_setting(session, DIGEST_SETTING, today.isoformat(), now)
        await session.commit()
    return count


async def _digest_lines(
    rt: Runtime, session: AsyncSession, now: datetime
) -> dict[int, tuple[Person, list[texts.DigestLine]]]:
    """Each active contact's lines: their units' open shares of open items, soonest due first."""
    rows = (
        await session.execute(
            select(Item, Assignment, Unit.name, Person)
            .join(Assignment, Assignment.item_id == Item.id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .join(UnitContact, UnitContact.unit_id == Unit.id)
            .join(Person, Person.id == UnitContact.person_id)
            .where(
                Item.status.in_([str(s) for s in OPEN_STATUSES]),
                Assignment.status != AssignmentStatus.COMPLETED,
                Person.active,
            )
            .order_by(Person.id, Item.due_at, Item.id)
        )
    ).all()
    lines: dict[int, tuple[Person, list[texts.DigestLine]]] = {}
    for item, assignment, unit_name, person in rows:
        light = item_light(item, [assignment], now, rt.policy)
        entry = lines.setdefault(person.id, (person, []))
        entry[1].append(texts.DigestLine(light, item.code, item.title, item.due_date, unit_name))
    return lines
