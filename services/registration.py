"""Registering (立项) and sending an item on its way: to approval (审核), or out (交办).

Use cases, one unit of work each. The /new conversation, the API and the console call these;
they check who may act, apply the rules, write the timeline and queue the messages.

- :func:`submit_item`: the office's submit from chat: register, then either wait for approval
  (the first step's approvers are asked), or dispatch at once, or stop at a load warning that
  the office confirms with :func:`dispatch_draft`.
- :func:`create_item`: ``POST /api/items``.
- :func:`resubmit_item`: a returned draft goes back to the first approval step.

Deciding an approval step is in :mod:`services.approval`, a whole Excel list in
:mod:`services.item_import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from domain.approval import AlreadyDecided, NotReturnable
from domain.errors import Conflict
from domain.lifecycle import ItemAction, apply, check_dispatch
from domain.registration import LoadWarning
from domain.views import ItemView
from domain.vocabulary import ItemStatus
from services.items import ItemDraft, Origin, add_item, register_item, require_office
from services.load_control import LoadWarned, dispatch_unless_warned
from services.notices import commit_and_view
from services.registration_notices import ask_approvers
from services.runtime import Runtime
from services.timeline import Kind, record_change
from services.views import find_item
from storage.models import Item


class Outcome(StrEnum):
    DRAFT = "draft"  # registered, not sent anywhere yet
    PENDING_APPROVAL = "pending_approval"  # the approvers of the next step were asked
    DISPATCHED = "dispatched"  # out to the units
    LOAD_WARNING = "load_warning"  # the office must confirm before it goes out


@dataclass(frozen=True)
class Routed:
    """Where a submitted or approved item went, and the load warnings that held it."""

    item: ItemView
    outcome: Outcome
    warnings: tuple[LoadWarning, ...] = ()


async def send_or_warn(
    rt: Runtime, session: AsyncSession, item: Item, origin: Origin, *, confirm_load: bool
) -> list[LoadWarning]:
    """Dispatch now unless load control warns (and nobody confirmed); the warnings that held it."""
    check_dispatch(
        item.status,
        steps_required=len(rt.policy.approval.steps),
        steps_approved=item.approval_step,
    )
    return await dispatch_unless_warned(
        rt, session, item, origin, at=rt.clock.now(), confirm_load=confirm_load
    )


async def submit_for_approval(
    rt: Runtime, session: AsyncSession, item: Item, origin: Origin
) -> None:
    """The item waits at the first approval step, whose approvers are asked."""
    item.status = apply(item.status, ItemAction.SUBMIT_FOR_APPROVAL)
    item.approval_step = 0
    steps = {"steps": len(rt.policy.approval.steps)}
    record_change(
        session, item, rt.clock.now(), Kind.SUBMITTED, actor_id=origin.person_id, data=steps
    )
    await session.flush()
    registrar = origin.actor.name if origin.actor else "API"
    await ask_approvers(rt, session, item, registrar)


async def submit_item(
    rt: Runtime, origin: Origin, draft: ItemDraft, *, confirm_load: bool = False
) -> Routed:
    """The office submits a new item: to approval, or out at once, or to a load warning."""
    async with rt.db.session() as session:
        item = await add_item(rt, session, origin, draft)
        warnings: list[LoadWarning] = []
        if rt.policy.approval.required:
            await submit_for_approval(rt, session, item, origin)
            outcome = Outcome.PENDING_APPROVAL
        else:
            warnings = await send_or_warn(rt, session, item, origin, confirm_load=confirm_load)
            outcome = Outcome.LOAD_WARNING if warnings else Outcome.DISPATCHED
        view = await commit_and_view(rt, session, item)
    return Routed(view, outcome, tuple(warnings))


async def create_item(
    rt: Runtime,
    origin: Origin,
    draft: ItemDraft,
    *,
    dispatch: bool = False,
    dispatched_at: datetime | None = None,
    confirm_load: bool = False,
) -> ItemView:
    """``POST /api/items``: with ``dispatch`` (or ``dispatched_at`` for an item already out) it
    goes out at once, bypassing approval; otherwise it waits for approval, or as a draft when
    the policy has no approval steps. Load warnings raise :class:`LoadWarned` and keep nothing.
    """
    if dispatched_at is not None:
        # An item already out moves in as it went out: no approval, no load check.
        return await register_item(rt, origin, draft, dispatch=True, dispatched_at=dispatched_at)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await add_item(rt, session, origin, draft)
        if dispatch:
            bypassed = {"approval": "bypassed"} if rt.policy.approval.required else {}
            warnings = await dispatch_unless_warned(
                rt, session, item, origin, at=now, confirm_load=confirm_load, note=bypassed
            )
            if warnings:
                await session.rollback()
                raise LoadWarned(warnings)
        elif rt.policy.approval.required:
            await submit_for_approval(rt, session, item, origin)
        return await commit_and_view(rt, session, item)


async def resubmit_item(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """The office sends a returned draft back to the first approval step."""
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        if item.status != ItemStatus.DRAFT or not rt.policy.approval.required:
            raise NotReturnable()
        await submit_for_approval(rt, session, item, origin)
        return await commit_and_view(rt, session, item)


async def dispatch_draft(
    rt: Runtime, origin: Origin, ref: str, *, confirm_load: bool = True
) -> ItemView:
    """The office sends out an item held by a load warning (or a draft with no approval steps).

    Pressing "Dispatch anyway" confirms the warning; the API without ``confirm`` gets
    :class:`LoadWarned` and nothing changes.
    """
    require_office(origin)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        try:
            warnings = await send_or_warn(rt, session, item, origin, confirm_load=confirm_load)
        except Conflict:
            raise AlreadyDecided() from None
        if warnings:
            await session.rollback()
            raise LoadWarned(warnings)
        return await commit_and_view(rt, session, item)
