"""Talks (约谈) as records (``domain.talks``): a leader orders one on an overdue item, the office
records it once held, and the commitment made at it is chased like a report's date.

- :func:`order_talk`: the item's deputy leader, the principal, or the office on the principal's
  behalf; once per item, leader kind and due date (a second press says when it was ordered);
  the talk notice (约谈通知) is issued with its number in the same transaction and goes as a
  file with the message to the units' contacts and heads (the head is the one talked to, the
  contact prepares the written account); the office gets the message with 记录约谈;
- :func:`record_talk`: the office, once per talk; the units are told what they committed to and
  by when, the leader who ordered it is told it was held; the item's plan is looked at again
  (the commitment is now a deadline to chase, and the ladder's ``after_talk`` level may come);
- :func:`item_talks`, :func:`talk_record`: the records as read models (the item page, the API,
  and the talk notice document, 约谈通知).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import local_date
from domain.documents import DocumentKind
from domain.errors import Conflict, Forbidden, NotFound
from domain.i18n import N_
from domain.lifecycle import check_writable
from domain.occasions import basis_due
from domain.talks import TalkBy, TalkRecord, TalkView, check_record, talk_by
from domain.views import ItemView
from services.documents.issue import issue_document
from services.escalation import open_item
from services.items import Origin, require_office
from services.notices import Notice, commit_and_view, details_only, notify, unit_buttons
from services.outbox.kinds import TALK
from services.recipients import office_people, unit_people
from services.runtime import Runtime
from services.timeline import Kind, record_change
from services.views import item_view
from storage.models import CHECK_NOW, Assignment, Document, Item, Person, Talk, TimelineEvent, Unit
from texts import Text
from texts import talks as texts


class MayNotOrderTalk(Forbidden):
    key = N_("Only the item's leaders and the supervision office can order a talk on it.")


class TalkAlreadyRecorded(Conflict):
    key = N_("This talk has already been recorded.")


class UnknownTalk(NotFound):
    key = N_("No such talk.")


@dataclass(frozen=True)
class TalkOrdered:
    view: ItemView
    talk: TalkView
    already: bool  # it had been ordered before: nothing new was sent


async def open_shares(session: AsyncSession, item: Item) -> list[tuple[int, int]]:
    """The (assignment id, unit id) of the item's shares not completed, lead first."""
    rows = await session.execute(
        select(Assignment.id, Assignment.unit_id)
        .where(Assignment.item_id == item.id, Assignment.completed_at.is_(None))
        .order_by(Assignment.role.desc(), Assignment.id)
    )
    return [(share, unit) for share, unit in rows]


async def _units_people(session: AsyncSession, unit_ids: Collection[int]) -> list[Person]:
    seen: dict[int, Person] = {}
    for unit_id in unit_ids:
        for person in await unit_people(session, unit_id):
            seen.setdefault(person.id, person)
    return list(seen.values())


async def order_talk(rt: Runtime, origin: Origin, ref: str) -> TalkOrdered:
    """约谈: the heads of the item's open units are to be talked to (see the module)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await open_item(session, ref)
        shares = await open_shares(session, item)
        unit_ids = [unit for _, unit in shares]
        by = talk_by(origin.actor, item.leader_id, set(unit_ids))
        if by is None:
            raise MayNotOrderTalk()
        basis = basis_due(item.due_date)
        talk = await session.scalar(
            select(Talk).where(Talk.item_id == item.id, Talk.talk_by == by, Talk.basis == basis)
        )
        if talk is not None:
            view = await item_view(session, item, now, rt.policy)
            return TalkOrdered(view, await _talk_view(session, talk), already=True)
        talk = Talk(
            item_id=item.id,
            talk_by=by,
            basis=basis,
            ordered_by_id=origin.person_id,
            ordered_at=now,
            assignment_ids=[share for share, _ in shares],
        )
        session.add(talk)
        await session.flush()
        leader = origin.actor.name if origin.actor else None
        units = await unit_names(session, unit_ids)
        entry, paper = await _record_order(rt, session, origin, item, talk, unit_ids)
        told = Notice(TALK, lambda t, v: texts.ordered(t, v, leader, units), details_only)
        await notify(
            rt,
            session,
            await _units_people(session, unit_ids),
            told,
            item=item,
            occasion=f"event{entry.id}",
            document_id=paper.id,
        )
        to_office = Notice(
            TALK,
            lambda t, v: texts.ordered_to_office(t, v, leader, units),
            lambda t, v: _record_buttons(t, v, talk.id),
        )
        await notify(
            rt,
            session,
            await office_people(session),
            to_office,
            item=item,
            occasion=f"event{entry.id}",
            exclude=origin.person_id,
        )
        view_of_talk = await _talk_view(session, talk)
        view = await commit_and_view(rt, session, item)
    return TalkOrdered(view, view_of_talk, already=False)


async def _record_order(
    rt: Runtime, session: AsyncSession, origin: Origin, item: Item, talk: Talk, unit_ids: list[int]
) -> tuple[TimelineEvent, Document]:
    """The talk on the timeline with its notice (约谈通知), numbered in this transaction: a
    rollback takes the number back with the talk."""
    paper = await issue_document(
        session, rt, item, DocumentKind.TALK, talk.ordered_at, actor_id=origin.person_id
    )
    entry = record_change(
        session,
        item,
        talk.ordered_at,
        Kind.TALK_ORDERED,
        actor_id=origin.person_id,
        detail="、".join(await unit_names(session, unit_ids)),
        data={
            "talk": talk.id,
            "by": talk.talk_by,
            "basis": talk.basis,
            "units": unit_ids,
            "document": paper.id,
            "number": paper.number,
        },
    )
    await session.flush()
    return entry, paper


def _record_buttons(t: Text, view: ItemView, talk_id: int) -> list[list[Button]]:
    return [
        [Button(t.raw(texts.RECORD), callbacks.make(callbacks.TALK_RECORD, talk_id))],
        *details_only(t, view),
    ]


@dataclass(frozen=True)
class TalkRecorded:
    view: ItemView
    talk: TalkView


async def _talk_to_record(session: AsyncSession, origin: Origin, talk_id: int) -> Talk:
    require_office(origin)
    talk = await session.get(Talk, talk_id, with_for_update=True)
    if talk is None:
        raise UnknownTalk()
    if talk.recorded_at is not None:
        raise TalkAlreadyRecorded()
    return talk


async def talk_to_record(rt: Runtime, origin: Origin, talk_id: int) -> ItemView:
    """The item of a talk the office may record now (checked before it is asked for)."""
    async with rt.db.session() as session:
        talk = await _talk_to_record(session, origin, talk_id)
        item = await session.get_one(Item, talk.item_id)
        check_writable(item.status)
        return await item_view(session, item, rt.clock.now(), rt.policy)


async def record_talk(
    rt: Runtime, origin: Origin, talk_id: int, record_: TalkRecord
) -> TalkRecorded:
    """The office records a talk that was held (see the module)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        talk = await _talk_to_record(session, origin, talk_id)
        item = await session.get_one(Item, talk.item_id)
        check_writable(item.status)
        check_record(record_, local_date(now, rt.tz))
        talk.held_on, talk.place = record_.held_on, record_.place
        talk.held_time = record_.held_time.strftime("%H:%M") if record_.held_time else None
        talk.attendees, talk.commitment = record_.attendees, record_.commitment
        talk.commit_by = record_.commit_by
        talk.recorded_by_id, talk.recorded_at = origin.person_id, now
        item.next_check_at = CHECK_NOW  # the commitment is a deadline now; the ladder may move
        entry = record_change(
            session,
            item,
            now,
            Kind.TALK_HELD,
            actor_id=origin.person_id,
            detail=record_.commitment,
            data={"talk": talk.id, "commit_by": record_.commit_by.isoformat()},
        )
        await session.flush()
        held = await _talk_view(session, talk)
        units_told = Notice(TALK, lambda t, v: texts.held(t, v, held, to_unit=True), unit_buttons)
        unit_ids = await _share_units(session, talk.assignment_ids)
        await notify(
            rt,
            session,
            await _units_people(session, unit_ids),
            units_told,
            item=item,
            occasion=f"event{entry.id}",
        )
        leader = await session.get(Person, talk.ordered_by_id) if talk.ordered_by_id else None
        if leader is not None and leader.active:
            told = Notice(TALK, lambda t, v: texts.held(t, v, held, to_unit=False), details_only)
            await notify(
                rt,
                session,
                [leader],
                told,
                item=item,
                occasion=f"event{entry.id}",
                exclude=origin.person_id,
            )
        view = await commit_and_view(rt, session, item)
    return TalkRecorded(view, held)


async def unit_names(session: AsyncSession, unit_ids: Collection[int]) -> tuple[str, ...]:
    if not unit_ids:
        return ()
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
    names: dict[int, str] = {unit_id: name for unit_id, name in rows}
    return tuple(names[unit] for unit in unit_ids if unit in names)


async def _share_units(session: AsyncSession, assignment_ids: Collection[int]) -> list[int]:
    if not assignment_ids:
        return []
    rows = await session.scalars(
        select(Assignment.unit_id)
        .where(Assignment.id.in_(list(assignment_ids)))
        .order_by(Assignment.id)
    )
    return list(rows)


async def _talk_view(session: AsyncSession, talk: Talk) -> TalkView:
    item = await session.get_one(Item, talk.item_id)
    names = {
        person.id: person.name
        for person in await session.scalars(
            select(Person).where(Person.id.in_([talk.ordered_by_id or 0, talk.recorded_by_id or 0]))
        )
    }
    return TalkView(
        id=talk.id,
        item_ref=item.ref,
        item_code=item.code,
        item_title=item.title,
        talk_by=TalkBy(talk.talk_by),
        ordered_by=names.get(talk.ordered_by_id or 0),
        ordered_at=talk.ordered_at,
        units=await unit_names(session, await _share_units(session, talk.assignment_ids)),
        held_on=talk.held_on,
        held_time=talk.held_time,
        place=talk.place,
        attendees=talk.attendees,
        commitment=talk.commitment,
        commit_by=talk.commit_by,
        recorded_by=names.get(talk.recorded_by_id or 0),
        recorded_at=talk.recorded_at,
    )


async def item_talks(session: AsyncSession, item_id: int) -> list[TalkView]:
    """The item's talks, oldest first: ordered, and recorded once held."""
    talks = await session.scalars(select(Talk).where(Talk.item_id == item_id).order_by(Talk.id))
    return [await _talk_view(session, talk) for talk in talks]


async def talk_record(rt: Runtime, talk_id: int) -> TalkView:
    """One talk's record: the hook for the talk notice (约谈通知) and its minutes."""
    async with rt.db.session() as session:
        talk = await session.get(Talk, talk_id)
        if talk is None:
            raise UnknownTalk()
        return await _talk_view(session, talk)
