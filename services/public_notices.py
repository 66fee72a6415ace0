"""Notices of criticism and praise (通报批评, 通报表扬) as acts with a distribution
(``domain.notices``): drafted, previewed to the principal leader and the office, edited,
confirmed and sent once, dropped, or expired by the sweep.

- :func:`draft_criticism`: from an open item, once per item and due date (a second order shows
  the same draft, or says it was sent);
- :func:`draft_praise`: for a unit the office chooses (the weekly bulletin offers its best);
- :func:`edit_notice`, :func:`confirm_notice`, :func:`drop_notice`: on a draft only; confirming
  is one conditional update, then a notice of criticism is issued as a numbered document (通报,
  the confirmed text) in the same transaction, and the notice is queued to each person of its
  distribution under a key naming the notice, with the document as a file, so each gets it once;
- :func:`expire_drafts`: drafts past their time, the office told (run by the sweep);
- :func:`notice_record`: the read model (the API, the 通报 document).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.assessment import year_to_date
from domain.buttons import Button
from domain.deadlines import local_date
from domain.documents import DocumentFacts, DocumentKind
from domain.errors import NotFound
from domain.i18n import N_
from domain.notices import (
    CriticismFacts,
    NoticeClosed,
    NoticeKind,
    NoticeStatus,
    NoticeView,
    check_may_issue,
    check_text,
    distribution,
)
from domain.occasions import basis_due
from domain.vocabulary import Role
from services.documents.facts import praise_facts
from services.documents.issue import issue_document, issue_numbered
from services.escalation import open_item
from services.items import Origin
from services.outbox.kinds import CRITICISM, OFFICE_ALERT
from services.outbox.queue import enqueue
from services.recipients import office_people, role_people, unit_people
from services.runtime import Runtime
from services.stats import compute_stats
from services.talks import open_shares, unit_names
from services.timeline import Kind, record_change
from storage.models import Document, Item, Organisation, Person, PublicNotice, Talk, Unit
from storage.models import TimelineEvent as Event
from texts import Text
from texts import notices as texts


class UnknownNotice(NotFound):
    key = N_("No such notice.")


class UnknownUnit(NotFound):
    key = N_("No such unit.")


@dataclass(frozen=True)
class Drafted:
    notice: NoticeView
    already: bool  # ordered before: the same notice, nothing new


@dataclass(frozen=True)
class Sent:
    """A confirmed notice: queued to ``people``, with its 通报 document (``document_id``,
    ``number``)."""

    notice: NoticeView
    people: int
    document_id: int
    number: str


async def _criticism_facts(rt: Runtime, session: AsyncSession, item: Item) -> CriticismFacts:
    now = rt.clock.now()
    units = await unit_names(session, await _open_units(session, item))
    notices = await session.scalars(
        select(Event.detail).where(Event.item_id == item.id, Event.kind == Kind.NOTICE_ISSUED)
    )
    talks = await session.scalars(
        select(Talk.held_on).where(Talk.item_id == item.id, Talk.held_on.is_not(None))
    )
    today = local_date(now, rt.tz)
    due = item.due_date or today
    return CriticismFacts(
        units=units,
        code=item.code,
        title=item.title,
        due=due,
        overdue_days=max((today - due).days, 0),
        urging_notices=tuple(notices),
        talks_held=tuple(day for day in talks if day is not None),
        reply_by=today + timedelta(days=rt.policy.notices.reply_within_days),
    )


async def draft_criticism(rt: Runtime, origin: Origin, ref: str) -> Drafted:
    """通报批评 ordered on an item: its draft, previewed to the principal leaders and office."""
    check_may_issue(origin.actor, NoticeKind.CRITICISM)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await open_item(session, ref)
        basis = basis_due(item.due_date)
        found = await session.scalar(
            select(PublicNotice).where(
                PublicNotice.item_id == item.id,
                PublicNotice.basis == basis,
                PublicNotice.status.in_([NoticeStatus.DRAFT, NoticeStatus.SENT]),
            )
        )
        if found is not None:
            return Drafted(await _view(session, found), already=True)
        facts = await _criticism_facts(rt, session, item)
        text = texts.criticism_draft(rt.text(None), facts)
        notice = await _new(rt, session, origin, NoticeKind.CRITICISM, text, item, basis)
        notice.unit_ids = await _open_units(session, item)
        _on_timeline(
            session,
            item,
            now,
            Kind.CRITICISM_ORDERED,
            origin,
            facts.units,
            notice=notice.id,
            basis=basis,
        )
        drafted = await _preview(rt, session, notice)
        await session.commit()
    rt.wake_outbox()
    return Drafted(drafted, already=False)


async def draft_praise(rt: Runtime, origin: Origin, unit_key: str) -> Drafted:
    """通报表扬 of a unit the office chooses; the draft gives its on-time rate this year."""
    check_may_issue(origin.actor, NoticeKind.PRAISE)
    async with rt.db.session() as session:
        unit = await session.scalar(select(Unit).where(Unit.key == unit_key, Unit.active))
    if unit is None:
        raise UnknownUnit()
    today = local_date(rt.clock.now(), rt.tz)
    stats = await compute_stats(rt, year_to_date(today), unit_ids=frozenset({unit.id}))
    rate = next((row.on_time_rate for row in stats.units if row.key == unit.key), None)
    async with rt.db.session() as session:
        text = texts.praise_draft(rt.text(None), unit.name, rate)
        notice = await _new(rt, session, origin, NoticeKind.PRAISE, text, None, "")
        notice.unit_ids = [unit.id]
        drafted = await _preview(rt, session, notice)
        await session.commit()
    rt.wake_outbox()
    return Drafted(drafted, already=False)


async def _new(
    rt: Runtime,
    session: AsyncSession,
    origin: Origin,
    kind: NoticeKind,
    text: str,
    item: Item | None,
    basis: str,
) -> PublicNotice:
    now = rt.clock.now()
    notice = PublicNotice(
        kind=kind,
        item_id=item.id if item else None,
        unit_ids=[],
        basis=basis,
        text=text,
        status=NoticeStatus.DRAFT,
        ordered_by_id=origin.person_id,
        ordered_at=now,
        expires_at=now + timedelta(hours=rt.policy.notices.confirm_within_hours),
    )
    session.add(notice)
    await session.flush()
    return notice


def _on_timeline(
    session: AsyncSession,
    item: Item,
    now: datetime,
    kind: str,
    origin: Origin,
    units: Sequence[str],
    **data: object,
) -> None:
    """A step of the notice on its item's timeline, naming the units it is about."""
    record_change(
        session, item, now, kind, actor_id=origin.person_id, detail="、".join(units), data=data
    )


async def _deciders(session: AsyncSession) -> list[Person]:
    people = {p.id: p for p in await role_people(session, Role.PRINCIPAL)}
    return list((people | {p.id: p for p in await office_people(session)}).values())


async def _preview(rt: Runtime, session: AsyncSession, notice: PublicNotice) -> NoticeView:
    """Queue the draft's preview, with its buttons, to the principal leaders and the office."""
    view = await _view(session, notice)
    revision = notice.decided_at.isoformat() if notice.decided_at else "first"
    for person in await _deciders(session):
        t = rt.text(person.locale)
        await enqueue(
            session,
            key=f"notice:{notice.id}|preview:{revision}|person:{person.id}",
            person_id=person.id,
            kind=CRITICISM,
            text=texts.preview(t, view, rt.tz),
            buttons=_preview_buttons(t, notice.id),
            not_before=rt.clock.now(),
            created_at=rt.clock.now(),
        )
    return view


def _preview_buttons(t: Text, notice_id: int) -> list[list[Button]]:
    return [
        [
            Button(t.raw(texts.CONFIRM), callbacks.make(callbacks.NOTICE, notice_id, "ok")),
            Button(t.raw(texts.EDIT), callbacks.make(callbacks.NOTICE, notice_id, "edit")),
        ],
        [Button(t.raw(texts.DROP), callbacks.make(callbacks.NOTICE, notice_id, "drop"))],
    ]


async def _draft(session: AsyncSession, origin: Origin, notice_id: int) -> PublicNotice:
    notice = await session.get(PublicNotice, notice_id)
    if notice is None:
        raise UnknownNotice()
    check_may_issue(origin.actor, NoticeKind(notice.kind))
    if notice.status != NoticeStatus.DRAFT:
        raise NoticeClosed()
    return notice


async def check_draft(rt: Runtime, origin: Origin, notice_id: int) -> NoticeView:
    """The draft ``origin`` may edit now (checked before asking for the new text)."""
    async with rt.db.session() as session:
        return await _view(session, await _draft(session, origin, notice_id))


async def edit_notice(rt: Runtime, origin: Origin, notice_id: int, text: str) -> NoticeView:
    """A new text for a draft; the new preview is queued for confirmation."""
    cleaned = check_text(text)
    async with rt.db.session() as session:
        notice = await _draft(session, origin, notice_id)
        notice.text = cleaned
        notice.decided_by_id, notice.decided_at = origin.person_id, rt.clock.now()
        view = await _preview(rt, session, notice)
        await session.commit()
    rt.wake_outbox()
    return view


async def _close(
    session: AsyncSession, rt: Runtime, origin: Origin, notice_id: int, status: NoticeStatus
) -> PublicNotice:
    """Move a draft to ``status`` with one conditional update: only one caller ever does."""
    notice = await _draft(session, origin, notice_id)
    moved = await session.execute(
        update(PublicNotice)
        .where(
            PublicNotice.id == notice_id,
            PublicNotice.status == NoticeStatus.DRAFT,
            PublicNotice.expires_at > rt.clock.now(),
        )
        .values(status=status, decided_by_id=origin.person_id, decided_at=rt.clock.now())
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise NoticeClosed()
    await session.refresh(notice)
    return notice


async def confirm_notice(rt: Runtime, origin: Origin, notice_id: int) -> Sent:
    """Send the draft to its distribution, once, with its 通报 document."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        notice = await _close(session, rt, origin, notice_id, NoticeStatus.SENT)
        view = await _view(session, notice)
        item = await session.get(Item, notice.item_id) if notice.item_id is not None else None
        paper = await _issue_paper(rt, session, origin, item, view)
        queued = 0
        for person, copied_as in await _distribution(rt, session, notice):
            t = rt.text(person.locale)
            queued += await enqueue(
                session,
                key=f"notice:{notice.id}|sent|person:{person.id}",
                person_id=person.id,
                kind=CRITICISM,
                text=texts.sent(t, view, copied_as),
                not_before=now,
                created_at=now,
                document_id=paper.id,
            )
        if item is not None:
            _on_timeline(
                session,
                item,
                now,
                Kind.CRITICISM_ISSUED,
                origin,
                view.units,
                notice=notice.id,
                people=queued,
                document=paper.id,
                number=paper.number,
            )
        await session.commit()
    rt.wake_outbox()
    return Sent(view, queued, paper.id, paper.number)


async def _issue_paper(
    rt: Runtime, session: AsyncSession, origin: Origin, item: Item | None, view: NoticeView
) -> Document:
    """The notice as a document (通报), numbered in the transaction that confirms it, saying
    the confirmed text: of criticism, about its item; of praise, about no item."""
    lines = [line.strip() for line in view.text.splitlines() if line.strip()]
    if lines and lines[0] == texts.heading(rt.text(None), view.kind, view.units):
        lines = lines[1:]  # the draft's first line names it: the document's title does that
    now = rt.clock.now()
    if item is None:

        async def facts(number: str) -> DocumentFacts:
            return praise_facts(rt, view.units, lines, number, now)

        return await issue_numbered(
            session, rt, DocumentKind.PRAISE, now, facts, item_id=None, actor_id=origin.person_id
        )
    return await issue_document(
        session,
        rt,
        item,
        DocumentKind.CRITICISM,
        rt.clock.now(),
        actor_id=origin.person_id,
        fields={"notice_text": lines},
    )


async def _distribution(
    rt: Runtime, session: AsyncSession, notice: PublicNotice
) -> list[tuple[Person, str | None]]:
    """Who a confirmed notice goes to (``domain.notices.distribution``), and for the copied
    organisations' members, the organisation's name."""
    unit_people_ids = [p.id for unit in notice.unit_ids for p in await unit_people(session, unit)]
    deputies = [p.id for p in await role_people(session, Role.DEPUTY)]
    bodies = list(
        await session.scalars(
            select(Organisation).where(Organisation.active).order_by(Organisation.position)
        )
    )
    policy = rt.policy.notices
    ids = distribution(
        unit_people_ids,
        deputies,
        [body.member_ids for body in bodies],
        copy_deputies=policy.copy_deputy_leaders,
        copy_organisations=policy.copy_organisations,
    )
    people = {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(ids)))}
    member_of = {m: body.name for body in reversed(bodies) for m in body.member_ids}
    early = set(unit_people_ids) | (set(deputies) if policy.copy_deputy_leaders else set())
    return [
        (people[i], None if i in early else member_of.get(i))
        for i in ids
        if i in people and people[i].active
    ]


async def drop_notice(rt: Runtime, origin: Origin, notice_id: int) -> NoticeView:
    async with rt.db.session() as session:
        notice = await _close(session, rt, origin, notice_id, NoticeStatus.DROPPED)
        view = await _view(session, notice)
        await session.commit()
    return view


async def expire_drafts(rt: Runtime, now: datetime) -> int:
    """Drafts left unconfirmed past ``now`` expire; the office is told of each."""
    async with rt.db.session() as session:
        due = list(
            await session.scalars(
                select(PublicNotice).where(
                    PublicNotice.status == NoticeStatus.DRAFT, PublicNotice.expires_at <= now
                )
            )
        )
        for notice in due:
            notice.status = NoticeStatus.EXPIRED
            view = await _view(session, notice)
            for person in await office_people(session):
                await enqueue(
                    session,
                    key=f"notice:{notice.id}|expired|person:{person.id}",
                    person_id=person.id,
                    kind=OFFICE_ALERT,
                    text=texts.expired_alert(rt.text(person.locale), view, view.expires_at, rt.tz),
                    not_before=now,
                    created_at=now,
                )
        await session.commit()
    if due:
        rt.wake_outbox()
    return len(due)


async def _open_units(session: AsyncSession, item: Item) -> list[int]:
    return [unit for _, unit in await open_shares(session, item)]


async def _view(session: AsyncSession, notice: PublicNotice) -> NoticeView:
    wanted = [i for i in (notice.ordered_by_id, notice.decided_by_id) if i is not None]
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    names: dict[int, str] = {person_id: name for person_id, name in rows}
    ref = await session.scalar(select(Item.ref).where(Item.id == notice.item_id))
    return NoticeView(
        id=notice.id,
        kind=NoticeKind(notice.kind),
        status=NoticeStatus(notice.status),
        item_ref=ref,
        units=await unit_names(session, list(notice.unit_ids)),
        text=notice.text,
        ordered_by=names.get(notice.ordered_by_id or 0),
        ordered_at=notice.ordered_at,
        expires_at=notice.expires_at,
        decided_by=names.get(notice.decided_by_id or 0),
        decided_at=notice.decided_at,
    )


async def notice_record(rt: Runtime, notice_id: int) -> NoticeView:
    """One notice: the hook for the notice of criticism document (通报)."""
    async with rt.db.session() as session:
        notice = await session.get(PublicNotice, notice_id)
        if notice is None:
            raise UnknownNotice()
        return await _view(session, notice)


async def item_notices(session: AsyncSession, item_id: int) -> list[NoticeView]:
    rows = await session.scalars(
        select(PublicNotice).where(PublicNotice.item_id == item_id).order_by(PublicNotice.id)
    )
    return [await _view(session, notice) for notice in rows]
