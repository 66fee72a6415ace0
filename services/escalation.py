"""The leaders' measures on an overdue item (DESIGN §3): urge (督办), order a notice of criticism
(通报批评); talks (约谈) are records of their own (``services.talks``). Each is one unit of
work: check who acts, record on the timeline, tell the units (and the office) through the
outbox, commit.

- urge: the item's deputy leader (or a deputy leading one of its units, the principal leader,
  or the office) sends the units a message bearing their name; once per leader and day (a
  second press adds nothing); a deputy of other units may not (they cannot see the item);
- criticism: the principal leader (or the office on their behalf), once per item and due
  date; the units' heads and contacts and the office are told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.authority import may_order, may_urge
from domain.buttons import Button
from domain.deadlines import local_date
from domain.errors import Conflict, Forbidden
from domain.lifecycle import check_writable
from domain.occasions import basis_due
from domain.recipients import Addressee, UnitContacts
from domain.views import ItemView
from services.actors import Actor
from services.outbox.kinds import CRITICISM, URGE
from services.outbox.queue import enqueue
from services.runtime import Runtime
from services.sweep_people import directory, item_units
from services.timeline import Kind, record
from services.views import OPEN_STATUSES, find_item, item_view
from storage.models import Item, TimelineEvent
from texts import Text
from texts import items as item_texts
from texts import reminders as texts


class NotALeader(Forbidden):
    key = texts.ONLY_LEADERS


class NothingToChase(Conflict):
    key = texts.NOT_OVERDUE


@dataclass(frozen=True)
class MeasureResult:
    view: ItemView
    units: tuple[str, ...]
    queued: int
    already_at: datetime | None = None  # set when the measure had been ordered before


async def open_item(session: AsyncSession, ref: str) -> Item:
    item = await find_item(session, ref)
    check_writable(item.status)
    if item.status not in OPEN_STATUSES:
        raise NothingToChase()
    return item


def _unit_people(units: list[UnitContacts]) -> list[tuple[Addressee, UnitContacts]]:
    people: list[tuple[Addressee, UnitContacts]] = []
    for unit in units:
        if not unit.open:
            continue
        for person in [*unit.contacts, *([unit.head] if unit.head else [])]:
            if all(p.id != person.id or u.unit_id != unit.unit_id for p, u in people):
                people.append((person, unit))
    return people


async def urge(rt: Runtime, actor: Actor, ref: str) -> MeasureResult:
    """督办: a message to each open unit's contacts and head bearing the leader's name."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await open_item(session, ref)
        units = await item_units(session, item)
        if not may_urge(actor, item.leader_id, {u.unit_id for u in units}):
            raise NotALeader()
        view = await item_view(session, item, now, rt.policy)
        today = local_date(now, rt.tz).isoformat()
        queued = 0
        for person, unit in _unit_people(units):
            t = rt.text(person.locale)
            queued += await enqueue(
                session,
                key=f"item:{item.id}|a:{unit.assignment_id}|person:{person.id}|"
                f"urge:{actor.person_id}:{today}",
                person_id=person.id,
                item_id=item.id,
                kind=URGE,
                text=texts.urged(t, view, actor.name),
                buttons=[[_details(t, item.ref)]],
                not_before=now,
                created_at=now,
            )
        names = tuple(u.name for u in units if u.open)
        if queued:
            record(
                session,
                item_id=item.id,
                at=now,
                kind=Kind.URGED,
                actor_id=actor.person_id,
                detail="、".join(names),
                data={"units": [u.unit_id for u in units if u.open], "day": today},
            )
        await session.commit()
    rt.wake_outbox()
    return MeasureResult(view=view, units=names, queued=queued)


def _details(t: Text, ref: str) -> Button:
    return Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, ref))


async def _order(rt: Runtime, actor: Actor, ref: str, measure: str) -> MeasureResult:
    kind = Kind.CRITICISM_ORDERED
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await open_item(session, ref)
        if not may_order(actor):
            raise NotALeader()
        view = await item_view(session, item, now, rt.policy)
        units = await item_units(session, item)
        names = tuple(u.name for u in units if u.open)
        basis = basis_due(item.due_date)
        earlier = await session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.item_id == item.id, TimelineEvent.kind == kind)
            .order_by(TimelineEvent.at)
        )
        for event in earlier:
            if (event.data or {}).get("basis") == basis:
                return MeasureResult(view=view, units=names, queued=0, already_at=event.at)
        people = await directory(session)
        told: list[tuple[Addressee, str]] = [
            (person, f"a:{unit.assignment_id}") for person, unit in _unit_people(units)
        ]
        told += [(person, "item") for person in people.office if person.id != actor.person_id]
        queued = 0
        for person, scope in told:
            t = rt.text(person.locale)
            render = texts.criticism_ordered
            queued += await enqueue(
                session,
                key=f"item:{item.id}|{scope}|person:{person.id}|{measure}:{basis}",
                person_id=person.id,
                item_id=item.id,
                kind=measure,
                text=render(t, view, actor.name, names),
                buttons=[[_details(t, item.ref)]],
                not_before=now,
                created_at=now,
            )
        record(
            session,
            item_id=item.id,
            at=now,
            kind=kind,
            actor_id=actor.person_id,
            detail="、".join(names),
            data={"basis": basis, "units": [u.unit_id for u in units if u.open]},
        )
        await session.commit()
    rt.wake_outbox()
    return MeasureResult(view=view, units=names, queued=queued)


async def order_criticism(rt: Runtime, actor: Actor, ref: str) -> MeasureResult:
    """通报批评: a notice of criticism of the units; the units and the office are told."""
    return await _order(rt, actor, ref, CRITICISM)


__all__ = [
    "CRITICISM",
    "URGE",
    "MeasureResult",
    "NotALeader",
    "NothingToChase",
    "open_item",
    "order_criticism",
    "urge",
]
