"""The ledger (台账): every item a viewer may see, filtered, searched, sorted and paged.

Filters that live in the database (status, unit, leader, class, source, search) are SQL; the
light is derived from dates each time (DESIGN §2), so the light filter and the light sort run
on the read models. A county's ledger is a few thousand items: that stays cheap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.views import ItemView
from domain.vocabulary import ItemStatus, Light, Role
from services.actors import Actor
from services.runtime import Runtime
from services.views import OPEN_STATUSES, views_of
from storage.models import (
    Assignment,
    Attachment,
    Item,
    Person,
    PersonRole,
    Report,
    Unit,
    UnitContact,
)

SORTS = ("code", "due", "light", "status", "dispatched", "title")
LIGHT_ORDER = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2}
PER_PAGE = 25
SEARCH_MAX = 100


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: everything (``units`` None), or their units' items.

    The office and the principal leader see everything; a deputy leader sees the items of
    the units they lead and the items they are responsible for.
    """

    units: frozenset[int] | None
    leader_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, actor: Actor) -> Scope:
        if actor.has(Role.SUPERVISOR, Role.PRINCIPAL):
            return cls(None)
        if actor.has(Role.DEPUTY):
            return cls(actor.leads, actor.person_id)
        return cls(actor.units)

    @property
    def all(self) -> bool:
        return self.units is None

    def allows(self, view: ItemView) -> bool:
        if self.units is None:
            return True
        if self.leader_id is not None and view.leader and view.leader.id == self.leader_id:
            return True
        return any(a.unit_id in self.units for a in view.assignments)


@dataclass(frozen=True)
class LedgerQuery:
    status: str = ""  # an ItemStatus, "open", "all", or "" for all but archived (unless searched)
    unit: str = ""  # unit key
    leader: str = ""  # person key
    time_class: str = ""
    source: str = ""
    light: str = ""
    q: str = ""
    sort: str = "code"
    descending: bool = True
    page: int = 1
    per_page: int = PER_PAGE

    def normalized(self) -> LedgerQuery:
        sort = self.sort if self.sort in SORTS else "code"
        return replace(
            self,
            q=" ".join(self.q.split())[:SEARCH_MAX],
            sort=sort,
            page=max(1, self.page),
            per_page=min(max(1, self.per_page), 200),
        )


@dataclass(frozen=True)
class LedgerPage:
    items: list[ItemView]
    total: int
    page: int
    pages: int
    query: LedgerQuery


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def matching_items(session: AsyncSession, scope: Scope, query: LedgerQuery) -> list[Item]:
    """The items the SQL filters let through (no light filter, no order)."""
    statement = select(Item)
    if query.status == "open":
        statement = statement.where(Item.status.in_([str(s) for s in OPEN_STATUSES]))
    elif query.status == "" and not query.q:
        # The working ledger: archived items (立卷归档) are found by their status or a search.
        statement = statement.where(Item.status != ItemStatus.ARCHIVED)
    elif query.status and query.status != "all":
        statement = statement.where(Item.status == query.status)
    if query.time_class:
        statement = statement.where(Item.time_class == query.time_class)
    if query.source:
        statement = statement.where(Item.source == query.source)
    if query.leader:
        statement = statement.join(Person, Person.id == Item.leader_id).where(
            Person.key == query.leader
        )
    if query.unit:
        statement = statement.where(
            Item.id.in_(
                select(Assignment.item_id)
                .join(Unit, Unit.id == Assignment.unit_id)
                .where(Unit.key == query.unit)
            )
        )
    if scope.units is not None:
        visible: ColumnElement[bool] = Item.id.in_(
            select(Assignment.item_id).where(Assignment.unit_id.in_(scope.units))
        )
        if scope.leader_id is not None:
            visible = or_(visible, Item.leader_id == scope.leader_id)
        statement = statement.where(visible)
    if query.q:
        pattern = f"%{_escape_like(query.q)}%"
        statement = statement.where(
            or_(
                Item.code.ilike(pattern, escape="\\"),
                Item.ref.ilike(pattern, escape="\\"),
                Item.title.ilike(pattern, escape="\\"),
                Item.body.ilike(pattern, escape="\\"),
            )
        )
    return list(await session.scalars(statement))


def _sort_key(sort: str) -> object:
    far = datetime.max.replace(tzinfo=None)

    def code(v: ItemView) -> tuple[int, int]:
        year, _, seq = v.ref.partition("-")
        return (int(year) if year.isdigit() else 0, int(seq) if seq.isdigit() else 0)

    keys = {
        "code": code,
        "due": lambda v: (v.due_at.replace(tzinfo=None) if v.due_at else far, code(v)),
        "light": lambda v: (LIGHT_ORDER[v.light], code(v)),
        "status": lambda v: (str(v.status), code(v)),
        "dispatched": lambda v: (
            v.dispatched_at.replace(tzinfo=None) if v.dispatched_at else far,
            code(v),
        ),
        "title": lambda v: (v.title, code(v)),
    }
    return keys[sort]


async def ledger_views(rt: Runtime, scope: Scope, query: LedgerQuery) -> list[ItemView]:
    """Every matching item's read model, sorted (what a page or an export shows)."""
    query = query.normalized()
    now = rt.clock.now()
    async with rt.db.session() as session:
        items = await matching_items(session, scope, query)
        views = await views_of(session, items, now, rt.policy)
    if query.light:
        views = [v for v in views if str(v.light) == query.light]
    key = _sort_key(query.sort)
    views.sort(key=key, reverse=query.descending)  # type: ignore[arg-type]
    return views


async def ledger_page(rt: Runtime, scope: Scope, query: LedgerQuery) -> LedgerPage:
    query = query.normalized()
    views = await ledger_views(rt, scope, query)
    pages = max(1, math.ceil(len(views) / query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    return LedgerPage(
        items=views[start : start + query.per_page],
        total=len(views),
        page=page,
        pages=pages,
        query=replace(query, page=page),
    )


@dataclass(frozen=True)
class Overview:
    """The dashboard's counts: open items by light, all items by status, the overdue list."""

    by_light: dict[str, int]
    by_status: dict[str, int]
    overdue: list[ItemView]
    total: int


async def overview(rt: Runtime, scope: Scope) -> Overview:
    views = await ledger_views(rt, scope, LedgerQuery(sort="due", descending=False))
    by_light = {str(light): 0 for light in Light}
    by_status: dict[str, int] = {}
    for view in views:
        by_status[str(view.status)] = by_status.get(str(view.status), 0) + 1
        if view.status in OPEN_STATUSES:
            by_light[str(view.light)] += 1
    overdue = [v for v in views if v.overdue]
    return Overview(by_light, by_status, overdue, len(views))


async def visible_units(rt: Runtime, scope: Scope) -> list[tuple[int, str, str]]:
    """(id, key, name) of the active units the scope covers, in roster order."""
    async with rt.db.session() as session:
        statement = select(Unit.id, Unit.key, Unit.name).where(Unit.active)
        if scope.units is not None:
            statement = statement.where(Unit.id.in_(scope.units))
        rows = await session.execute(statement.order_by(Unit.position, Unit.id))
        return [(uid, key, name) for uid, key, name in rows]


# --- an item's reports and files, units and people --------------------------------------------


@dataclass(frozen=True)
class FileView:
    id: int
    kind: str
    mime_type: str
    size: int
    warnings: list[Any]
    captured_at: datetime | None

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


@dataclass(frozen=True)
class ReportView:
    id: int
    kind: str
    status: str
    text: str
    unit_name: str
    author: str
    created_at: datetime
    requested_due: date | None
    decision_reason: str | None
    files: list[FileView]


async def item_reports(rt: Runtime, item_id: int) -> list[ReportView]:
    """The item's reports, oldest first, each with its files and their warnings."""
    async with rt.db.session() as session:
        rows = (
            await session.execute(
                select(Report, Unit.name, Person.name)
                .join(Assignment, Assignment.id == Report.assignment_id)
                .join(Unit, Unit.id == Assignment.unit_id)
                .join(Person, Person.id == Report.author_id)
                .where(Report.item_id == item_id)
                .order_by(Report.created_at, Report.id)
            )
        ).all()
        report_ids = [report.id for report, _, _ in rows]
        files: dict[int, list[FileView]] = defaultdict(list)
        if report_ids:
            for attachment in await session.scalars(
                select(Attachment)
                .where(Attachment.report_id.in_(report_ids))
                .order_by(Attachment.id)
            ):
                assert attachment.report_id is not None
                files[attachment.report_id].append(
                    FileView(
                        id=attachment.id,
                        kind=attachment.kind,
                        mime_type=attachment.mime_type,
                        size=attachment.size,
                        warnings=list(attachment.warnings or []),
                        captured_at=attachment.captured_at,
                    )
                )
    return [
        ReportView(
            id=report.id,
            kind=report.kind,
            status=report.status,
            text=report.text,
            unit_name=unit_name,
            author=author,
            created_at=report.created_at,
            requested_due=report.requested_due,
            decision_reason=report.decision_reason,
            files=files.get(report.id, []),
        )
        for report, unit_name, author in rows
    ]


async def item_file(rt: Runtime, item_id: int, attachment_id: int) -> tuple[str, str] | None:
    """(relative path, MIME type) of a file attached to one of this item's reports."""
    async with rt.db.session() as session:
        row = (
            await session.execute(
                select(Attachment.path, Attachment.mime_type)
                .join(Report, Report.id == Attachment.report_id)
                .where(Attachment.id == attachment_id, Report.item_id == item_id)
            )
        ).first()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class PersonEntry:
    name: str
    joined: bool
    unreachable: bool


@dataclass(frozen=True)
class UnitEntry:
    key: str
    name: str
    id: int
    leader: PersonEntry | None
    head: PersonEntry | None
    contacts: list[PersonEntry]
    open_items: int
    overdue_items: int


async def unit_directory(rt: Runtime, scope: Scope) -> list[UnitEntry]:
    """The units a scope covers, with their leader, head, contacts and open/overdue counts."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        statement = select(Unit).where(Unit.active).order_by(Unit.position, Unit.id)
        if scope.units is not None:
            statement = statement.where(Unit.id.in_(scope.units))
        units = list(await session.scalars(statement))
        people = {
            p.id: PersonEntry(p.name, p.telegram_chat_id is not None, p.unreachable_at is not None)
            for p in await session.scalars(select(Person).where(Person.active))
        }
        contacts: dict[int, list[PersonEntry]] = defaultdict(list)
        for contact in await session.scalars(select(UnitContact).order_by(UnitContact.position)):
            if contact.person_id in people:
                contacts[contact.unit_id].append(people[contact.person_id])
        open_rows = (
            await session.execute(
                select(Assignment.unit_id, Item.due_at)
                .join(Item, Item.id == Assignment.item_id)
                .where(Item.status.in_([str(s) for s in OPEN_STATUSES]))
            )
        ).all()
    open_count: dict[int, int] = defaultdict(int)
    overdue_count: dict[int, int] = defaultdict(int)
    for unit_id, due_at in open_rows:
        open_count[unit_id] += 1
        if due_at is not None and now > due_at:
            overdue_count[unit_id] += 1
    return [
        UnitEntry(
            key=unit.key,
            name=unit.name,
            id=unit.id,
            leader=people.get(unit.leader_id) if unit.leader_id else None,
            head=people.get(unit.head_id) if unit.head_id else None,
            contacts=contacts.get(unit.id, []),
            open_items=open_count[unit.id],
            overdue_items=overdue_count[unit.id],
        )
        for unit in units
    ]


async def leader_choices(rt: Runtime, scope: Scope) -> list[tuple[str, str]]:
    """(key, name) of the leaders a viewer may filter by: all of them, or only themselves."""
    async with rt.db.session() as session:
        statement = (
            select(Person.key, Person.name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role.in_([Role.PRINCIPAL, Role.DEPUTY]), Person.active)
            .distinct()
            .order_by(Person.key)
        )
        if scope.units is not None:
            statement = statement.where(Person.id == (scope.leader_id or -1))
        return [(key, name) for key, name in await session.execute(statement)]
