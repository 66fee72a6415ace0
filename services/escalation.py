"""The deputy leader's measure on an overdue item (DESIGN §3): urge (督办), one unit of work:
check who acts, record on the timeline, tell the units through the outbox, commit. Talks
(约谈), notices of criticism (通报批评) and referrals (问责建议) are records of their own
(``services.talks``, ``services.public_notices``, ``services.referrals``).

- urge: the item's deputy leader (or a deputy leading one of its units, the principal leader,
  or the office) sends the units a message bearing their name; once per leader and day (a
  second press adds nothing); a deputy of other units may not (they cannot see the item);
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.authority import may_urge
from domain.buttons import Button
from domain.deadlines import local_date
from domain.errors import Conflict, Forbidden
from domain.lifecycle import check_writable
from domain.recipients import Addressee, UnitContacts
from domain.views import ItemView
from services.actors import Actor
from services.outbox.kinds import URGE
from services.outbox.queue import enqueue
from services.runtime import Runtime
from services.sweep_people import item_units
from services.timeline import Kind, record
from services.views import OPEN_STATUSES, find_item, item_view
from storage.models import Item
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


__all__ = [
    "URGE",
    "MeasureResult",
    "NotALeader",
    "NothingToChase",
    "open_item",
    "urge",
]
