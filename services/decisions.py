"""Decisions on an item under way: the unit head's sign-off (核签), the office's close (销号) or
return (退回) and extension decisions (延期); the follow-up check (回头看) and rectification
(整改) after the close are in ``services.follow_up``, what every decision does in
``services.deciding``.

The office acts in chat (an :class:`Origin` with a supervisor) or through the API
(``Origin(None, via_api=True)``). Each public coroutine is one unit of work: it checks who
decides, then reads as its rule — the lifecycle's move, what changes, who is told — while a
:class:`Decision` does what every decision does (record it on the timeline, queue its notice,
commit, show the item).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.authority import Actor
from domain.buttons import Button
from domain.errors import Forbidden, InvalidInput
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction, apply
from domain.views import ItemView
from domain.vocabulary import (
    AssignmentRole,
    AssignmentStatus,
    GroupTopic,
    ReportKind,
    ReportStatus,
)
from services import complaint_triage
from services.assignments import assignments_of, move_share
from services.deciding import (
    AlreadyDecided,
    Decision,
    move_due,
    office_decision,
    reason_text,
    redate,
    via,
)
from services.execution_errors import StaleButton
from services.follow_up import check_follow_up_open, schedule_follow_up
from services.items import Origin, require_office
from services.notices import (
    Notice,
    commit_and_view,
    details_button,
    details_only,
    unit_buttons,
)
from services.recipients import item_people, office_people, unit_people
from services.runtime import Runtime
from services.timeline import Kind
from services.views import find_item, item_view
from storage.models import Assignment, Item, Person, Report, Unit
from texts import Text
from texts import execution as texts


class NotHead(Forbidden):
    key = N_("Only the head of the unit can confirm or send back its completion report.")


async def _report(session: AsyncSession, report_id: int, kind: ReportKind) -> Report:
    report = await session.get(Report, report_id)
    if report is None or report.kind != kind:
        raise StaleButton()
    return report


async def _pending_completion(
    session: AsyncSession, actor: Actor, report_id: int
) -> tuple[Report, Assignment]:
    """A completion report still waiting for the sign-off of its unit's head, the actor."""
    report = await _report(session, report_id, ReportKind.COMPLETION)
    assignment = await session.get_one(Assignment, report.assignment_id)
    if assignment.unit_id not in actor.head_of:
        raise NotHead()
    if report.status != ReportStatus.SUBMITTED:
        raise AlreadyDecided()
    return report, assignment


# --- the unit head: 核签 ---------------------------------------------------------------------


async def confirm_completion(rt: Runtime, actor: Actor, report_id: int) -> ItemView:
    async with rt.db.session() as session:
        report, _assignment = await _pending_completion(session, actor, report_id)
        await confirm_in_session(rt, session, actor, report)
        return await commit_and_view(rt, session, await session.get_one(Item, report.item_id))


async def confirm_in_session(
    rt: Runtime, session: AsyncSession, actor: Actor, report: Report
) -> None:
    """The unit's completion is confirmed; the lead unit's sends the item to the office."""
    now = rt.clock.now()
    assignment = await session.get_one(Assignment, report.assignment_id)
    item = await session.get_one(Item, report.item_id)
    decision = Decision(rt, session, item, actor.person_id, now)
    move_share(assignment, AssignmentAction.CONFIRM)
    lead = assignment.role == AssignmentRole.LEAD
    if lead:
        decision.move(ItemAction.SUBMIT_COMPLETION)
    report.status = ReportStatus.CONFIRMED
    report.confirmed_by_id = actor.person_id
    report.confirmed_at = now
    unit = await session.get_one(Unit, assignment.unit_id)

    def buttons(t: Text, view: ItemView) -> list[list[Button]]:
        rows = []
        if lead:
            rows.append(
                [
                    Button(t.raw(texts.CLOSE), callbacks.make(callbacks.CLOSE, view.ref)),
                    Button(t.raw(texts.RETURN), callbacks.make(callbacks.RETURN, view.ref)),
                ]
            )
        rows.append([details_button(t, view)])
        return rows

    await decision.announce(
        Kind.CONFIRMED,
        await office_people(session),
        Notice(
            "completion",
            lambda t, view: texts.completion_to_office(
                t, view, unit=unit.name, head=actor.name, text=report.text, lead=lead
            ),
            buttons,
            group=GroupTopic.VERIFICATION,
        ),
        unit_id=assignment.unit_id,
        data={"report": report.id, "lead": lead},
    )


async def decline_completion(rt: Runtime, actor: Actor, report_id: int, reason: str) -> ItemView:
    now = rt.clock.now()
    async with rt.db.session() as session:
        report, assignment = await _pending_completion(session, actor, report_id)
        text = reason_text(reason, required=True)
        move_share(assignment, AssignmentAction.DECLINE)
        item = await session.get_one(Item, report.item_id)
        decision = Decision(rt, session, item, actor.person_id, now)
        decision.settle(report, ReportStatus.DECLINED, text)
        await decision.announce(
            Kind.DECLINED,
            [await session.get_one(Person, report.author_id)],
            Notice(
                "declined",
                lambda t, view: texts.declined_notice(t, view, head=actor.name, reason=text),
                unit_buttons,
            ),
            unit_id=assignment.unit_id,
            detail=text,
            data={"report": report.id},
        )
        return await decision.done()


# --- the office: 销号 / 退回 ------------------------------------------------------------------


async def _lead_completion(session: AsyncSession, item: Item) -> tuple[Assignment, Report | None]:
    assignments = await assignments_of(session, item.id)
    lead = next(a for a in assignments if a.role == AssignmentRole.LEAD)
    report = await session.scalar(
        select(Report)
        .where(
            Report.assignment_id == lead.id,
            Report.kind == ReportKind.COMPLETION,
            Report.status == ReportStatus.CONFIRMED,
        )
        .order_by(Report.id.desc())
    )
    return lead, report


async def close_item(
    rt: Runtime,
    origin: Origin,
    ref: str,
    *,
    answer: str | None = None,
    follow_up_on: date | None = None,
) -> ItemView:
    """Accept the lead unit's completion and close the item (销号); answers its complaints."""
    require_office(origin)
    answer_text = reason_text(answer, required=False)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.CLOSE)
        item, now = decision.item, decision.now
        _lead, report = await _lead_completion(session, item)
        for assignment in await assignments_of(session, item.id):
            if assignment.status == AssignmentStatus.CONFIRMED:
                move_share(assignment, AssignmentAction.CLOSE)
            else:
                # The item closes with the lead unit's completion; every share ends with it.
                assignment.status = AssignmentStatus.COMPLETED
            assignment.completed_at = now
        if report is not None:
            decision.settle(report, ReportStatus.ACCEPTED)
        item.closed_at = now
        cancelled = await decision.cancel_queued()
        await decision.announce(
            Kind.CLOSED,
            await item_people(session, item.id),
            Notice("closed", texts.closed_notice, details_only),
            detail=answer_text,
            data={
                "report": report.id if report else None,
                "via": via(origin),
                "cancelled": cancelled,
            },
        )
        await complaint_triage.answer_from_closing(
            session, item.id, answer_text or (report.text if report else item.title), now
        )
        if follow_up_on is not None:
            await schedule_follow_up(rt, session, origin, item, follow_up_on)
        return await decision.done()


async def return_completion(rt: Runtime, origin: Origin, ref: str, reason: str) -> ItemView:
    """Send the lead unit's completion back (退回重办): in progress again, with the reason."""
    require_office(origin)
    text = reason_text(reason, required=True)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.RETURN_COMPLETION)
        lead, report = await _lead_completion(session, decision.item)
        move_share(lead, AssignmentAction.RETURN_COMPLETION)
        if report is not None:
            decision.settle(report, ReportStatus.RETURNED, text)
        await decision.announce(
            Kind.RETURNED,
            await unit_people(session, lead.unit_id),
            Notice(
                "returned",
                lambda t, view: texts.returned_notice(t, view, reason=text),
                unit_buttons,
            ),
            unit_id=lead.unit_id,
            detail=text,
            data={"report": report.id if report else None, "via": via(origin)},
        )
        return await decision.done()


# --- extensions (延期) -----------------------------------------------------------------------


async def decide_extension(
    rt: Runtime,
    origin: Origin,
    report_id: int,
    *,
    approve: bool,
    reason: str | None = None,
    due: date | None = None,
) -> ItemView:
    """Approve (the due date moves) or refuse (with a reason) a unit's extension request."""
    require_office(origin)
    now = rt.clock.now()
    text = reason_text(reason, required=not approve)
    async with rt.db.session() as session:
        report = await _report(session, report_id, ReportKind.EXTENSION)
        if report.status != ReportStatus.SUBMITTED:
            raise AlreadyDecided()
        item = await session.get_one(Item, report.item_id)
        decision = Decision(rt, session, item, origin.person_id, now)
        decision.move(ItemAction.APPROVE_EXTENSION if approve else ItemAction.REFUSE_EXTENSION)
        data: dict[str, Any] = {"report": report.id, "via": via(origin)}
        if approve:
            new_due = due or report.requested_due
            if new_due is None:
                raise InvalidInput(N_("Give the new due date."), field="due")
            data.update(move_due(rt, item, new_due))
        decision.settle(
            report, ReportStatus.APPROVED if approve else ReportStatus.REFUSED, text or None
        )
        assignment = await session.get_one(Assignment, report.assignment_id)
        await decision.announce(
            Kind.EXTENSION_APPROVED if approve else Kind.EXTENSION_REFUSED,
            await unit_people(session, assignment.unit_id),
            Notice(
                "extension_decided",
                lambda t, view: texts.extension_decided_notice(
                    t, view, rt.tz, now, approved=approve, reason=text
                ),
                unit_buttons,
            ),
            unit_id=assignment.unit_id,
            detail=text,
            data=data,
        )
        return await decision.done()


async def pending_extension(rt: Runtime, ref: str) -> int | None:
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        return await session.scalar(
            select(Report.id)
            .where(
                Report.item_id == item.id,
                Report.kind == ReportKind.EXTENSION,
                Report.status == ReportStatus.SUBMITTED,
            )
            .order_by(Report.id.desc())
        )


async def extend_item(rt: Runtime, origin: Origin, ref: str, due: date, reason: str) -> ItemView:
    """The office moves the due date: approving a pending request, or on its own."""
    require_office(origin)
    pending = await pending_extension(rt, ref)
    if pending is not None:
        return await decide_extension(rt, origin, pending, approve=True, reason=reason, due=due)
    text = reason_text(reason, required=False)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.APPROVE_EXTENSION)
        return await redate(
            decision,
            origin,
            due,
            text,
            Kind.EXTENSION_APPROVED,
            "extension_decided",
            texts.direct_extension_notice,
        )


# --- checks before asking for a reason (chat) -------------------------------------------------


async def check_office_move(rt: Runtime, origin: Origin, ref: str, action: ItemAction) -> ItemView:
    """Refuse now, before a reason is typed, what the office could not do to this item."""
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        apply(item.status, action)
        if action is ItemAction.FOLLOW_UP or action is ItemAction.REOPEN:
            check_follow_up_open(item)
        return await item_view(session, item, rt.clock.now(), rt.policy)


async def check_pending_report(
    rt: Runtime, actor: Actor, report_id: int, kind: ReportKind
) -> ItemView:
    """The report waits for this person's decision: the head's (completion) or the office's."""
    async with rt.db.session() as session:
        report = await _report(session, report_id, kind)
        assignment = await session.get_one(Assignment, report.assignment_id)
        if kind == ReportKind.COMPLETION and assignment.unit_id not in actor.head_of:
            raise NotHead()
        if kind == ReportKind.EXTENSION:
            require_office(Origin(actor))
        if report.status != ReportStatus.SUBMITTED:
            raise AlreadyDecided()
        item = await session.get_one(Item, report.item_id)
        return await item_view(session, item, rt.clock.now(), rt.policy)
