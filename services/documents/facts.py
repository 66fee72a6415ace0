"""What a document of an item says: read from the item, its units, its leader, its timeline and
the policy, written as :class:`domain.documents.DocumentFacts`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import documents as rules
from domain.deadlines import local_date, report_terms
from domain.documents import DocumentFacts, DocumentKind, Event
from domain.vocabulary import AssignmentRole, AssignmentStatus, ItemStatus, TimeClass
from services.runtime import Runtime
from storage.models import Assignment, Document, Item, Person, TimelineEvent, Unit

STATUS_NAMES = {
    ItemStatus.DRAFT: "草稿",
    ItemStatus.PENDING_APPROVAL: "待审核",
    ItemStatus.DISPATCHED: "已交办",
    ItemStatus.IN_PROGRESS: "办理中",
    ItemStatus.COMPLETION_SUBMITTED: "已报办结",
    ItemStatus.CLOSED: "已销号",
    ItemStatus.ARCHIVED: "已归档",
}


@dataclass(frozen=True)
class ItemPapers:
    """An item as its documents see it: the row, its units (lead first) and leader's name."""

    item: Item
    units: list[tuple[Assignment, Unit]]
    leader: str

    @property
    def lead(self) -> str:
        return next((u.name for a, u in self.units if a.role == AssignmentRole.LEAD), "")

    @property
    def co_units(self) -> tuple[str, ...]:
        return tuple(u.name for a, u in self.units if a.role == AssignmentRole.CO)

    def open_units(self) -> list[str]:
        names = [u.name for a, u in self.units if a.status != AssignmentStatus.COMPLETED]
        return names or [u.name for _, u in self.units]


async def load_papers(session: AsyncSession, item: Item) -> ItemPapers:
    rows = await session.execute(
        select(Assignment, Unit)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.item_id == item.id)
        .order_by(Assignment.id)
    )
    units = [(assignment, unit) for assignment, unit in rows.all()]
    units.sort(key=lambda pair: pair[0].role != AssignmentRole.LEAD)
    leader = await session.get(Person, item.leader_id) if item.leader_id else None
    return ItemPapers(item, units, leader.name if leader else "")


async def facts_for(
    session: AsyncSession,
    rt: Runtime,
    papers: ItemPapers,
    kind: DocumentKind,
    number: str,
    now: datetime,
    listed: Sequence[Item] = (),
    addressed_to: str | None = None,
) -> DocumentFacts:
    """The facts of the ``kind`` document of ``papers``' item numbered ``number`` at ``now``.

    An urging notice names its overdue items (``items``): ``listed`` when it covers several of
    one unit (``addressed_to``), else the one item."""
    item, policy, today = papers.item, rt.policy.documents, local_date(now, rt.tz)
    extra: dict[str, Any] = {"overdue_days": rules.overdue_days(item.due_date, today)}
    recipient = "、".join(papers.open_units())
    copy_to = policy.copy_to
    if kind is DocumentKind.DISPATCH:
        recipient = "、".join(u.name for _, u in papers.units)
        extra["deadlines"] = _deadlines(rt, item)
    elif kind is DocumentKind.URGING:
        extra["reply_by"] = rules.written_date(rules.reply_by(today, policy.reply_days))
        extra["items"] = [
            rules.overdue_entry(i.code, i.title, i.due_date, today) for i in (listed or [item])
        ]
        recipient = addressed_to or recipient
    elif kind is DocumentKind.TALK:  # the units still open: the ones the talk is with
        extra["attend_by"] = rules.written_date(today + timedelta(days=policy.talk_days))
        extra["urging_numbers"] = await _urging_numbers(session, item.id)
    elif kind is DocumentKind.CRITICISM:
        recipient = policy.criticism_recipient
        copy_to = (*policy.criticism_copy_to, *policy.copy_to)
        extra["reply_by"] = rules.written_date(rules.reply_by(today, policy.reply_days))
        extra["urging_numbers"] = await _urging_numbers(session, item.id)
    else:
        extra.update(await _register(session, rt, item))
    return DocumentFacts(
        kind=kind,
        issuer=policy.issuer,
        number=number,
        recipient=recipient,
        issued=today,
        item_code=item.code,
        item_title=item.title,
        item_body=item.body,
        source=item.source,
        time_class=item.time_class,
        lead_unit=papers.lead,
        co_units=papers.co_units,
        leader=papers.leader,
        dispatched=local_date(item.dispatched_at, rt.tz) if item.dispatched_at else None,
        due=item.due_date,
        copy_to=copy_to,
        extra=extra,
    )


def praise_facts(
    rt: Runtime, units: Sequence[str], text: Sequence[str], number: str, now: datetime
) -> DocumentFacts:
    """A 通报 of praise of ``units`` numbered ``number``: the confirmed ``text`` (its lines),
    to the same bodies and copied to the same ones as a 通报 of criticism."""
    policy = rt.policy.documents
    return DocumentFacts(
        kind=DocumentKind.PRAISE,
        issuer=policy.issuer,
        number=number,
        recipient=policy.criticism_recipient,
        issued=local_date(now, rt.tz),
        lead_unit=units[0] if units else "",
        co_units=tuple(units[1:]),
        copy_to=(*policy.criticism_copy_to, *policy.copy_to),
        extra={"notice_text": list(text)},
    )


def _deadlines(rt: Runtime, item: Item) -> list[str]:
    def day(moment: datetime | None) -> date | None:
        return local_date(moment, rt.tz) if moment else None

    time_class = TimeClass(item.time_class)
    due = "答复建议提案人" if time_class is TimeClass.PROPOSAL else "办结"
    return rules.deadline_lines(
        [
            (day(item.acknowledge_by), "签收"),
            (day(item.plan_by), "研究部署"),
            (day(item.first_feedback_by), "反馈办理情况"),
            (item.due_date, due),
        ],
        report_terms(time_class, rt.policy),
    )


async def _urging_numbers(session: AsyncSession, item_id: int) -> str:
    numbers = await session.scalars(
        select(Document.number)
        .where(Document.item_id == item_id, Document.kind == DocumentKind.URGING.value)
        .order_by(Document.id)
    )
    return "、".join(numbers)


async def _register(session: AsyncSession, rt: Runtime, item: Item) -> dict[str, Any]:
    rows = await session.execute(
        select(TimelineEvent, Unit.name)
        .outerjoin(Unit, Unit.id == TimelineEvent.unit_id)
        .where(TimelineEvent.item_id == item.id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    events = []
    archived = ""
    for event, unit_name in rows.all():
        name = rules.EVENT_NAMES.get(event.kind)
        if name is None:
            continue
        day = rules.written_date(local_date(event.at, rt.tz))
        if event.kind == "archived":
            archived = day
        data = event.data or {}
        what = f"{unit_name}{name}" if unit_name else name
        if event.kind == "document_issued":
            what = f"印发{data.get('title', '')}"
        number = data.get("number") or data.get("code")
        if isinstance(number, str):
            what += f"（{number}）"
        events.append(Event(day, what))
    closed = rules.written_date(local_date(item.closed_at, rt.tz)) if item.closed_at else ""
    return {
        "events": events,
        "status": STATUS_NAMES.get(item.status, str(item.status)),
        "closed": closed,
        "archived": archived,
    }
