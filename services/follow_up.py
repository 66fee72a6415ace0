"""The follow-up check (回头看) after an item is closed and the rectification (整改) it may
call for: the office sets the date of the check (the office is reminded on the day), finds the
result holds, or reopens the item with the problems found (问题清单) and a date for the unit's
rectification plan (整改方案; the problems and their answers are in ``services.rectification``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, time
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.deadlines import at_local_time
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_
from domain.lifecycle import AssignmentAction, ItemAction, check_writable
from domain.rectification import problem_list
from domain.views import ItemView
from domain.vocabulary import AssignmentStatus, ItemStatus
from services import complaint_triage
from services.assignments import assignments_of, move_share
from services.deciding import AlreadyDecided, office_decision, redate, via
from services.items import Origin, require_office
from services.notices import (
    Notice,
    commit_and_view,
    details_button,
    notify,
)
from services.recipients import office_people
from services.rectification import start_rectification
from services.runtime import Runtime
from services.timeline import Kind, record_change
from services.views import find_item, item_view
from storage.models import Item
from texts import Text
from texts import execution as texts

FOLLOW_UP_HOUR = time(9, 0)


async def set_follow_up(rt: Runtime, origin: Origin, ref: str, on: date) -> ItemView:
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        await schedule_follow_up(rt, session, origin, item, on)
        return await commit_and_view(rt, session, item)


async def schedule_follow_up(
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


def check_follow_up_open(item: Item) -> None:
    if item.status == ItemStatus.CLOSED and item.follow_up_on is None:
        raise AlreadyDecided()


async def follow_up_ok(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """The follow-up check finds the result holds."""
    require_office(origin)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.FOLLOW_UP)
        item = decision.item
        check_follow_up_open(item)
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
    rt: Runtime,
    origin: Origin,
    ref: str,
    due: date,
    problems: str | Sequence[str],
    *,
    also: Callable[[AsyncSession, Item, datetime], Awaitable[None]] | None = None,
) -> ItemView:
    """Rectification (整改): the closed item is in progress again with a new due date, the
    problems found (a list, or one per line) and a date for its rectification plan (整改方案).
    ``also`` does what else the reopening means in the same unit of work (a complaint's
    review decided)."""
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
        await complaint_triage.handling_again_from_reopening(session, item.id, decision.now)
        if also is not None:
            await also(session, item, decision.now)
        render = partial(texts.reopened_notice, plan_by=plan_by)
        text = "\n".join(listed)
        return await redate(decision, origin, due, text, Kind.REOPENED, "reopened", render, data)
