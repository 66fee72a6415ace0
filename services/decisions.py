"""Decisions on an item under way: the unit head's sign-off (核签), the office's close (销号) or
return (退回), extension decisions (延期), the follow-up check (回头看) and rectification (整改).

The office acts in chat (an :class:`Origin` with a supervisor) or through the API
(``Origin(None, via_api=True)``). Each public coroutine is one unit of work: it checks who
decides, then reads as its rule — the lifecycle's move, what changes, who is told — while a
:class:`Decision` does what every decision does (record it on the timeline, queue its notice,
commit, show the item).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.authority import Actor
from domain.buttons import Button
from domain.deadlines import at_local_time, end_of_day
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction, apply, check_writable
from domain.rectification import problem_list
from domain.reports import TEXT_MAX
from domain.text import ReasonTooLong, check_length
from domain.views import ItemView
from domain.vocabulary import AssignmentRole, AssignmentStatus, ItemStatus, ReportKind, ReportStatus
from services import complaint_triage
from services.assignments import assignments_of, move_share
from services.execution_errors import StaleButton
from services.items import Origin, require_office
from services.notices import (
    Notice,
    commit_and_view,
    details_button,
    details_only,
    notify,
    record_and_notify,
    unit_buttons,
)
from services.outbox.queue import cancel_queued
from services.recipients import item_people, office_people, unit_people
from services.rectification import start_rectification
from services.runtime import Runtime
from services.timeline import Kind, record_change
from services.views import find_item, item_view
from storage.models import Assignment, Item, Person, Report, Unit
from texts import Text
from texts import execution as texts

FOLLOW_UP_HOUR = time(9, 0)


class NotHead(Forbidden):
    key = N_("Only the head of the unit can confirm or send back its completion report.")


class AlreadyDecided(Conflict):
    key = N_("This has already been decided.")


@dataclass(frozen=True)
class Decision:
    """One decision on an item, inside its unit of work: who decides, and when."""

    rt: Runtime
    session: AsyncSession
    item: Item
    actor_id: int | None
    now: datetime

    def move(self, action: ItemAction) -> None:
        """The item's lifecycle move; a Conflict when its status does not allow it."""
        self.item.status = apply(self.item.status, action)

    def settle(self, report: Report, status: ReportStatus, reason: str | None = None) -> None:
        """The report is decided: how, by whom, when, and (when given) why."""
        report.status = status
        report.decided_by_id = self.actor_id
        report.decided_at = self.now
        if reason is not None:
            report.decision_reason = reason

    async def announce(
        self,
        event: str,
        people: Iterable[Person],
        notice: Notice,
        *,
        unit_id: int | None = None,
        detail: str = "",
        data: dict[str, Any],
    ) -> None:
        """The item changed now: record ``event`` on its timeline and queue its notice."""
        self.item.updated_at = self.now
        await record_and_notify(
            self.rt,
            self.session,
            self.item,
            people,
            notice,
            at=self.now,
            event=event,
            actor_id=self.actor_id,
            unit_id=unit_id,
            detail=detail,
            data=data,
        )

    async def cancel_queued(self) -> int:
        """The item ends: what is still queued about it is cancelled (how many), before the
        decision's own notice is queued."""
        return await cancel_queued(self.session, self.item.id)

    async def done(self) -> ItemView:
        """Commit, wake the sender, and show the item."""
        return await commit_and_view(self.rt, self.session, self.item)


async def office_decision(
    rt: Runtime, session: AsyncSession, origin: Origin, ref: str, action: ItemAction
) -> Decision:
    """The office's decision on the item ``ref``, its lifecycle move made."""
    item = await find_item(session, ref)
    decision = Decision(rt, session, item, origin.person_id, rt.clock.now())
    decision.move(action)
    return decision


def reason_text(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput(N_("Please give a reason."), field="reason")
    return check_length(text, TEXT_MAX, ReasonTooLong)


def via(origin: Origin) -> str:
    return "api" if origin.via_api else "chat"


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
            await _set_follow_up(rt, session, origin, item, follow_up_on)
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
            data.update(_move_due(rt, item, new_due))
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
        return await _redate(
            decision,
            origin,
            due,
            text,
            Kind.EXTENSION_APPROVED,
            "extension_decided",
            texts.direct_extension_notice,
        )


class _DueNotice(Protocol):
    def __call__(
        self, t: Text, item: ItemView, tz: ZoneInfo, now: datetime, *, reason: str
    ) -> str: ...


async def _redate(
    decision: Decision,
    origin: Origin,
    due: date,
    reason: str,
    event: str,
    kind: str,
    render: _DueNotice,
    extra: dict[str, Any] | None = None,
) -> ItemView:
    """The office's decision moves the item's due date: everyone on the item is told, and why."""
    rt, item = decision.rt, decision.item
    data: dict[str, Any] = {"via": via(origin), **_move_due(rt, item, due), **(extra or {})}
    await decision.announce(
        event,
        await item_people(decision.session, item.id),
        Notice(
            kind,
            lambda t, view: render(t, view, rt.tz, decision.now, reason=reason),
            unit_buttons,
        ),
        detail=reason,
        data=data,
    )
    return await decision.done()


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
    check_writable(item.status)
    if item.status != ItemStatus.CLOSED:
        raise Conflict(
            N_("You cannot {action} an item that is {status}."),
            action=ItemAction.FOLLOW_UP.value,
            status=item.status,
        )
    if on <= now.astimezone(rt.tz).date():
        raise InvalidInput(N_("The follow-up date must be in the future."), field="follow_up_on")
    item.follow_up_on = on
    event = record_change(
        session,
        item,
        now,
        Kind.FOLLOW_UP_SET,
        actor_id=origin.person_id,
        data={"on": on.isoformat(), "via": via(origin)},
    )
    await session.flush()
    # Delivered on the day at 09:00 local; the delivery worker sends it when it falls due.
    await notify(
        rt,
        session,
        await office_people(session),
        Notice("follow_up", texts.follow_up_due_notice, _follow_up_buttons),
        item=item,
        occasion=f"followup{event.id}",
        not_before=at_local_time(on, FOLLOW_UP_HOUR, rt.tz),
    )


def _follow_up_buttons(t: Text, view: ItemView) -> list[list[Button]]:
    return [
        [
            Button(t.raw(texts.FOLLOW_UP_OK), callbacks.make(callbacks.FOLLOW_UP, view.ref, "ok")),
            Button(
                t.raw(texts.FOLLOW_UP_REOPEN),
                callbacks.make(callbacks.FOLLOW_UP, view.ref, "reopen"),
            ),
        ],
        [details_button(t, view)],
    ]


def _check_follow_up_open(item: Item) -> None:
    if item.status == ItemStatus.CLOSED and item.follow_up_on is None:
        raise AlreadyDecided()


async def follow_up_ok(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """The follow-up check finds the result holds."""
    require_office(origin)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.FOLLOW_UP)
        item = decision.item
        _check_follow_up_open(item)
        on = item.follow_up_on.isoformat() if item.follow_up_on else None
        record_change(
            session,
            item,
            decision.now,
            Kind.FOLLOWED_UP,
            actor_id=origin.person_id,
            data={"on": on},
        )
        item.follow_up_on = None
        await session.commit()
        return await item_view(session, item, rt.clock.now(), rt.policy)


async def reopen_item(
    rt: Runtime, origin: Origin, ref: str, due: date, problems: str | Sequence[str]
) -> ItemView:
    """Rectification (整改): the closed item is in progress again with a new due date, the
    problems found (a list, or one per line) and a date for its rectification plan (整改方案)."""
    require_office(origin)
    listed = problem_list(problems if isinstance(problems, str) else list(problems))
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.REOPEN)
        item = decision.item
        for assignment in await assignments_of(session, item.id):
            if assignment.status == AssignmentStatus.COMPLETED:
                move_share(assignment, AssignmentAction.REOPEN)
                assignment.completed_at = None
        item.closed_at = None
        item.follow_up_on = None
        plan_by, data = await start_rectification(rt, session, item, decision.now, due, listed)
        render = partial(texts.reopened_notice, plan_by=plan_by)
        text = "\n".join(listed)
        return await _redate(decision, origin, due, text, Kind.REOPENED, "reopened", render, data)


# --- checks before asking for a reason (chat) -------------------------------------------------


async def check_office_move(rt: Runtime, origin: Origin, ref: str, action: ItemAction) -> ItemView:
    """Refuse now, before a reason is typed, what the office could not do to this item."""
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        apply(item.status, action)
        if action is ItemAction.FOLLOW_UP or action is ItemAction.REOPEN:
            _check_follow_up_open(item)
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
