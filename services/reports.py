"""Submitting a unit's report (反馈) on an item: the checks of :mod:`domain.reports`, the
lifecycle's moves, the evidence kept with it, its timeline event, and who is told — the
office, or for a completion report the unit's head, who signs it off (核签).

Each public coroutine is one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.authority import Actor
from domain.buttons import Button
from domain.chases import PeriodState, Reports
from domain.dates import date_in
from domain.deadlines import local_date
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_
from domain.lifecycle import apply
from domain.proposals import ANSWER_CLASS, ANSWER_KINDS, proposal_statuses
from domain.rectification import Problem
from domain.reports import assignment_action, check_report, item_action
from domain.views import ItemView
from domain.vocabulary import (
    AssignmentRole,
    AssignmentStatus,
    Duty,
    GroupTopic,
    ReportKind,
    ReportStatus,
    TimeClass,
)
from services.actors import load_actor
from services.assignments import assignments_of, mark_received, move_share, own_assignment
from services.chases import answered_late, share_reports
from services.decisions import confirm_in_session
from services.drafts import own_draft
from services.evidence import store_evidence
from services.notices import ButtonRows, Notice, details_button, details_only, notify
from services.recipients import office_people, unit_people
from services.rectification import answer_problems
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import find_item, in_item_order, item_view, share_rows
from storage.models import Assignment, Item, Person, Report, Unit
from texts import Text
from texts import execution as texts

# The timeline event of each kind of report; other kinds are "reported".
_EVENTS = {
    ReportKind.EXTENSION: Kind.EXTENSION_REQUESTED,
    ReportKind.COMPLETION: Kind.COMPLETION_SUBMITTED,
}


@dataclass(frozen=True)
class EvidenceFile:
    """A downloaded file to keep as evidence of a report."""

    data: bytes
    filename: str | None
    mime_type: str | None


@dataclass(frozen=True)
class Submitted:
    report_id: int
    item: ItemView
    kind: ReportKind
    warnings: list[str] = field(default_factory=list)
    problems: tuple[Problem, ...] = ()  # 整改: the problems after this report answered some
    owes: tuple[tuple[Duty, date], ...] = ()  # after an answer to the proposer: what is next


@dataclass(frozen=True)
class _Content:
    """What a report says, as the person sent it."""

    kind: ReportKind
    text: str
    files: Sequence[EvidenceFile]
    requested_due: date | None
    media_group_id: str | None = None
    source_message_id: int | None = None
    via_api: bool = False  # recorded by the office through the API on the unit's behalf


@dataclass
class _Kept:
    """What the report's files came to: photos, documents, and the evidence checks' warnings."""

    photos: int = 0
    documents: int = 0
    warnings: list[str] = field(default_factory=list)


def _requested_due(rt: Runtime, kind: ReportKind, text: str) -> date | None:
    """The new due date an extension request's text asks for (none for other kinds)."""
    if kind != ReportKind.EXTENSION:
        return None
    return date_in(text, local_date(rt.clock.now(), rt.tz))


async def submit_draft(
    rt: Runtime, actor: Actor, draft_id: int, files: Sequence[EvidenceFile]
) -> Submitted:
    """Turn the confirmed draft into a report; ``files`` are its downloaded files, in order."""
    async with rt.db.session() as session:
        draft = await own_draft(session, actor, draft_id)
        if draft.kind is None:
            raise InvalidInput(N_("Choose the kind of report first."))
        item = await session.get_one(Item, draft.item_id)
        kind = ReportKind(draft.kind)
        requested = _requested_due(rt, kind, draft.text)
        content = _Content(
            kind, draft.text, files, requested, draft.media_group_id, draft.first_message_id
        )
        result = await _submit(rt, session, actor, item, content)
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
        if requested_due is None:
            requested_due = _requested_due(rt, kind, text)
        result = await _submit(rt, session, actor, item, _Content(kind, text, files, requested_due))
        await session.commit()
    rt.wake_outbox()
    return result


async def record_answer(
    rt: Runtime,
    ref: str,
    answer: ReportKind,
    text: str,
    *,
    unit_key: str | None = None,
    person_key: str | None = None,
) -> Submitted:
    """The office records a unit's answer to the proposer (答复 A/B/C) on its behalf, as the
    API does: the report is the unit's (``unit_key``, default the lead unit), written by
    ``person_key`` (one of its contacts or its head; default its first contact, else its head),
    and the timeline marks it recorded through the API. It then owes what an answer owes."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        actor = await _answerer(session, item, unit_key, person_key)
        content = _Content(answer, text, (), None, via_api=True)
        result = await _submit(rt, session, actor, item, content)
        await session.commit()
    rt.wake_outbox()
    return result


async def _answerer(
    session: AsyncSession, item: Item, unit_key: str | None, person_key: str | None
) -> Actor:
    """Who answers for the unit: the person named (its contact or head), or its first contact,
    else its head; acting for that unit only, whatever else they belong to."""
    shares = await assignments_of(session, item.id)
    lead = next(a.unit_id for a in shares if a.role == AssignmentRole.LEAD)
    found = await session.scalars(select(Unit).where(Unit.id.in_([a.unit_id for a in shares])))
    unit = next((u for u in found if (u.key == unit_key if unit_key else u.id == lead)), None)
    if unit is None:
        raise InvalidInput(N_("{unit} is not a unit of this item."), unit=unit_key, field="unit")
    people = await unit_people(session, unit.id)
    person = next((p for p in people if p.key == person_key), None) if person_key else None
    if person_key and person is None:
        raise InvalidInput(
            N_("{person} is not a contact or the head of {unit}."),
            person=person_key,
            unit=unit.name,
            field="person",
        )
    person = person or (people[0] if people else None)
    if person is None:
        raise Conflict(N_("{unit} has no contact or head to answer for it."), unit=unit.name)
    actor = await load_actor(session, person)
    return replace(
        actor,
        contact_of=actor.contact_of & {unit.id},
        head_of=actor.head_of & {unit.id},
    )


async def _submit(
    rt: Runtime, session: AsyncSession, actor: Actor, item: Item, content: _Content
) -> Submitted:
    now = rt.clock.now()
    kind = content.kind
    rows = await share_rows(session, [item.id])
    assignment = own_assignment(actor, in_item_order(rows))
    text = check_report(
        kind,
        time_class=item.time_class,
        text=content.text,
        files=len(content.files),
        requested_due=content.requested_due,
        today=now.astimezone(rt.tz).date(),
        due_date=item.due_date,
    )
    before = (await share_reports(session, [assignment.id]))[assignment.id]
    late = answered_late(rt, item, before, kind)
    _move_on(session, actor, item, assignment, kind, now)
    report = Report(
        item_id=item.id,
        assignment_id=assignment.id,
        author_id=actor.person_id,
        kind=kind,
        text=text,
        requested_due=content.requested_due,
        status=ReportStatus.SUBMITTED,
        media_group_id=content.media_group_id,
        source_message_id=content.source_message_id,
        created_at=now,
    )
    session.add(report)
    await session.flush()
    kept = await _keep_files(rt, session, report, content.files)
    problems: tuple[Problem, ...] = ()
    if item.reopened_at is not None and kind is not ReportKind.EXTENSION:
        problems = await answer_problems(session, report, assignment.unit_id, now)
    answered = [p.number for p in problems if p.report_id == report.id]
    record(
        session,
        item_id=item.id,
        at=now,
        kind=_EVENTS.get(kind, Kind.REPORTED),
        actor_id=actor.person_id,
        unit_id=assignment.unit_id,
        detail=texts.excerpt(text, 500),
        data={
            "report": report.id,
            "kind": str(kind),
            "files": len(content.files),
            "requested_due": report.requested_due.isoformat() if report.requested_due else None,
            "late": [{"duty": str(one.duty), "by": one.by.isoformat()} for one in late],
            **({"problems": answered} if answered else {}),
            **({"via": "api"} if content.via_api else {}),
            **_answer_proposer(item, assignment, kind, now),
        },
    )
    await _tell(rt, session, actor, item, assignment, report, kept)
    view = await item_view(session, item, now, rt.policy, rows=rows)
    owes = _owed_after_answer(rt, item, (*before, (kind, now)), kind, now)
    return Submitted(report.id, view, kind, kept.warnings, problems, owes)


def _owed_after_answer(
    rt: Runtime, item: Item, reports: Reports, kind: ReportKind, now: datetime
) -> tuple[tuple[Duty, date], ...]:
    """After an answer to the proposer, the reports it owes next and their dates (the chat
    tells the unit what to send by when)."""
    if kind not in ANSWER_KINDS:
        return ()
    statuses = proposal_statuses(
        TimeClass(item.time_class), reports, now, rt.policy, rt.calendar, rt.tz
    )
    return tuple((duty, s.report_on) for duty, s in statuses if s.state is PeriodState.OPEN)


def _answer_proposer(
    item: Item, assignment: Assignment, kind: ReportKind, now: datetime
) -> dict[str, Any]:
    """The lead unit's answer to the proposer (答复) meets the proposal's due date: from now on
    the item is tracked by the reports the answer owes (``domain.proposals``), not by the
    ladder. What the timeline records of it: the class, and the due date it met or missed."""
    if kind not in ANSWER_KINDS:
        return {}
    data: dict[str, Any] = {"answer": ANSWER_CLASS[kind]}
    lead = assignment.role == AssignmentRole.LEAD
    if lead and item.due_at is not None and item.due_date is not None:
        data |= {"due_was": item.due_date.isoformat(), "answered_late": now > item.due_at}
        item.due_date, item.due_at = None, None
    return data


def _move_on(
    session: AsyncSession,
    actor: Actor,
    item: Item,
    assignment: Assignment,
    kind: ReportKind,
    now: datetime,
) -> None:
    """A report implies receipt; then the item and the unit's share move on."""
    if assignment.status == AssignmentStatus.DISPATCHED:
        mark_received(session, item, assignment, actor, now, data={"with_report": True})
    item.status = apply(item.status, item_action(kind))
    move_share(assignment, assignment_action(kind))
    assignment.last_report_at = now
    item.updated_at = now


async def _keep_files(
    rt: Runtime, session: AsyncSession, report: Report, files: Sequence[EvidenceFile]
) -> _Kept:
    kept = _Kept()
    for evidence in files:
        kept.warnings += await store_evidence(
            rt,
            session,
            item_id=report.item_id,
            report_id=report.id,
            data=evidence.data,
            filename=evidence.filename,
            mime_type=evidence.mime_type,
        )
        if (evidence.mime_type or "").startswith("image/"):
            kept.photos += 1
        else:
            kept.documents += 1
    return kept


async def _tell(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    item: Item,
    assignment: Assignment,
    report: Report,
    kept: _Kept,
) -> None:
    """A completion report goes to the unit's head; any other report to the office."""
    unit = await session.get_one(Unit, assignment.unit_id)
    await session.flush()
    sent = texts.SentReport(
        unit=unit.name,
        author=actor.name,
        kind=report.kind,
        text=report.text,
        photos=kept.photos,
        documents=kept.documents,
        requested_due=report.requested_due,
    )
    if report.kind == ReportKind.COMPLETION:
        await _completion_to_head(rt, session, actor, item, unit, report, sent)
    else:
        await _report_to_office(rt, session, item, report, sent, len(kept.warnings))


async def _report_to_office(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    report: Report,
    sent: texts.SentReport,
    warnings: int,
) -> None:
    extension = report.kind == ReportKind.EXTENSION
    notice = Notice(
        "extension_request" if extension else "report",
        lambda t, view: texts.report_notice(t, view, sent, warnings=warnings),
        _extension_buttons(report.id) if extension else details_only,
        group=GroupTopic.EXTENSION if extension else None,
    )
    await notify(
        rt, session, await office_people(session), notice, item=item, occasion=f"report{report.id}"
    )


def _extension_buttons(report_id: int) -> ButtonRows:
    def buttons(t: Text, view: ItemView) -> list[list[Button]]:
        return [
            [
                Button(
                    t.raw(texts.APPROVE_EXTENSION),
                    callbacks.make(callbacks.EXTENSION_OK, report_id),
                ),
                Button(
                    t.raw(texts.REFUSE_EXTENSION),
                    callbacks.make(callbacks.EXTENSION_NO, report_id),
                ),
            ],
            [details_button(t, view)],
        ]

    return buttons


async def _completion_to_head(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    item: Item,
    unit: Unit,
    report: Report,
    sent: texts.SentReport,
) -> None:
    """The head confirms (核签); when the head reports, or the unit has none, it is confirmed."""
    if unit.head_id is None or unit.head_id == actor.person_id:
        await confirm_in_session(rt, session, actor, report)
        return
    head = await session.get_one(Person, unit.head_id)

    def buttons(t: Text, view: ItemView) -> list[list[Button]]:
        return [
            [
                Button(t.raw(texts.CONFIRM), callbacks.make(callbacks.CONFIRM, report.id)),
                Button(t.raw(texts.DECLINE), callbacks.make(callbacks.DECLINE, report.id)),
            ],
            [details_button(t, view)],
        ]

    notice = Notice(
        "confirm_request", lambda t, view: texts.confirm_request(t, view, sent), buttons
    )
    await notify(rt, session, [head], notice, item=item, occasion=f"report{report.id}")
