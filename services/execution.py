"""An item under way, outside its reports: a unit's receipt (签收), a leader's instruction
(批示), and what each person may see of the items (/items, /overdue, /item).

Each public coroutine is one unit of work. Reports live in :mod:`services.drafts` (composed in
chat) and :mod:`services.reports` (submitted); the unit heads' and the office's decisions in
:mod:`services.decisions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from domain.authority import Actor, may_instruct, may_report, may_view
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.lifecycle import ItemAction, apply, may_archive
from domain.reports import TEXT_MAX
from domain.text import check_length
from domain.views import AssignmentView, ItemView, TimelineEntry
from domain.vocabulary import ItemStatus, Role
from services.assignments import assignments_of, mark_received
from services.execution_errors import NotContact, NotLeader, NotVisible, StaleButton
from services.notices import Notice, commit_and_view, details_only, record_and_notify
from services.recipients import item_and_office_people
from services.runtime import Runtime
from services.timeline import Kind
from services.views import OPEN_STATUSES, find_item, item_view, share_rows_with, timeline
from storage.models import Assignment, Item
from texts import execution as texts

PAGE_SIZE = 8

# --- acknowledge (签收) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledged:
    item: ItemView
    assignment: AssignmentView
    already: bool


async def acknowledge(rt: Runtime, actor: Actor, assignment_id: int) -> Acknowledged:
    """The unit's contact confirms receipt; pressing again changes nothing."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        # The item's shares with this one among them, held for the view below.
        rows = await share_rows_with(session, assignment_id)
        assignment = next((row[0] for row in rows if row[0].id == assignment_id), None)
        if assignment is None:
            raise StaleButton()
        if assignment.unit_id not in actor.contact_of:
            raise NotContact()
        item = await session.get_one(Item, assignment.item_id)
        already = assignment.acknowledged_at is not None
        if not already:
            mark_received(session, item, assignment, actor, now)
            item.updated_at = now
            await session.commit()
        view = await item_view(session, item, now, rt.policy, rows=rows)
    own = next(a for a in view.assignments if a.id == assignment_id)
    return Acknowledged(view, own, already)


# --- instructions (批示) ----------------------------------------------------------------------


async def instruct(rt: Runtime, actor: Actor, ref: str, text: str) -> ItemView:
    """A leader's written instruction: to the units' contacts and heads and the office."""
    text = text.strip()
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assignments = await assignments_of(session, item.id)
        if not may_instruct(actor, item.leader_id, {a.unit_id for a in assignments}):
            raise NotLeader()
        if not text:
            raise InvalidInput(N_("The instruction is empty."))
        check_length(text, TEXT_MAX)
        item.status = apply(item.status, ItemAction.INSTRUCT)
        item.updated_at = now
        await record_and_notify(
            rt,
            session,
            item,
            await item_and_office_people(session, item.id),
            Notice(
                "instruction",
                lambda t, view: texts.instruction_notice(t, view, leader=actor.name, text=text),
                details_only,
            ),
            at=now,
            event=Kind.INSTRUCTED,
            actor_id=actor.person_id,
            detail=text,
            exclude=actor.person_id,
        )
        return await commit_and_view(rt, session, item)


async def check_instruct(rt: Runtime, actor: Actor, ref: str) -> ItemView:
    """Refuse now, before the text is typed, an instruction this person may not write."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assignments = await assignments_of(session, item.id)
        if not may_instruct(actor, item.leader_id, {a.unit_id for a in assignments}):
            raise NotLeader()
        apply(item.status, ItemAction.INSTRUCT)
        return await item_view(session, item, rt.clock.now(), rt.policy)


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemView]
    page: int
    pages: int
    total: int


def _scope(actor: Actor) -> ColumnElement[bool] | None:
    """A WHERE clause for the items this person follows, or None for all of them."""
    if actor.has(Role.SUPERVISOR, Role.PRINCIPAL):
        return None
    units = actor.units | actor.leads
    clauses = [Item.leader_id == actor.person_id]
    if units:
        clauses.append(Item.id.in_(select(Assignment.item_id).where(Assignment.unit_id.in_(units))))
    return or_(*clauses)


async def list_items(
    rt: Runtime, actor: Actor, *, overdue: bool = False, page: int = 1, size: int = PAGE_SIZE
) -> ItemPage:
    """Open items in the actor's scope (all of them for the office and the principal)."""
    now = rt.clock.now()
    conditions: list[Any] = [Item.status.in_([str(s) for s in OPEN_STATUSES])]
    scope = _scope(actor)
    if scope is not None:
        conditions.append(scope)
    if overdue:
        conditions += [Item.due_at.is_not(None), Item.due_at < now]
    async with rt.db.session() as session:
        total = int(await session.scalar(select(func.count(Item.id)).where(*conditions)) or 0)
        pages = max(1, (total + size - 1) // size)
        page = min(max(1, page), pages)
        rows = await session.scalars(
            select(Item)
            .where(*conditions)
            .order_by(Item.due_at.is_(None), Item.due_at, Item.id)
            .offset((page - 1) * size)
            .limit(size)
        )
        items = [await item_view(session, item, now, rt.policy) for item in rows]
    return ItemPage(items, page, pages, total)


@dataclass(frozen=True)
class ItemCard:
    item: ItemView
    entries: list[TimelineEntry]
    may_report: bool
    may_instruct: bool
    may_decide: bool
    may_archive: bool = False


async def item_card(rt: Runtime, actor: Actor, ref: str, *, recent: int = 8) -> ItemCard:
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assignments = await assignments_of(session, item.id)
        unit_ids = {a.unit_id for a in assignments}
        if not may_view(actor, item.leader_id, unit_ids):
            raise NotVisible()
        view = await item_view(session, item, now, rt.policy)
        entries = await timeline(session, item.id, limit=recent)
    status = item.status
    return ItemCard(
        item=view,
        entries=entries,
        may_report=may_report(actor, unit_ids) and status in OPEN_STATUSES,
        may_instruct=may_instruct(actor, item.leader_id, unit_ids) and status in OPEN_STATUSES,
        may_decide=actor.is_office and status is ItemStatus.COMPLETION_SUBMITTED,
        may_archive=actor.is_office and may_archive(status, item.follow_up_on),
    )
