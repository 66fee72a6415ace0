"""Deciding an approval step (审核): approve, or return the draft to its registrar.

The last step's approval dispatches the item (or stops at a load warning the office confirms).
Approvers are asked by :mod:`services.registration_notices`; the policy says who approves each
step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.approval import NotApprover, return_reason, step_to_decide
from domain.buttons import Button
from domain.lifecycle import ItemAction, apply
from domain.registration import LoadWarning
from domain.views import ItemView
from services.actors import Actor
from services.items import Origin
from services.registration import Outcome, Routed, send_or_warn
from services.registration_notices import ask_approvers, tell_office_load, tell_registrar
from services.runtime import Runtime
from services.timeline import Kind, record_change
from services.views import find_item, item_view
from storage.models import Item, Person
from texts import registration as texts


async def _decidable(
    rt: Runtime,
    session: AsyncSession,
    origin: Origin,
    ref: str,
    step: int | None,
    action: ItemAction,
) -> tuple[Item, int]:
    """The item waiting at an approval step (``step`` as on the button, if given) and that
    step, when this person may decide it."""
    item = await find_item(session, ref)
    current = step_to_decide(
        item.status,
        action,
        steps_required=len(rt.policy.approval.steps),
        steps_approved=item.approval_step,
        step=step,
    )
    if not origin.via_api:
        actor: Actor | None = origin.actor
        if actor is None or not rt.policy.approval.may_approve(current, actor.key, actor.roles):
            raise NotApprover()
    return item, current


async def _decided(
    session: AsyncSession,
    origin: Origin,
    item: Item,
    now: datetime,
    kind: str,
    data: dict[str, int],
    detail: str = "",
) -> None:
    """The approver's decision on the item's timeline; the item changed now."""
    record_change(session, item, now, kind, actor_id=origin.person_id, detail=detail, data=data)
    await session.flush()


async def approve_item(
    rt: Runtime, origin: Origin, ref: str, *, step: int | None = None, confirm_load: bool = False
) -> Routed:
    """Approve the item's current step; the last approval dispatches it (or warns the office)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        item, current = await _decidable(rt, session, origin, ref, step, ItemAction.APPROVE)
        item.approval_step = current + 1
        steps = {"step": current + 1, "steps": len(rt.policy.approval.steps)}
        await _decided(session, origin, item, now, Kind.APPROVED, steps)
        warnings: list[LoadWarning] = []
        if item.approval_step < len(rt.policy.approval.steps):
            await ask_approvers(rt, session, item, await _registrar_name(session, item))
            outcome = Outcome.PENDING_APPROVAL
        else:
            warnings = await send_or_warn(rt, session, item, origin, confirm_load=confirm_load)
            outcome = Outcome.LOAD_WARNING if warnings else Outcome.DISPATCHED
            await _tell_approved(rt, session, item, warnings, now)
        await session.commit()
        view = await item_view(session, item, now, rt.policy)
    rt.wake_outbox()
    return Routed(view, outcome, tuple(warnings))


async def _tell_approved(
    rt: Runtime, session: AsyncSession, item: Item, warnings: list[LoadWarning], now: datetime
) -> None:
    """After the last step: the office hears of load warnings, else the registrar that it went."""
    if warnings:
        await tell_office_load(rt, session, item, warnings)
        return
    view = await item_view(session, item, now, rt.policy)
    await tell_registrar(
        rt, session, item, "approved", lambda t: texts.approved_and_dispatched(t, view)
    )


async def _registrar_name(session: AsyncSession, item: Item) -> str:
    if item.created_by_id is None:
        return "API"
    person = await session.get(Person, item.created_by_id)
    return person.name if person else ""


async def return_item(
    rt: Runtime, origin: Origin, ref: str, reason: str, *, step: int | None = None
) -> ItemView:
    """An approver returns the item to its registrar (审核退回) with a reason."""
    reason = return_reason(reason)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item, current = await _decidable(rt, session, origin, ref, step, ItemAction.RETURN_DRAFT)
        item.status = apply(item.status, ItemAction.RETURN_DRAFT)
        item.approval_step = 0
        await _decided(
            session, origin, item, now, Kind.RETURNED_DRAFT, {"step": current + 1}, reason
        )
        view = await item_view(session, item, now, rt.policy)
        who = origin.actor.name if origin.actor else "API"
        registrar = await session.get(Person, item.created_by_id) if item.created_by_id else None
        label = rt.text(registrar.locale if registrar else None).raw(texts.SUBMIT_AGAIN)
        await tell_registrar(
            rt,
            session,
            item,
            "returned_draft",
            lambda t: texts.returned_to_registrar(t, view, who, reason),
            [[Button(label, callbacks.make(callbacks.RESUBMIT, item.ref))]],
        )
        await session.commit()
    rt.wake_outbox()
    return view


async def check_decision(
    rt: Runtime, origin: Origin, ref: str, *, step: int | None = None
) -> ItemView:
    """Whether this person may decide the item's current approval step now (changes nothing);
    the chat asks for a reason only after this."""
    async with rt.db.session() as session:
        item, _ = await _decidable(rt, session, origin, ref, step, ItemAction.RETURN_DRAFT)
        return await item_view(session, item, rt.clock.now(), rt.policy)
