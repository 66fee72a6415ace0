"""Registering (立项) and dispatching (交办) items.

Each function here is one unit of work: it checks who may act, applies the rules, appends to
the timeline, queues the notifications, and commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import local_date, milestones
from domain.documents import DocumentKind
from domain.errors import Forbidden, InvalidInput
from domain.i18n import N_
from domain.lifecycle import ItemAction, apply
from domain.text import TitleTooLong, check_length
from domain.views import ItemView
from domain.vocabulary import (
    AssignmentRole,
    AssignmentStatus,
    ItemStatus,
    Role,
    Source,
    TimeClass,
)
from services.actors import Actor
from services.documents.issue import issue_document
from services.notices import commit_and_view
from services.numbering import next_number
from services.outbox.queue import enqueue, notification_key
from services.runtime import Runtime
from services.timeline import Kind, record, record_change
from services.views import item_view
from storage.models import Assignment, Item, Person, PersonRole, Unit, UnitContact
from texts import items as texts

TITLE_MAX = 200
BODY_MAX = 5000


class NotOffice(Forbidden):
    key = N_("Only the supervision office can do that.")


@dataclass(frozen=True)
class ItemDraft:
    """What the office fills in to register an item; units and leader by roster key."""

    title: str
    body: str
    source: Source
    time_class: TimeClass
    lead_unit: str
    co_units: tuple[str, ...] = field(default_factory=tuple)
    leader: str | None = None
    due: date | None = None


@dataclass(frozen=True)
class Origin:
    """Who registers: a person in chat or the console, or another system through the API."""

    actor: Actor | None
    via_api: bool = False

    @property
    def person_id(self) -> int | None:
        return self.actor.person_id if self.actor else None


def require_office(origin: Origin) -> None:
    if origin.via_api:
        return
    if origin.actor is None or not origin.actor.is_office:
        raise NotOffice()


async def _unit(session: AsyncSession, key: str, field_name: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.key == key, Unit.active))
    if unit is None:
        raise InvalidInput(N_("Unknown unit: {unit}"), unit=key, field=field_name)
    return unit


async def _leader(session: AsyncSession, key: str) -> Person:
    person = await session.scalar(select(Person).where(Person.key == key, Person.active))
    roles = set()
    if person is not None:
        roles = set(
            await session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id))
        )
    if person is None or not roles & {Role.DEPUTY, Role.PRINCIPAL}:
        raise InvalidInput(N_("Unknown leader: {leader}"), leader=key, field="leader")
    return person


def check_text(draft: ItemDraft) -> tuple[str, str]:
    title = " ".join(draft.title.split())
    if not title:
        raise InvalidInput(N_("The title is empty."), field="title")
    check_length(title, TITLE_MAX, TitleTooLong, field="title")
    body = check_length(draft.body.strip(), BODY_MAX, field="body")
    return title, body


async def register_item(
    rt: Runtime,
    origin: Origin,
    draft: ItemDraft,
    *,
    dispatch: bool = False,
    dispatched_at: datetime | None = None,
) -> ItemView:
    """Register an item; with ``dispatch`` it goes out at once (the API, or no approval needed).

    ``dispatched_at`` in the past moves a running ledger in: deadlines count from that moment.
    """
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await add_item(rt, session, origin, draft, dispatched_at=dispatched_at)
        if dispatch:
            await dispatch_now(rt, session, item, origin, at=dispatched_at or now)
        return await commit_and_view(rt, session, item)


async def add_item(
    rt: Runtime,
    session: AsyncSession,
    origin: Origin,
    draft: ItemDraft,
    *,
    dispatched_at: datetime | None = None,
) -> Item:
    """Add a draft item in ``session`` (flushed, not committed): code, assignments, timeline.

    The code's number is taken first, so that on SQLite this transaction holds the write lock
    from its first statement (no snapshot to lose to a concurrent registration).
    """
    require_office(origin)
    title, body = check_text(draft)
    now = rt.clock.now()
    if dispatched_at is not None and dispatched_at > now:
        raise InvalidInput(N_("The dispatch time is in the future."), field="dispatched_at")
    year = local_date(dispatched_at or now, rt.tz).year
    seq = await next_number(session, "item", year)
    lead = await _unit(session, draft.lead_unit, "lead_unit")
    co_units = []
    for key in draft.co_units:
        unit = await _unit(session, key, "co_units")
        if unit.id == lead.id or unit in co_units:
            raise InvalidInput(N_("A unit is named twice: {unit}"), unit=key, field="co_units")
        co_units.append(unit)
    if draft.leader:
        leader_id: int | None = (await _leader(session, draft.leader)).id
    else:
        leader_id = lead.leader_id
    # Check the due date against the class before anything is kept.
    try:
        milestones(draft.time_class, dispatched_at or now, rt.policy, rt.calendar, rt.tz, draft.due)
    except InvalidInput as exc:
        exc.params.setdefault("field", "due")
        raise
    item = Item(
        year=year,
        seq=seq,
        code=rt.policy.codes.item_code(year, seq),
        ref=rt.policy.codes.item_ref(year, seq),
        title=title,
        body=body,
        source=str(draft.source),
        time_class=str(draft.time_class),
        status=ItemStatus.DRAFT,
        leader_id=leader_id,
        created_by_id=origin.person_id,
        approval_step=0,
        due_date=draft.due,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    units = [(lead, AssignmentRole.LEAD)] + [(u, AssignmentRole.CO) for u in co_units]
    for unit, role in units:
        session.add(
            Assignment(
                item_id=item.id,
                unit_id=unit.id,
                role=role,
                status=AssignmentStatus.DISPATCHED,
            )
        )
    record(
        session,
        item_id=item.id,
        at=now,
        kind=Kind.REGISTERED,
        actor_id=origin.person_id,
        detail=title,
        data={"via": "api" if origin.via_api else "chat"},
    )
    await session.flush()
    return item


async def dispatch_now(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    origin: Origin,
    *,
    at: datetime,
    note: dict[str, Any] | None = None,
) -> None:
    """Send the item to its units: deadlines fixed, assignments open, notices queued."""
    item.status = apply(item.status, ItemAction.DISPATCH)
    marks = milestones(TimeClass(item.time_class), at, rt.policy, rt.calendar, rt.tz, item.due_date)
    item.dispatched_at = at
    item.due_date = marks.due
    item.due_at = marks.due_at
    item.acknowledge_by = marks.acknowledge_by
    item.plan_by = marks.plan_by
    item.first_feedback_by = marks.first_feedback_by
    await session.flush()
    sheet = await issue_document(
        session, rt, item, DocumentKind.DISPATCH, rt.clock.now(), actor_id=origin.person_id
    )
    record_change(
        session,
        item,
        rt.clock.now(),
        Kind.DISPATCHED,
        actor_id=origin.person_id,
        data={
            "dispatched_at": at.isoformat(),
            "due": marks.due.isoformat() if marks.due else None,
            "document": sheet.id,
            "number": sheet.number,
            **(note or {}),
        },
    )
    await queue_dispatch_notices(rt, session, item, sheet.id)


async def queue_dispatch_notices(
    rt: Runtime, session: AsyncSession, item: Item, sheet_id: int
) -> None:
    """Each unit's contacts get the notice with the acknowledge button; the head gets a copy;
    with it each gets the dispatch sheet (督办通知单, the document ``sheet_id``)."""
    now = rt.clock.now()
    view = await item_view(session, item, now, rt.policy)
    for assignment in view.assignments:
        unit = await session.get_one(Unit, assignment.unit_id)
        contacts = list(
            await session.scalars(
                select(Person)
                .join(UnitContact, UnitContact.person_id == Person.id)
                .where(UnitContact.unit_id == unit.id, Person.active)
                .order_by(UnitContact.position)
            )
        )
        recipients = [(person, True) for person in contacts]
        if unit.head_id is not None and unit.head_id not in {p.id for p in contacts}:
            recipients.append((await session.get_one(Person, unit.head_id), False))
        for person, may_acknowledge in recipients:
            t = rt.text(person.locale)
            buttons = [Button(t.raw(texts.DETAILS), callbacks.make(callbacks.DETAIL, item.ref))]
            if may_acknowledge:
                buttons.insert(
                    0,
                    Button(
                        t.raw(texts.ACKNOWLEDGE),
                        callbacks.make(callbacks.ACKNOWLEDGE, assignment.id),
                    ),
                )
            await enqueue(
                session,
                key=notification_key("item", item.id, "dispatch", item.dispatched_at, person.id),
                person_id=person.id,
                item_id=item.id,
                kind="dispatch" if may_acknowledge else "dispatch_copy",
                text=texts.dispatch_notice(
                    t, view, assignment, rt.tz, now, copy=not may_acknowledge
                ),
                buttons=[buttons],
                not_before=now,
                created_at=now,
                document_id=sheet_id,
            )
    if rt.policy.dispatch.copy_to_leader:
        await _copy_to_leader(rt, session, item, view, now)


async def _copy_to_leader(
    rt: Runtime, session: AsyncSession, item: Item, view: ItemView, now: datetime
) -> None:
    """同时报分管领导: the item's deputy leader (its own, else its lead unit's) gets a short copy
    of the dispatch, with a button to see the item."""
    lead = view.lead
    leader_id = item.leader_id
    if leader_id is None and lead is not None:
        leader_id = (await session.get_one(Unit, lead.unit_id)).leader_id
    leader = await session.get(Person, leader_id) if leader_id is not None else None
    if leader is None or not leader.active:
        return
    t = rt.text(leader.locale)
    await enqueue(
        session,
        key=notification_key("item", item.id, "dispatch", item.dispatched_at, leader.id),
        person_id=leader.id,
        item_id=item.id,
        kind="dispatch_leader_copy",
        text=texts.leader_copy(t, view, rt.tz),
        buttons=[[Button(t.raw(texts.DETAILS), callbacks.make(callbacks.DETAIL, item.ref))]],
        not_before=now,
        created_at=now,
    )
