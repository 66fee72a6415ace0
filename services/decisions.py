"""Decisions on an item under way: the unit head's sign-off (核签), the office's close (销号) or
return (退回), extension decisions (延期), the follow-up check (回头看) and rectification (整改).

The office acts in chat (an :class:`Origin` with a supervisor) or through the API
(``Origin(None, via_api=True)``). Each public coroutine is one unit of work.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.deadlines import at_local_time, end_of_day
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction, apply, apply_assignment
from domain.text import ReasonTooLong, check_length
from domain.vocabulary import AssignmentRole, AssignmentStatus, ItemStatus, ReportKind
from services import complaint_triage
from services.actors import Actor
from services.execution import (
    TEXT_MAX,
    StaleButton,
    assignments_of,
    commit_and_view,
    details_button,
    item_people,
    notify,
    office_people,
    record_and_notify,
    unit_buttons,
    unit_people,
)
from services.items import Origin, require_office
from services.outbox import Button
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import ItemView, find_item, item_view
from storage.models import Assignment, Item, Person, Report, Unit
from texts import execution as texts

FOLLOW_UP_HOUR = time(9, 0)

# Report statuses
SUBMITTED = "submitted"
CONFIRMED = "confirmed"
DECLINED = "declined"
ACCEPTED = "accepted"
RETURNED = "returned"
APPROVED = "approved"
REFUSED = "refused"


class NotHead(Forbidden):
    key = N_("Only the head of the unit can confirm or send back its completion report.")


class AlreadyDecided(Conflict):
    key = N_("This has already been decided.")


def _reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput(N_("Please give a reason."), field="reason")
    return check_length(text, TEXT_MAX, ReasonTooLong)


async def _report(session: AsyncSession, report_id: int, kind: ReportKind) -> Report:
    report = await session.get(Report, report_id)
    if report is None or report.kind != kind:
        raise StaleButton()
    return report


async def _view(rt: Runtime, session: AsyncSession, item: Item) -> ItemView:
    return await item_view(session, item, rt.clock.now(), rt.policy)


# --- the unit head: 核签 ---------------------------------------------------------------------


async def confirm_completion(rt: Runtime, actor: Actor, report_id: int) -> ItemView:
    async with rt.db.session() as session:
        report = await _report(session, report_id, ReportKind.COMPLETION)
        assignment = await session.get_one(Assignment, report.assignment_id)
        if assignment.unit_id not in actor.head_of:
            raise NotHead()
        if report.status != SUBMITTED:
            raise AlreadyDecided()
        await confirm_in_session(rt, session, actor, report)
        return await commit_and_view(rt, session, await session.get_one(Item, report.item_id))


async def confirm_in_session(
    rt: Runtime, session: AsyncSession, actor: Actor, report: Report
) -> None:
    """The unit's completion is confirmed; the lead unit's sends the item to the office."""
    now = rt.clock.now()
    assignment = await session.get_one(Assignment, report.assignment_id)
    item = await session.get_one(Item, report.item_id)
    assignment.status = str(
        apply_assignment(AssignmentStatus(assignment.status), AssignmentAction.CONFIRM)
    )
    lead = assignment.role == AssignmentRole.LEAD
    if lead:
        item.status = str(apply(ItemStatus(item.status), ItemAction.SUBMIT_COMPLETION))
    report.status = CONFIRMED
    report.confirmed_by_id = actor.person_id
    report.confirmed_at = now
    item.updated_at = now
    unit = await session.get_one(Unit, assignment.unit_id)

    def buttons(t: Any, view: ItemView) -> list[list[Button]]:
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

    await record_and_notify(
        rt,
        session,
        item,
        await office_people(session),
        at=now,
        event=Kind.CONFIRMED,
        actor_id=actor.person_id,
        unit_id=assignment.unit_id,
        data={"report": report.id, "lead": lead},
        notice="completion",
        render=lambda t, view: texts.completion_to_office(
            t, view, unit=unit.name, head=actor.name, text=report.text, lead=lead
        ),
        buttons=buttons,
    )


async def decline_completion(rt: Runtime, actor: Actor, report_id: int, reason: str) -> ItemView:
    now = rt.clock.now()
    async with rt.db.session() as session:
        report = await _report(session, report_id, ReportKind.COMPLETION)
        assignment = await session.get_one(Assignment, report.assignment_id)
        if assignment.unit_id not in actor.head_of:
            raise NotHead()
        if report.status != SUBMITTED:
            raise AlreadyDecided()
        text = _reason(reason, required=True)
        assignment.status = str(
            apply_assignment(AssignmentStatus(assignment.status), AssignmentAction.DECLINE)
        )
        report.status = DECLINED
        report.decided_by_id = actor.person_id
        report.decided_at = now
        report.decision_reason = text
        item = await session.get_one(Item, report.item_id)
        item.updated_at = now
        await record_and_notify(
            rt,
            session,
            item,
            [await session.get_one(Person, report.author_id)],
            at=now,
            event=Kind.DECLINED,
            actor_id=actor.person_id,
            unit_id=assignment.unit_id,
            detail=text,
            data={"report": report.id},
            notice="declined",
            render=lambda t, view: texts.declined_notice(t, view, head=actor.name, reason=text),
            buttons=unit_buttons,
        )
        return await commit_and_view(rt, session, item)


# --- the office: 销号 / 退回 ------------------------------------------------------------------


async def _lead_completion(session: AsyncSession, item: Item) -> tuple[Assignment, Report | None]:
    assignments = await assignments_of(session, item.id)
    lead = next(a for a in assignments if a.role == AssignmentRole.LEAD)
    report = await session.scalar(
        select(Report)
        .where(
            Report.assignment_id == lead.id,
            Report.kind == ReportKind.COMPLETION,
            Report.status == CONFIRMED,
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
    now = rt.clock.now()
    answer_text = _reason(answer, required=False)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.status = str(apply(ItemStatus(item.status), ItemAction.CLOSE))
        _lead, report = await _lead_completion(session, item)
        for assignment in await assignments_of(session, item.id):
            status = AssignmentStatus(assignment.status)
            if status is AssignmentStatus.CONFIRMED:
                assignment.status = str(apply_assignment(status, AssignmentAction.CLOSE))
            else:
                # The item closes with the lead unit's completion; every share ends with it.
                assignment.status = str(AssignmentStatus.COMPLETED)
            assignment.completed_at = now
        if report is not None:
            report.status = ACCEPTED
            report.decided_by_id = origin.person_id
            report.decided_at = now
        item.closed_at = now
        item.updated_at = now
        await record_and_notify(
            rt,
            session,
            item,
            await item_people(session, item.id),
            at=now,
            event=Kind.CLOSED,
            actor_id=origin.person_id,
            detail=answer_text,
            data={"report": report.id if report else None, "via": _via(origin)},
            notice="closed",
            render=texts.closed_notice,
            buttons=lambda t, view: [[details_button(t, view)]],
        )
        await complaint_triage.answer_from_closing(
            session, item.id, answer_text or (report.text if report else item.title), now
        )
        if follow_up_on is not None:
            await _set_follow_up(rt, session, origin, item, follow_up_on)
        return await commit_and_view(rt, session, item)


async def return_completion(rt: Runtime, origin: Origin, ref: str, reason: str) -> ItemView:
    """Send the lead unit's completion back (退回重办): in progress again, with the reason."""
    require_office(origin)
    now = rt.clock.now()
    text = _reason(reason, required=True)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.status = str(apply(ItemStatus(item.status), ItemAction.RETURN_COMPLETION))
        lead, report = await _lead_completion(session, item)
        lead.status = str(
            apply_assignment(AssignmentStatus(lead.status), AssignmentAction.RETURN_COMPLETION)
        )
        if report is not None:
            report.status = RETURNED
            report.decided_by_id = origin.person_id
            report.decided_at = now
            report.decision_reason = text
        item.updated_at = now
        await record_and_notify(
            rt,
            session,
            item,
            await unit_people(session, lead.unit_id),
            at=now,
            event=Kind.RETURNED,
            actor_id=origin.person_id,
            unit_id=lead.unit_id,
            detail=text,
            data={"report": report.id if report else None, "via": _via(origin)},
            notice="returned",
            render=lambda t, view: texts.returned_notice(t, view, reason=text),
            buttons=unit_buttons,
        )
        return await commit_and_view(rt, session, item)


# --- extensions (延期) -----------------------------------------------------------------------


def _move_due(rt: Runtime, item: Item, due: date) -> dict[str, str | None]:
    today = rt.clock.now().astimezone(rt.tz).date()
    if due < today:
        raise InvalidInput(N_("The new due date is in the past."), field="due")
    before = item.due_date.isoformat() if item.due_date else None
    item.due_date = due
    item.due_at = end_of_day(due, rt.tz)
    # No feedback milestone falls after the due date.
    return {"from": before, "to": due.isoformat()}


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
    text = _reason(reason, required=not approve)
    async with rt.db.session() as session:
        report = await _report(session, report_id, ReportKind.EXTENSION)
        if report.status != SUBMITTED:
            raise AlreadyDecided()
        item = await session.get_one(Item, report.item_id)
        action = ItemAction.APPROVE_EXTENSION if approve else ItemAction.REFUSE_EXTENSION
        item.status = str(apply(ItemStatus(item.status), action))
        data: dict[str, Any] = {"report": report.id, "via": _via(origin)}
        if approve:
            new_due = due or report.requested_due
            if new_due is None:
                raise InvalidInput(N_("Give the new due date."), field="due")
            data.update(_move_due(rt, item, new_due))
        report.status = APPROVED if approve else REFUSED
        report.decided_by_id = origin.person_id
        report.decided_at = now
        report.decision_reason = text or None
        item.updated_at = now
        assignment = await session.get_one(Assignment, report.assignment_id)
        await record_and_notify(
            rt,
            session,
            item,
            await unit_people(session, assignment.unit_id),
            at=now,
            event=Kind.EXTENSION_APPROVED if approve else Kind.EXTENSION_REFUSED,
            actor_id=origin.person_id,
            unit_id=assignment.unit_id,
            detail=text,
            data=data,
            notice="extension_decided",
            render=lambda t, view: texts.extension_decided_notice(
                t, view, rt.tz, now, approved=approve, reason=text
            ),
            buttons=unit_buttons,
        )
        return await commit_and_view(rt, session, item)


async def pending_extension(rt: Runtime, ref: str) -> int | None:
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        return await session.scalar(
            select(Report.id)
            .where(
                Report.item_id == item.id,
                Report.kind == ReportKind.EXTENSION,
                Report.status == SUBMITTED,
            )
            .order_by(Report.id.desc())
        )


async def extend_item(rt: Runtime, origin: Origin, ref: str, due: date, reason: str) -> ItemView:
    """The office moves the due date: approving a pending request, or on its own."""
    require_office(origin)
    pending = await pending_extension(rt, ref)
    if pending is not None:
        return await decide_extension(rt, origin, pending, approve=True, reason=reason, due=due)
    now = rt.clock.now()
    text = _reason(reason, required=False)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.status = str(apply(ItemStatus(item.status), ItemAction.APPROVE_EXTENSION))
        data: dict[str, Any] = {"via": _via(origin), **_move_due(rt, item, due)}
        item.updated_at = now
        await record_and_notify(
            rt,
            session,
            item,
            await item_people(session, item.id),
            at=now,
            event=Kind.EXTENSION_APPROVED,
            actor_id=origin.person_id,
            detail=text,
            data=data,
            notice="extension_decided",
            render=lambda t, view: texts.direct_extension_notice(t, view, rt.tz, now, reason=text),
            buttons=unit_buttons,
        )
        return await commit_and_view(rt, session, item)


# --- follow-up (回头看) and rectification (整改) -----------------------------------------------


async def set_follow_up(rt: Runtime, origin: Origin, ref: str, on: date) -> ItemView:
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        await _set_follow_up(rt, session, origin, item, on)
        return await commit_and_view(rt, session, item)


async def _set_follow_up(
    rt: Runtime, session: AsyncSession, origin: Origin, item: Item, on: date
) -> None:
    now = rt.clock.now()
    if ItemStatus(item.status) is not ItemStatus.CLOSED:
        raise Conflict(
            N_("You cannot {action} an item that is {status}."),
            action=ItemAction.FOLLOW_UP.value,
            status=item.status,
        )
    if on <= now.astimezone(rt.tz).date():
        raise InvalidInput(N_("The follow-up date must be in the future."), field="follow_up_on")
    item.follow_up_on = on
    item.updated_at = now
    event = record(
        session,
        item_id=item.id,
        at=now,
        kind=Kind.FOLLOW_UP_SET,
        actor_id=origin.person_id,
        data={"on": on.isoformat(), "via": _via(origin)},
    )
    await session.flush()

    def buttons(t: Any, view: ItemView) -> list[list[Button]]:
        return [
            [
                Button(
                    t.raw(texts.FOLLOW_UP_OK), callbacks.make(callbacks.FOLLOW_UP, view.ref, "ok")
                ),
                Button(
                    t.raw(texts.FOLLOW_UP_REOPEN),
                    callbacks.make(callbacks.FOLLOW_UP, view.ref, "reopen"),
                ),
            ],
            [details_button(t, view)],
        ]

    # Delivered on the day at 09:00 local; the delivery worker sends it when it falls due.
    await notify(
        rt,
        session,
        await office_people(session),
        occasion=f"followup{event.id}",
        kind="follow_up",
        item=item,
        render=texts.follow_up_due_notice,
        buttons=buttons,
        not_before=at_local_time(on, FOLLOW_UP_HOUR, rt.tz),
    )


def _check_follow_up_open(item: Item) -> None:
    if ItemStatus(item.status) is ItemStatus.CLOSED and item.follow_up_on is None:
        raise AlreadyDecided()


async def follow_up_ok(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """The follow-up check finds the result holds."""
    require_office(origin)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.status = str(apply(ItemStatus(item.status), ItemAction.FOLLOW_UP))
        _check_follow_up_open(item)
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.FOLLOWED_UP,
            actor_id=origin.person_id,
            data={"on": item.follow_up_on.isoformat() if item.follow_up_on else None},
        )
        item.follow_up_on = None
        item.updated_at = now
        await session.commit()
        return await _view(rt, session, item)


async def reopen_item(rt: Runtime, origin: Origin, ref: str, due: date, reason: str) -> ItemView:
    """Rectification (整改): the closed item is in progress again with a new due date."""
    require_office(origin)
    now = rt.clock.now()
    text = _reason(reason, required=True)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.status = str(apply(ItemStatus(item.status), ItemAction.REOPEN))
        data: dict[str, Any] = {"via": _via(origin), **_move_due(rt, item, due)}
        for assignment in await assignments_of(session, item.id):
            status = AssignmentStatus(assignment.status)
            if status is AssignmentStatus.COMPLETED:
                assignment.status = str(apply_assignment(status, AssignmentAction.REOPEN))
                assignment.completed_at = None
        item.closed_at = None
        item.follow_up_on = None
        item.updated_at = now
        await record_and_notify(
            rt,
            session,
            item,
            await item_people(session, item.id),
            at=now,
            event=Kind.REOPENED,
            actor_id=origin.person_id,
            detail=text,
            data=data,
            notice="reopened",
            render=lambda t, view: texts.reopened_notice(t, view, rt.tz, now, reason=text),
            buttons=unit_buttons,
        )
        return await commit_and_view(rt, session, item)


def _via(origin: Origin) -> str:
    return "api" if origin.via_api else "chat"


# --- checks before asking for a reason (chat) -------------------------------------------------


async def check_office_move(rt: Runtime, origin: Origin, ref: str, action: ItemAction) -> ItemView:
    """Refuse now, before a reason is typed, what the office could not do to this item."""
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        apply(ItemStatus(item.status), action)
        if action is ItemAction.FOLLOW_UP or action is ItemAction.REOPEN:
            _check_follow_up_open(item)
        return await _view(rt, session, item)


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
        if report.status != SUBMITTED:
            raise AlreadyDecided()
        return await _view(rt, session, await session.get_one(Item, report.item_id))
