"""Building the read models of ``domain.views`` from the database: an item with its light, its
assignments and its timeline, and the item as the API shows it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from domain.deadlines import report_terms
from domain.errors import NotFound
from domain.i18n import N_
from domain.lights import is_feedback_late, light
from domain.policy import Policy
from domain.records import ItemRecord, ShareRecord
from domain.views import AssignmentView, ItemView, PersonRef, TimelineEntry
from domain.vocabulary import AssignmentStatus, ItemStatus, Light, TimeClass
from storage.models import Assignment, Item, Person, TimelineEvent, Unit


class ItemNotFound(NotFound):
    key = N_("No item with the number {ref}. Check the number and try again.")


OPEN_STATUSES = frozenset(
    {ItemStatus.DISPATCHED, ItemStatus.IN_PROGRESS, ItemStatus.COMPLETION_SUBMITTED}
)
DONE = frozenset({AssignmentStatus.COMPLETED})


def item_light(
    item: ItemRecord, assignments: Sequence[ShareRecord], now: datetime, policy: Policy
) -> Light:
    """The light, derived from the dates every time (DESIGN §2)."""
    status = item.status
    if status not in OPEN_STATUSES:
        return Light.GREEN
    late = False
    for assignment in assignments:
        if assignment.status in DONE:
            continue
        if assignment.acknowledged_at is None and is_feedback_late(
            due_by=item.acknowledge_by, reported_at=None, now=now
        ):
            late = True
        due_by = item.plan_by or item.first_feedback_by
        if is_feedback_late(due_by=due_by, reported_at=assignment.last_report_at, now=now):
            late = True
    return light(
        due_at=item.due_at,
        now=now,
        warning_window=policy.lights.warning_window,
        feedback_late=late,
        closed=False,
    )


def is_overdue(item: ItemRecord, now: datetime) -> bool:
    return item.status in OPEN_STATUSES and item.due_at is not None and now > item.due_at


async def _people(session: AsyncSession, ids: set[int]) -> dict[int, PersonRef]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Person.id, Person.key, Person.name).where(Person.id.in_(ids))
    )
    return {pid: PersonRef(pid, key, name) for pid, key, name in rows}


async def find_item(session: AsyncSession, ref: str) -> Item:
    """The item with this ref (``2026-17``), or its code; ItemNotFound otherwise."""
    cleaned = ref.strip()
    item = await session.scalar(select(Item).where(Item.ref == cleaned))
    if item is None:
        item = await session.scalar(select(Item).where(Item.code == cleaned))
    if item is None:
        raise ItemNotFound(ref=cleaned[:40])
    return item


ShareRow = tuple[Assignment, str, str]
"""An item's assignment with its unit's key and name, as the item's view lists them."""


async def share_rows(session: AsyncSession, item_ids: Sequence[int]) -> list[ShareRow]:
    """The items' assignments with their units' keys and names, in the view's order (lead
    unit first); a use case that loads them here hands them to :func:`item_view` later in
    the same unit of work instead of reading them again."""
    return await _share_rows(session, Assignment.item_id.in_(item_ids))


async def share_rows_with(session: AsyncSession, assignment_id: int) -> list[ShareRow]:
    """:func:`share_rows` of the item this assignment belongs to (none: no such assignment),
    in one statement."""
    item_id = select(Assignment.item_id).where(Assignment.id == assignment_id)
    return await _share_rows(session, Assignment.item_id == item_id.scalar_subquery())


async def _share_rows(session: AsyncSession, where: ColumnElement[bool]) -> list[ShareRow]:
    rows = await session.execute(
        select(Assignment, Unit.key, Unit.name)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(where)
        .order_by(Assignment.role.desc(), Assignment.id)
    )
    return [(assignment, key, name) for assignment, key, name in rows]


def in_item_order(rows: Sequence[ShareRow]) -> list[Assignment]:
    """The assignments of ``rows`` in the item's order (as ``assignments_of`` gives them)."""
    return sorted((row[0] for row in rows), key=lambda assignment: assignment.id)


async def views_of(
    session: AsyncSession,
    items: Sequence[Item],
    now: datetime,
    policy: Policy,
    *,
    rows: Sequence[ShareRow] | None = None,
) -> list[ItemView]:
    """Read models of the items, in their order, from two queries (assignments, people); one
    (people) when the items' assignment ``rows`` (:func:`share_rows`) are already loaded."""
    if not items:
        return []
    if rows is None:
        rows = await share_rows(session, [item.id for item in items])
    by_item: dict[int, list[ShareRow]] = defaultdict(list)
    for assignment, key, name in rows:
        by_item[assignment.item_id].append((assignment, key, name))
    people = await _people(
        session,
        {item.leader_id for item in items if item.leader_id}
        | {a.acknowledged_by_id for a, _, _ in rows if a.acknowledged_by_id},
    )
    return [build_item_view(item, by_item[item.id], people, now, policy) for item in items]


async def item_view(
    session: AsyncSession,
    item: Item,
    now: datetime,
    policy: Policy,
    *,
    rows: Sequence[ShareRow] | None = None,
) -> ItemView:
    """The item's read model; ``rows``: its assignments as this unit of work loaded them with
    :func:`share_rows` (changed in memory since, not read again)."""
    (view,) = await views_of(session, [item], now, policy, rows=rows)
    return view


def build_item_view(
    item: ItemRecord,
    rows: Sequence[tuple[ShareRecord, str, str]],
    people: Mapping[int, PersonRef],
    now: datetime,
    policy: Policy,
) -> ItemView:
    """The view from what is already loaded: the item's (assignment, unit key, unit name) in
    role-then-id order and the people it names (its leader, who acknowledged)."""
    assignments = [row[0] for row in rows]
    views = tuple(
        AssignmentView(
            id=a.id,
            unit_id=a.unit_id,
            unit_key=key,
            unit_name=name,
            role=a.role,
            status=a.status,
            acknowledged_at=a.acknowledged_at,
            acknowledged_by=people.get(a.acknowledged_by_id) if a.acknowledged_by_id else None,
            last_report_at=a.last_report_at,
            completed_at=a.completed_at,
        )
        for a, key, name in rows
    )
    return ItemView(
        id=item.id,
        ref=item.ref,
        code=item.code,
        title=item.title,
        body=item.body,
        source=item.source,
        time_class=item.time_class,
        status=item.status,
        due=item.due_date,
        due_at=item.due_at,
        acknowledge_by=item.acknowledge_by,
        plan_by=item.plan_by,
        first_feedback_by=item.first_feedback_by,
        dispatched_at=item.dispatched_at,
        closed_at=item.closed_at,
        follow_up_on=item.follow_up_on,
        leader=people.get(item.leader_id) if item.leader_id else None,
        escalation_level=item.escalation_level,
        inspection=item.inspection,
        light=item_light(item, assignments, now, policy),
        overdue=is_overdue(item, now),
        assignments=views,
        archived_at=item.archived_at,
        created_at=item.created_at,
        confidential=item.confidential,
        reports=report_terms(TimeClass(item.time_class), policy),
    )


async def load_item(session: AsyncSession, ref: str, now: datetime, policy: Policy) -> ItemView:
    return await item_view(session, await find_item(session, ref), now, policy)


async def timeline(
    session: AsyncSession, item_id: int, *, limit: int | None = None
) -> list[TimelineEntry]:
    """The item's timeline, oldest first (the newest ``limit`` when given)."""
    unit = aliased(Unit)
    query = (
        select(TimelineEvent, unit.name)
        .outerjoin(unit, unit.id == TimelineEvent.unit_id)
        .where(TimelineEvent.item_id == item_id)
        .order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    rows = list((await session.execute(query)).all())
    rows.reverse()
    people = await _people(session, {e.actor_id for e, _ in rows if e.actor_id})
    return [
        TimelineEntry(
            at=event.at,
            kind=event.kind,
            actor=people.get(event.actor_id) if event.actor_id else None,
            unit_name=unit_name,
            detail=event.detail,
            data=dict(event.data or {}),
        )
        for event, unit_name in rows
    ]


def item_json(view: ItemView, entries: list[TimelineEntry] | None = None) -> dict[str, Any]:
    """The API's item (DESIGN §7)."""
    lead = view.lead
    body: dict[str, Any] = {
        "ref": view.ref,
        "code": view.code,
        "title": view.title,
        "body": view.body,
        "source": view.source,
        "status": str(view.status),
        "class": view.time_class,
        "light": str(view.light),
        "overdue": view.overdue,
        "escalation_level": view.escalation_level,
        "inspection": view.inspection,
        "due": view.due.isoformat() if view.due else None,
        "acknowledge_by": _iso(view.acknowledge_by),
        "plan_by": _iso(view.plan_by),
        "first_feedback_by": _iso(view.first_feedback_by),
        "dispatched_at": _iso(view.dispatched_at),
        "closed_at": _iso(view.closed_at),
        "archived_at": _iso(view.archived_at),
        "follow_up_on": view.follow_up_on.isoformat() if view.follow_up_on else None,
        "lead_unit": lead.unit_key if lead else None,
        "co_units": [a.unit_key for a in view.co_units],
        "leader": view.leader.key if view.leader else None,
        "assignments": [
            {
                "unit": a.unit_key,
                "role": str(a.role),
                "acknowledged_at": _iso(a.acknowledged_at),
                "acknowledged_by": a.acknowledged_by.key if a.acknowledged_by else None,
                "status": str(a.status),
                "completed_at": _iso(a.completed_at),
            }
            for a in view.assignments
        ],
    }
    if entries is not None:
        body["timeline"] = [
            {
                "at": _iso(entry.at),
                "kind": entry.kind,
                "actor": entry.actor.key if entry.actor else None,
                "unit": entry.unit_name,
                "detail": entry.detail,
                "data": entry.data,
            }
            for entry in entries
        ]
    return body


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
