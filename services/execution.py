"""Executing an item once it is dispatched: receipts (签收), reports (反馈), leaders' instructions
(批示), and what each person may see (/items, /item, /overdue).

Each public coroutine is one unit of work: it checks who is acting, applies the lifecycle
(:mod:`domain.lifecycle`), appends to the timeline, queues notifications in the same
transaction, and commits. The office's and unit heads' decisions live in
:mod:`services.decisions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction, apply, apply_assignment
from domain.text import check_length
from domain.vocabulary import (
    AssignmentStatus,
    ItemStatus,
    ReportKind,
    Role,
    TimeClass,
)
from services.actors import Actor
from services.outbox import Button, enqueue, notification_key
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import (
    OPEN_STATUSES,
    AssignmentView,
    ItemView,
    TimelineEntry,
    find_item,
    item_view,
    timeline,
)
from storage.models import (
    Assignment,
    ChatPrompt,
    Item,
    Notification,
    Person,
    PersonRole,
    Report,
    ReportDraft,
    TimelineEvent,
    Unit,
    UnitContact,
)
from texts import execution as texts
from texts import items as item_texts

TEXT_MAX = 4000
MAX_FILES = 20
PAGE_SIZE = 8


# --- errors ---------------------------------------------------------------------------------


class NotYourUnit(Forbidden):
    key = N_("This item is not assigned to your unit.")


class NotContact(Forbidden):
    key = N_("Only the unit's contact can acknowledge this item.")


class NotLeader(Forbidden):
    key = N_("Only the leaders in charge can write an instruction on this item.")


class NotVisible(Forbidden):
    key = N_("This item is not one of yours.")


class StaleButton(NotFound):
    key = N_("This button is no longer valid. Please use the latest message.")


# --- shared helpers (also used by services.decisions) ----------------------------------------


@dataclass(frozen=True)
class EvidenceFile:
    """A downloaded file to keep as evidence of a report."""

    data: bytes
    filename: str | None
    mime_type: str | None


async def office_people(session: AsyncSession) -> list[Person]:
    """The supervision office: every active supervisor."""
    return list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.SUPERVISOR, Person.active)
            .order_by(Person.id)
        )
    )


async def unit_contacts(session: AsyncSession, unit_id: int) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(UnitContact, UnitContact.person_id == Person.id)
            .where(UnitContact.unit_id == unit_id, Person.active)
            .order_by(UnitContact.position)
        )
    )


async def unit_people(session: AsyncSession, unit_id: int) -> list[Person]:
    """A unit's contacts, then its head."""
    people = await unit_contacts(session, unit_id)
    unit = await session.get_one(Unit, unit_id)
    if unit.head_id is not None and unit.head_id not in {p.id for p in people}:
        head = await session.get(Person, unit.head_id)
        if head is not None and head.active:
            people.append(head)
    return people


async def item_people(session: AsyncSession, item_id: int) -> list[Person]:
    """Every assigned unit's contacts and head, each once."""
    seen: dict[int, Person] = {}
    for unit_id in await session.scalars(
        select(Assignment.unit_id).where(Assignment.item_id == item_id).order_by(Assignment.id)
    ):
        for person in await unit_people(session, unit_id):
            seen.setdefault(person.id, person)
    return list(seen.values())


async def notify(
    rt: Runtime,
    session: AsyncSession,
    people: Iterable[Person],
    *,
    occasion: str,
    kind: str,
    item: Item,
    render: Any,
    buttons: Any = None,
    not_before: datetime | None = None,
    exclude: int | None = None,
) -> None:
    """Queue one message per person in their language.

    ``render(t, view)`` gives the text, ``buttons(t, view)`` the rows of buttons; ``occasion``
    makes the idempotency key (use a timeline event id or a report id).
    """
    now = rt.clock.now()
    view = await item_view(session, item, now, rt.policy)
    for person in people:
        if person.id == exclude:
            continue
        t = rt.text(person.locale)
        await enqueue(
            session,
            key=notification_key("item", item.id, occasion, kind, person.id),
            person_id=person.id,
            item_id=item.id,
            kind=kind,
            text=render(t, view),
            buttons=buttons(t, view) if buttons is not None else None,
            not_before=not_before or now,
            created_at=now,
        )


async def record_and_notify(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    people: Iterable[Person],
    *,
    at: datetime,
    event: str,
    actor_id: int | None,
    notice: str,
    render: Any,
    buttons: Any = None,
    unit_id: int | None = None,
    detail: str = "",
    data: dict[str, Any] | None = None,
    exclude: int | None = None,
) -> TimelineEvent:
    """Put ``event`` on the item's timeline ``at`` the moment of the change it records, and
    queue its ``notice`` to ``people``, keyed by the event, so a retried unit of work never
    sends it twice."""
    entry = record(
        session,
        item_id=item.id,
        at=at,
        kind=event,
        actor_id=actor_id,
        unit_id=unit_id,
        detail=detail,
        data=data,
    )
    await session.flush()
    await notify(
        rt,
        session,
        people,
        occasion=f"event{entry.id}",
        kind=notice,
        item=item,
        render=render,
        buttons=buttons,
        exclude=exclude,
    )
    return entry


async def commit_and_view(rt: Runtime, session: AsyncSession, item: Item) -> ItemView:
    """Commit the unit of work, wake the sender for what it queued, and show the item."""
    await session.commit()
    view = await item_view(session, item, rt.clock.now(), rt.policy)
    rt.wake_outbox()
    return view


def details_button(t: Any, view: ItemView) -> Button:
    return Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, view.ref))


def report_button(t: Any, view: ItemView) -> Button:
    return Button(t.raw(texts.REPORT), callbacks.make(callbacks.REPORT, view.ref, "start"))


def unit_buttons(t: Any, view: ItemView) -> list[list[Button]]:
    return [[report_button(t, view), details_button(t, view)]]


async def assignments_of(session: AsyncSession, item_id: int) -> list[Assignment]:
    return list(
        await session.scalars(
            select(Assignment).where(Assignment.item_id == item_id).order_by(Assignment.id)
        )
    )


def own_assignment(actor: Actor, assignments: Sequence[Assignment]) -> Assignment:
    """The actor's unit's share of the item (as contact or head), or NotYourUnit."""
    for assignment in assignments:
        if assignment.unit_id in actor.contact_of:
            return assignment
    for assignment in assignments:
        if assignment.unit_id in actor.head_of:
            return assignment
    raise NotYourUnit()


def may_view(actor: Actor, item: Item, unit_ids: set[int]) -> bool:
    if actor.has(Role.SUPERVISOR, Role.PRINCIPAL, Role.ADMIN):
        return True
    if item.leader_id == actor.person_id:
        return True
    return bool(unit_ids & (actor.units | actor.leads))


def may_instruct(actor: Actor, item: Item, unit_ids: set[int]) -> bool:
    if actor.has(Role.PRINCIPAL):
        return True
    if not actor.has(Role.DEPUTY):
        return False
    return item.leader_id == actor.person_id or bool(unit_ids & actor.leads)


def _mark_acknowledged(assignment: Assignment, actor: Actor, now: datetime) -> None:
    assignment.status = str(
        apply_assignment(AssignmentStatus(assignment.status), AssignmentAction.ACKNOWLEDGE)
    )
    assignment.acknowledged_at = now
    assignment.acknowledged_by_id = actor.person_id


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
        assignment = await session.get(Assignment, assignment_id)
        if assignment is None:
            raise StaleButton()
        if assignment.unit_id not in actor.contact_of:
            raise NotContact()
        item = await session.get_one(Item, assignment.item_id)
        already = assignment.acknowledged_at is not None
        if not already:
            item.status = str(apply(ItemStatus(item.status), ItemAction.ACKNOWLEDGE))
            _mark_acknowledged(assignment, actor, now)
            item.updated_at = now
            record(
                session,
                item_id=item.id,
                at=now,
                kind=Kind.ACKNOWLEDGED,
                actor_id=actor.person_id,
                unit_id=assignment.unit_id,
            )
            await session.commit()
        view = await item_view(session, item, now, rt.policy)
    own = next(a for a in view.assignments if a.id == assignment_id)
    return Acknowledged(view, own, already)


# --- reports (反馈) ---------------------------------------------------------------------------

_DATE = re.compile(r"(20\d\d)\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")


def find_date(text: str) -> date | None:
    """The first date written in the text: 2026-12-31, 2026/12/31, 2026.12.31, 2026年12月31日."""
    for match in _DATE.finditer(text):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None


def report_kinds(time_class: str) -> tuple[ReportKind, ...]:
    kinds = [ReportKind.PLAN, ReportKind.PROGRESS]
    if time_class == TimeClass.ROUTINE:
        kinds.append(ReportKind.MONTHLY)
    if time_class == TimeClass.ANNUAL:
        kinds.append(ReportKind.QUARTERLY)
    kinds += [ReportKind.COMPLETION, ReportKind.EXTENSION]
    return tuple(kinds)


@dataclass(frozen=True)
class ReportMenu:
    item: ItemView
    kinds: tuple[ReportKind, ...]


async def report_menu(rt: Runtime, actor: Actor, ref: str) -> ReportMenu:
    """What the actor may report on this item (a contact or head of one of its units)."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        own_assignment(actor, await assignments_of(session, item.id))
        _check_open_for_reports(item)
        view = await item_view(session, item, rt.clock.now(), rt.policy)
    return ReportMenu(view, report_kinds(item.time_class))


def _check_open_for_reports(item: Item) -> None:
    apply(ItemStatus(item.status), ItemAction.REPORT)


@dataclass(frozen=True)
class DraftView:
    id: int
    item: ItemView
    kind: str | None
    text: str
    photos: int
    documents: int
    files: tuple[dict[str, Any], ...]
    requested_due: date | None
    media_group_id: str | None
    prompt_message_id: int | None
    continued_album: bool = False

    @property
    def ready(self) -> bool:
        has_content = bool(self.text.strip() or self.files)
        if self.kind is None or not has_content:
            return False
        return self.kind != ReportKind.EXTENSION or self.requested_due is not None


async def _draft_view(
    rt: Runtime, session: AsyncSession, draft: ReportDraft, continued: bool = False
) -> DraftView:
    item = await session.get_one(Item, draft.item_id)
    files = tuple(dict(f) for f in draft.files or [])
    return DraftView(
        id=draft.id,
        item=await item_view(session, item, rt.clock.now(), rt.policy),
        kind=draft.kind,
        text=draft.text,
        photos=sum(1 for f in files if f.get("type") == "photo"),
        documents=sum(1 for f in files if f.get("type") != "photo"),
        files=files,
        requested_due=find_date(draft.text) if draft.kind == ReportKind.EXTENSION else None,
        media_group_id=draft.media_group_id,
        prompt_message_id=draft.prompt_message_id,
        continued_album=continued,
    )


async def _open_draft(rt: Runtime, session: AsyncSession, actor: Actor, item: Item) -> ReportDraft:
    assignment = own_assignment(actor, await assignments_of(session, item.id))
    _check_open_for_reports(item)
    draft = await session.scalar(
        select(ReportDraft).where(
            ReportDraft.person_id == actor.person_id, ReportDraft.item_id == item.id
        )
    )
    if draft is None:
        now = rt.clock.now()
        draft = ReportDraft(
            person_id=actor.person_id,
            item_id=item.id,
            assignment_id=assignment.id,
            text="",
            files=[],
            created_at=now,
            updated_at=now,
        )
        session.add(draft)
        await session.flush()
    return draft


async def choose_kind(rt: Runtime, actor: Actor, ref: str, kind: str) -> DraftView:
    """Start (or continue) a report of this kind on the item."""
    try:
        chosen = ReportKind(kind)
    except ValueError:
        raise StaleButton() from None
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        if chosen not in report_kinds(item.time_class):
            raise StaleButton()
        draft = await _open_draft(rt, session, actor, item)
        draft.kind = str(chosen)
        draft.updated_at = rt.clock.now()
        await session.commit()
        return await _draft_view(rt, session, draft)


async def add_content(
    rt: Runtime,
    actor: Actor,
    item_id: int,
    *,
    text: str,
    file: dict[str, Any] | None,
    media_group_id: str | None,
    message_id: int,
) -> DraftView:
    """Add text and/or one file (a Telegram file id) to the actor's draft report on the item.

    An album's photos arrive one update at a time; they all join the same draft, and the
    result says when this update continues an album already shown (so the chat edits its
    preview instead of sending another).
    """
    async with rt.db.session() as session:
        item = await session.get(Item, item_id)
        if item is None:
            raise StaleButton()
        draft = await _open_draft(rt, session, actor, item)
        continued = media_group_id is not None and draft.media_group_id == media_group_id
        if text.strip():
            combined = f"{draft.text}\n{text.strip()}" if draft.text else text.strip()
            draft.text = check_length(combined, TEXT_MAX)
        if file is not None:
            files = list(draft.files or [])
            if len(files) >= MAX_FILES:
                raise InvalidInput(N_("A report can carry at most {max} files."), max=MAX_FILES)
            files.append(file)
            draft.files = files
        if media_group_id is not None:
            draft.media_group_id = media_group_id
        if draft.first_message_id is None:
            draft.first_message_id = message_id
        draft.updated_at = rt.clock.now()
        await session.commit()
        return await _draft_view(rt, session, draft, continued)


async def draft_files(rt: Runtime, actor: Actor, draft_id: int) -> tuple[dict[str, Any], ...]:
    """The files (Telegram file ids) of the actor's draft, to download before submitting it."""
    async with rt.db.session() as session:
        draft = await session.get(ReportDraft, draft_id)
        if draft is None or draft.person_id != actor.person_id:
            raise StaleButton()
        return tuple(dict(f) for f in draft.files or [])


async def set_draft_prompt(rt: Runtime, actor: Actor, draft_id: int, message_id: int) -> None:
    async with rt.db.session() as session:
        draft = await session.get(ReportDraft, draft_id)
        if draft is None or draft.person_id != actor.person_id:
            return
        draft.prompt_message_id = message_id
        await session.commit()


async def cancel_draft(rt: Runtime, actor: Actor, draft_id: int) -> None:
    async with rt.db.session() as session:
        result = await session.execute(
            delete(ReportDraft).where(
                ReportDraft.id == draft_id, ReportDraft.person_id == actor.person_id
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise StaleButton()
        await session.commit()


@dataclass(frozen=True)
class Submitted:
    report_id: int
    item: ItemView
    kind: ReportKind
    warnings: list[str] = field(default_factory=list)


async def submit_draft(
    rt: Runtime, actor: Actor, draft_id: int, files: Sequence[EvidenceFile]
) -> Submitted:
    """Turn the confirmed draft into a report; ``files`` are its downloaded files, in order."""
    async with rt.db.session() as session:
        draft = await session.get(ReportDraft, draft_id)
        if draft is None or draft.person_id != actor.person_id:
            raise StaleButton()
        if draft.kind is None:
            raise InvalidInput(N_("Choose the kind of report first."))
        item = await session.get_one(Item, draft.item_id)
        kind = ReportKind(draft.kind)
        requested = find_date(draft.text) if kind == ReportKind.EXTENSION else None
        result = await _submit(
            rt,
            session,
            actor,
            item,
            kind,
            draft.text,
            files,
            requested_due=requested,
            media_group_id=draft.media_group_id,
            source_message_id=draft.first_message_id,
        )
        await session.delete(draft)
        await session.commit()
    rt.wake_outbox()
    return result


async def submit_report(
    rt: Runtime,
    actor: Actor,
    ref: str,
    kind: ReportKind,
    text: str,
    files: Sequence[EvidenceFile] = (),
    *,
    requested_due: date | None = None,
) -> Submitted:
    """Submit a report in one step (tests, other front ends)."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        if requested_due is None and kind == ReportKind.EXTENSION:
            requested_due = find_date(text)
        result = await _submit(
            rt, session, actor, item, kind, text, files, requested_due=requested_due
        )
        await session.commit()
    rt.wake_outbox()
    return result


async def _submit(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    item: Item,
    kind: ReportKind,
    text: str,
    files: Sequence[EvidenceFile],
    *,
    requested_due: date | None,
    media_group_id: str | None = None,
    source_message_id: int | None = None,
) -> Submitted:
    now = rt.clock.now()
    assignment = own_assignment(actor, await assignments_of(session, item.id))
    if kind not in report_kinds(item.time_class):
        raise InvalidInput(N_("This kind of report does not fit this item."))
    text = text.strip()
    if not text and not files:
        raise InvalidInput(N_("The report is empty: add text, a photo or a file."))
    check_length(text, TEXT_MAX)
    today = now.astimezone(rt.tz).date()
    if kind == ReportKind.EXTENSION:
        if requested_due is None:
            raise InvalidInput(N_("An extension request needs the new date, e.g. 2026-12-31."))
        if requested_due <= today or (item.due_date and requested_due <= item.due_date):
            raise InvalidInput(
                N_("The new date {date} must be later than the current due date."),
                date=requested_due.isoformat(),
            )
    # The lifecycle: a report implies receipt, then the item and the unit's share move on.
    acknowledged_now = False
    if AssignmentStatus(assignment.status) is AssignmentStatus.DISPATCHED:
        item.status = str(apply(ItemStatus(item.status), ItemAction.ACKNOWLEDGE))
        _mark_acknowledged(assignment, actor, now)
        acknowledged_now = True
    item_action = (
        ItemAction.REQUEST_EXTENSION if kind == ReportKind.EXTENSION else ItemAction.REPORT
    )
    item.status = str(apply(ItemStatus(item.status), item_action))
    assignment_action = {
        ReportKind.EXTENSION: AssignmentAction.REQUEST_EXTENSION,
        ReportKind.COMPLETION: AssignmentAction.SUBMIT_COMPLETION,
    }.get(kind, AssignmentAction.REPORT)
    assignment.status = str(
        apply_assignment(AssignmentStatus(assignment.status), assignment_action)
    )
    assignment.last_report_at = now
    item.updated_at = now
    if acknowledged_now:
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.ACKNOWLEDGED,
            actor_id=actor.person_id,
            unit_id=assignment.unit_id,
            data={"with_report": True},
        )
    report = Report(
        item_id=item.id,
        assignment_id=assignment.id,
        author_id=actor.person_id,
        kind=str(kind),
        text=text,
        requested_due=requested_due,
        status="submitted",
        media_group_id=media_group_id,
        source_message_id=source_message_id,
        created_at=now,
    )
    session.add(report)
    await session.flush()
    warnings: list[str] = []
    photos = documents = 0
    if files:
        from services.evidence import store_evidence  # the evidence feature's module

        for evidence in files:
            warnings += await store_evidence(
                rt,
                session,
                item_id=item.id,
                report_id=report.id,
                data=evidence.data,
                filename=evidence.filename,
                mime_type=evidence.mime_type,
            )
            if (evidence.mime_type or "").startswith("image/"):
                photos += 1
            else:
                documents += 1
    event_kind = {
        ReportKind.EXTENSION: Kind.EXTENSION_REQUESTED,
        ReportKind.COMPLETION: Kind.COMPLETION_SUBMITTED,
    }.get(kind, Kind.REPORTED)
    record(
        session,
        item_id=item.id,
        at=now,
        kind=event_kind,
        actor_id=actor.person_id,
        unit_id=assignment.unit_id,
        detail=texts.excerpt(text, 500),
        data={
            "report": report.id,
            "kind": str(kind),
            "files": len(files),
            "requested_due": requested_due.isoformat() if requested_due else None,
        },
    )
    unit = await session.get_one(Unit, assignment.unit_id)
    await session.flush()
    if kind == ReportKind.COMPLETION:
        await _completion_to_head(rt, session, actor, item, unit, report, photos, documents)
    else:
        await _report_to_office(
            rt, session, actor, item, unit, report, photos, documents, len(warnings)
        )
    view = await item_view(session, item, now, rt.policy)
    return Submitted(report.id, view, kind, warnings)


async def _report_to_office(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    item: Item,
    unit: Unit,
    report: Report,
    photos: int,
    documents: int,
    warnings: int,
) -> None:
    kind = report.kind

    def render(t: Any, view: ItemView) -> str:
        return texts.report_notice(
            t,
            view,
            unit=unit.name,
            author=actor.name,
            kind=kind,
            text=report.text,
            photos=photos,
            documents=documents,
            requested_due=report.requested_due,
            warnings=warnings,
        )

    def buttons(t: Any, view: ItemView) -> list[list[Button]]:
        if kind == ReportKind.EXTENSION:
            return [
                [
                    Button(
                        t.raw(texts.APPROVE_EXTENSION),
                        callbacks.make(callbacks.EXTENSION_OK, report.id),
                    ),
                    Button(
                        t.raw(texts.REFUSE_EXTENSION),
                        callbacks.make(callbacks.EXTENSION_NO, report.id),
                    ),
                ],
                [details_button(t, view)],
            ]
        return [[details_button(t, view)]]

    await notify(
        rt,
        session,
        await office_people(session),
        occasion=f"report{report.id}",
        kind="extension_request" if kind == ReportKind.EXTENSION else "report",
        item=item,
        render=render,
        buttons=buttons,
    )


async def _completion_to_head(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    item: Item,
    unit: Unit,
    report: Report,
    photos: int,
    documents: int,
) -> None:
    """The head confirms (核签); when the head reports, or the unit has none, it is confirmed."""
    if unit.head_id is None or unit.head_id == actor.person_id:
        from services.decisions import confirm_in_session

        await confirm_in_session(rt, session, actor, report)
        return
    head = await session.get_one(Person, unit.head_id)

    def render(t: Any, view: ItemView) -> str:
        return texts.confirm_request(
            t,
            view,
            unit=unit.name,
            author=actor.name,
            text=report.text,
            photos=photos,
            documents=documents,
        )

    def buttons(t: Any, view: ItemView) -> list[list[Button]]:
        return [
            [
                Button(t.raw(texts.CONFIRM), callbacks.make(callbacks.CONFIRM, report.id)),
                Button(t.raw(texts.DECLINE), callbacks.make(callbacks.DECLINE, report.id)),
            ],
            [details_button(t, view)],
        ]

    await notify(
        rt,
        session,
        [head],
        occasion=f"report{report.id}",
        kind="confirm_request",
        item=item,
        render=render,
        buttons=buttons,
    )


# --- instructions (批示) ----------------------------------------------------------------------


async def instruct(rt: Runtime, actor: Actor, ref: str, text: str) -> ItemView:
    """A leader's written instruction: to the units' contacts and heads and the office."""
    text = text.strip()
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assignments = await assignments_of(session, item.id)
        if not may_instruct(actor, item, {a.unit_id for a in assignments}):
            raise NotLeader()
        if not text:
            raise InvalidInput(N_("The instruction is empty."))
        check_length(text, TEXT_MAX)
        item.status = str(apply(ItemStatus(item.status), ItemAction.INSTRUCT))
        item.updated_at = now
        recipients = await item_people(session, item.id)
        known = {p.id for p in recipients}
        recipients += [p for p in await office_people(session) if p.id not in known]
        await record_and_notify(
            rt,
            session,
            item,
            recipients,
            at=now,
            event=Kind.INSTRUCTED,
            actor_id=actor.person_id,
            detail=text,
            notice="instruction",
            render=lambda t, view: texts.instruction_notice(t, view, leader=actor.name, text=text),
            buttons=lambda t, view: [[details_button(t, view)]],
            exclude=actor.person_id,
        )
        return await commit_and_view(rt, session, item)


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemPage:
    items: list[ItemView]
    page: int
    pages: int
    total: int


def _scope(actor: Actor) -> Any:
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


async def item_card(rt: Runtime, actor: Actor, ref: str, *, recent: int = 8) -> ItemCard:
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assignments = await assignments_of(session, item.id)
        unit_ids = {a.unit_id for a in assignments}
        if not may_view(actor, item, unit_ids):
            raise NotVisible()
        view = await item_view(session, item, now, rt.policy)
        entries = await timeline(session, item.id, limit=recent)
    status = ItemStatus(item.status)
    return ItemCard(
        item=view,
        entries=entries,
        may_report=bool(unit_ids & actor.units) and status in OPEN_STATUSES,
        may_instruct=may_instruct(actor, item, unit_ids) and status in OPEN_STATUSES,
        may_decide=actor.is_office and status is ItemStatus.COMPLETION_SUBMITTED,
    )


# --- replies and prompts --------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyTarget:
    item_id: int | None
    purpose: str | None
    target: str


async def remember_prompt(
    rt: Runtime,
    actor: Actor,
    *,
    chat_id: int,
    message_id: int,
    item_id: int | None,
    purpose: str,
    target: str = "",
) -> None:
    """Note that a bot message asks this person for an answer (a reply routes to ``purpose``)."""
    async with rt.db.session() as session:
        session.add(
            ChatPrompt(
                chat_id=chat_id,
                message_id=message_id,
                person_id=actor.person_id,
                item_id=item_id,
                purpose=purpose,
                target=target,
                created_at=rt.clock.now(),
            )
        )
        await session.commit()


async def reply_target(
    rt: Runtime, actor: Actor, chat_id: int, message_id: int
) -> ReplyTarget | None:
    """What a reply to this bot message is about: a prompt, or an item's notification."""
    async with rt.db.session() as session:
        prompt = await session.scalar(
            select(ChatPrompt).where(
                ChatPrompt.chat_id == chat_id,
                ChatPrompt.message_id == message_id,
                ChatPrompt.person_id == actor.person_id,
            )
        )
        if prompt is not None:
            return ReplyTarget(prompt.item_id, prompt.purpose, prompt.target)
        item_id = await session.scalar(
            select(Notification.item_id).where(
                Notification.person_id == actor.person_id,
                Notification.message_id == message_id,
                Notification.item_id.is_not(None),
            )
        )
        if item_id is not None:
            return ReplyTarget(item_id, None, "")
        draft_item = await session.scalar(
            select(ReportDraft.item_id).where(
                ReportDraft.person_id == actor.person_id,
                ReportDraft.prompt_message_id == message_id,
            )
        )
        if draft_item is not None:
            return ReplyTarget(draft_item, None, "")
    return None


async def item_ref(rt: Runtime, item_id: int) -> str:
    async with rt.db.session() as session:
        item = await session.get(Item, item_id)
        if item is None:
            raise StaleButton()
        return item.ref


async def check_instruct(rt: Runtime, actor: Actor, ref: str) -> ItemView:
    """Refuse now, before the text is typed, an instruction this person may not write."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assignments = await assignments_of(session, item.id)
        if not may_instruct(actor, item, {a.unit_id for a in assignments}):
            raise NotLeader()
        apply(ItemStatus(item.status), ItemAction.INSTRUCT)
        return await item_view(session, item, rt.clock.now(), rt.policy)


async def recent_draft_item(rt: Runtime, actor: Actor, within: timedelta) -> int | None:
    """The item of this person's draft report touched within ``within``, if any (for photos
    sent without replying to the prompt)."""
    since = rt.clock.now() - within
    async with rt.db.session() as session:
        return await session.scalar(
            select(ReportDraft.item_id)
            .where(ReportDraft.person_id == actor.person_id, ReportDraft.updated_at >= since)
            .order_by(ReportDraft.updated_at.desc(), ReportDraft.id.desc())
            .limit(1)
        )
