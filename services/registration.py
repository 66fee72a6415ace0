"""Registering (立项), approving (审核) and the first dispatch (交办) with load control.

Use cases, one unit of work each. The /new conversation, the API and the Excel import call
these; they check who may act, apply the rules, write the timeline and queue the messages.

- :func:`submit_item`: the office's submit from chat: register, then either wait for approval
  (the first step's approvers are asked), or dispatch at once, or stop at a load warning that
  the office confirms with :func:`dispatch_draft`.
- :func:`create_item`: ``POST /api/items``.
- :func:`approve_item` / :func:`return_item`: one approval step's decision.
- :func:`resubmit_item`: a returned draft goes back to the first approval step.
- :func:`import_items`: a whole Excel list in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.errors import Conflict, DubanError, Forbidden, InvalidInput
from domain.i18n import N_
from domain.item_import import ImportProblem, ImportRow, ItemImportError
from domain.lifecycle import ItemAction, apply, check_approve, check_dispatch
from domain.registration import LoadWarning, UnitLoad, load_warnings
from domain.text import ReasonTooLong, check_length
from domain.vocabulary import ItemStatus, Role
from services.actors import Actor
from services.items import ItemDraft, Origin, add_item, dispatch_now, require_office
from services.outbox import Button, enqueue, notification_key
from services.runtime import Runtime
from services.timeline import Kind, record
from services.views import OPEN_STATUSES, ItemView, find_item, item_view
from storage.models import Assignment, Item, Person, PersonRole, TimelineEvent, Unit, UnitContact
from texts import registration as texts

REASON_MAX = 1000


class Outcome(StrEnum):
    DRAFT = "draft"  # registered, not sent anywhere yet
    PENDING_APPROVAL = "pending_approval"  # the approvers of the first step were asked
    DISPATCHED = "dispatched"  # out to the units
    LOAD_WARNING = "load_warning"  # the office must confirm before it goes out


@dataclass(frozen=True)
class Submitted:
    item: ItemView
    outcome: Outcome
    warnings: tuple[LoadWarning, ...] = ()


class LoadWarned(Conflict):
    """Load control: the API answers 409 with the warnings unless asked to confirm."""

    key = N_("The units already carry a heavy load; confirm to dispatch anyway.")

    def __init__(self, warnings: Sequence[LoadWarning]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(None, warnings=[warning_json(w) for w in self.warnings])


class NotApprover(Forbidden):
    key = N_("You are not an approver of this step.")


class AlreadyDecided(Conflict):
    key = N_("This has already been decided; nothing was changed.")


class NotReturnable(Conflict):
    key = N_("Only a returned draft can be submitted again.")


def warning_json(warning: LoadWarning) -> dict[str, Any]:
    return {
        "unit": warning.unit_key,
        "open_items": warning.open_items,
        "too_many": warning.too_many,
        "similar_ref": warning.similar_ref,
        "similar_title": warning.similar_title,
        "similarity": warning.similarity,
    }


# --- who is who --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    key: str
    name: str
    leader: str | None
    leader_name: str | None
    head: str | None
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class LeaderInfo:
    key: str
    name: str
    principal: bool


async def list_units(rt: Runtime) -> list[UnitInfo]:
    """Active units in roster order, with their leader, head and contacts by key."""
    async with rt.db.session() as session:
        units = list(
            await session.scalars(select(Unit).where(Unit.active).order_by(Unit.position, Unit.id))
        )
        people = {
            pid: (key, name)
            for pid, key, name in await session.execute(select(Person.id, Person.key, Person.name))
        }
        contacts: dict[int, list[str]] = {}
        rows = await session.execute(
            select(UnitContact.unit_id, UnitContact.person_id).order_by(
                UnitContact.unit_id, UnitContact.position
            )
        )
        for unit_id, person_id in rows:
            contacts.setdefault(unit_id, []).append(people[person_id][0])
    return [
        UnitInfo(
            key=unit.key,
            name=unit.name,
            leader=people[unit.leader_id][0] if unit.leader_id else None,
            leader_name=people[unit.leader_id][1] if unit.leader_id else None,
            head=people[unit.head_id][0] if unit.head_id else None,
            contacts=tuple(contacts.get(unit.id, ())),
        )
        for unit in units
    ]


async def list_leaders(rt: Runtime) -> list[LeaderInfo]:
    """Who can be an item's responsible leader: deputies, then the principal."""
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Person.key, Person.name, PersonRole.role)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.active, PersonRole.role.in_([Role.DEPUTY, Role.PRINCIPAL]))
            .order_by(Person.id)
        )
        found: dict[str, LeaderInfo] = {}
        for key, name, role in rows:
            principal = role == Role.PRINCIPAL or (key in found and found[key].principal)
            found[key] = LeaderInfo(key, name, principal)
    return sorted(found.values(), key=lambda leader: leader.principal)


# --- load control ------------------------------------------------------------------------------


async def check_load(rt: Runtime, session: AsyncSession, item: Item) -> list[LoadWarning]:
    """Load warnings for the item's units (基层减负), against their other open items."""
    loads = []
    units = await session.execute(
        select(Unit.id, Unit.key, Unit.name)
        .join(Assignment, Assignment.unit_id == Unit.id)
        .where(Assignment.item_id == item.id)
        .order_by(Assignment.role.desc(), Assignment.id)
    )
    for unit_id, key, name in units:
        rows = await session.execute(
            select(Item.ref, Item.title)
            .join(Assignment, Assignment.item_id == Item.id)
            .where(
                Assignment.unit_id == unit_id,
                Item.id != item.id,
                Item.status.in_([str(s) for s in OPEN_STATUSES]),
            )
        )
        loads.append(UnitLoad(key, name, {ref: title for ref, title in rows}))
    return load_warnings(
        item.title,
        loads,
        max_open=rt.policy.load.open_items_per_unit,
        similarity=rt.policy.load.title_similarity,
    )


# --- notifications -----------------------------------------------------------------------------


async def _people_with_roles(session: AsyncSession) -> list[tuple[Person, set[str]]]:
    people = list(await session.scalars(select(Person).where(Person.active).order_by(Person.id)))
    roles: dict[int, set[str]] = {}
    for person_id, role in await session.execute(select(PersonRole.person_id, PersonRole.role)):
        roles.setdefault(person_id, set()).add(role)
    return [(person, roles.get(person.id, set())) for person in people]


async def _submission_round(session: AsyncSession, item: Item) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(TimelineEvent)
        .where(TimelineEvent.item_id == item.id, TimelineEvent.kind == Kind.SUBMITTED)
    )
    return int(count or 0)


async def _ask_approvers(rt: Runtime, session: AsyncSession, item: Item, registrar: str) -> None:
    step = item.approval_step
    steps = rt.policy.approval.steps
    now = rt.clock.now()
    view = await item_view(session, item, now, rt.policy)
    round_ = await _submission_round(session, item)
    for person, roles in await _people_with_roles(session):
        if not rt.policy.approval.may_approve(step, person.key, roles):
            continue
        t = rt.text(person.locale)
        await enqueue(
            session,
            key=notification_key("item", item.id, "approval", round_, step, person.id),
            person_id=person.id,
            item_id=item.id,
            kind="approval",
            text=texts.approval_request(
                t, view, rt.tz, now, step=step + 1, steps=len(steps), registrar=registrar
            ),
            buttons=[
                [
                    Button(t.raw(texts.APPROVE), callbacks.make(callbacks.APPROVE, item.ref, step)),
                    Button(
                        t.raw(texts.RETURN),
                        callbacks.make(callbacks.RETURN_DRAFT, item.ref, step),
                    ),
                ]
            ],
            not_before=now,
            created_at=now,
        )


async def _office(session: AsyncSession, item: Item) -> list[Person]:
    """Who in the office hears about an item: its registrar, else every supervisor."""
    if item.created_by_id is not None:
        registrar = await session.get(Person, item.created_by_id)
        if registrar is not None and registrar.active:
            return [registrar]
    return [
        person for person, roles in await _people_with_roles(session) if Role.SUPERVISOR in roles
    ]


async def _tell_office_load(
    rt: Runtime, session: AsyncSession, item: Item, warnings: Sequence[LoadWarning]
) -> None:
    now = rt.clock.now()
    view = await item_view(session, item, now, rt.policy)
    round_ = await _submission_round(session, item)
    for person in await _office(session, item):
        t = rt.text(person.locale)
        await enqueue(
            session,
            key=notification_key("item", item.id, "load", round_, person.id),
            person_id=person.id,
            item_id=item.id,
            kind="load_warning",
            text=texts.load_warning(t, view, warnings),
            buttons=[
                [
                    Button(
                        t.raw(texts.DISPATCH_ANYWAY),
                        callbacks.make(callbacks.CONFIRM_LOAD, item.ref),
                    )
                ]
            ],
            not_before=now,
            created_at=now,
        )


async def _tell_registrar(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    occasion: str,
    render: Any,
    buttons: list[list[Button]] | None = None,
) -> None:
    if item.created_by_id is None:
        return
    person = await session.get(Person, item.created_by_id)
    if person is None or not person.active:
        return
    now = rt.clock.now()
    round_ = await _submission_round(session, item)
    t = rt.text(person.locale)
    await enqueue(
        session,
        key=notification_key("item", item.id, occasion, round_, person.id),
        person_id=person.id,
        item_id=item.id,
        kind=occasion,
        text=render(t),
        buttons=buttons,
        not_before=now,
        created_at=now,
    )


# --- the steps ---------------------------------------------------------------------------------


async def _send_or_warn(
    rt: Runtime, session: AsyncSession, item: Item, origin: Origin, *, confirm_load: bool
) -> list[LoadWarning]:
    """Dispatch now unless load control warns (and nobody confirmed); the warnings either way."""
    check_dispatch(
        ItemStatus(item.status),
        steps_required=len(rt.policy.approval.steps),
        steps_approved=item.approval_step,
    )
    warnings = await check_load(rt, session, item)
    if warnings and not confirm_load:
        return warnings
    note: dict[str, Any] = {}
    if warnings:
        note = {"load_confirmed": True, "load_warnings": [warning_json(w) for w in warnings]}
    await dispatch_now(rt, session, item, origin, at=rt.clock.now(), note=note)
    return []


async def _submit_for_approval(
    rt: Runtime, session: AsyncSession, item: Item, origin: Origin
) -> None:
    item.status = str(apply(ItemStatus(item.status), ItemAction.SUBMIT_FOR_APPROVAL))
    item.approval_step = 0
    item.updated_at = rt.clock.now()
    record(
        session,
        item_id=item.id,
        at=rt.clock.now(),
        kind=Kind.SUBMITTED,
        actor_id=origin.person_id,
        data={"steps": len(rt.policy.approval.steps)},
    )
    await session.flush()
    registrar = origin.actor.name if origin.actor else "API"
    await _ask_approvers(rt, session, item, registrar)


async def submit_item(
    rt: Runtime, origin: Origin, draft: ItemDraft, *, confirm_load: bool = False
) -> Submitted:
    """The office submits a new item: to approval, or out at once, or to a load warning."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await add_item(rt, session, origin, draft)
        warnings: list[LoadWarning] = []
        if rt.policy.approval.required:
            await _submit_for_approval(rt, session, item, origin)
            outcome = Outcome.PENDING_APPROVAL
        else:
            warnings = await _send_or_warn(rt, session, item, origin, confirm_load=confirm_load)
            outcome = Outcome.LOAD_WARNING if warnings else Outcome.DISPATCHED
        await session.commit()
        view = await item_view(session, item, now, rt.policy)
    rt.wake_outbox()
    return Submitted(view, outcome, tuple(warnings))


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
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await add_item(rt, session, origin, draft, dispatched_at=dispatched_at)
        if dispatched_at is not None:
            await dispatch_now(rt, session, item, origin, at=dispatched_at)
        elif dispatch:
            warnings = await check_load(rt, session, item)
            if warnings and not confirm_load:
                await session.rollback()
                raise LoadWarned(warnings)
            note: dict[str, Any] = {"approval": "bypassed"} if rt.policy.approval.required else {}
            if warnings:
                note |= {
                    "load_confirmed": True,
                    "load_warnings": [warning_json(w) for w in warnings],
                }
            await dispatch_now(rt, session, item, origin, at=now, note=note)
        elif rt.policy.approval.required:
            await _submit_for_approval(rt, session, item, origin)
        await session.commit()
        view = await item_view(session, item, now, rt.policy)
    rt.wake_outbox()
    return view


def _check_approver(rt: Runtime, origin: Origin, step: int) -> None:
    if origin.via_api:
        return
    actor: Actor | None = origin.actor
    if actor is None or not rt.policy.approval.may_approve(step, actor.key, actor.roles):
        raise NotApprover()


async def _pending(
    rt: Runtime, session: AsyncSession, ref: str, step: int | None, action: ItemAction
) -> tuple[Item, int]:
    """The item waiting at an approval step (``step`` as on the button, if given)."""
    item = await find_item(session, ref)
    status = ItemStatus(item.status)
    try:
        if action is ItemAction.APPROVE:
            current = check_approve(
                status,
                steps_required=len(rt.policy.approval.steps),
                steps_approved=item.approval_step,
            )
        else:
            apply(status, action)
            current = item.approval_step
    except Conflict:
        raise AlreadyDecided() from None
    if step is not None and step != current:
        raise AlreadyDecided()
    return item, current


@dataclass(frozen=True)
class Decided:
    item: ItemView
    outcome: Outcome
    warnings: tuple[LoadWarning, ...] = ()


async def approve_item(
    rt: Runtime, origin: Origin, ref: str, *, step: int | None = None, confirm_load: bool = False
) -> Decided:
    """Approve the item's current step; the last approval dispatches it (or warns the office)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        item, current = await _pending(rt, session, ref, step, ItemAction.APPROVE)
        _check_approver(rt, origin, current)
        item.approval_step = current + 1
        item.updated_at = now
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.APPROVED,
            actor_id=origin.person_id,
            data={"step": current + 1, "steps": len(rt.policy.approval.steps)},
        )
        await session.flush()
        warnings: list[LoadWarning] = []
        if item.approval_step < len(rt.policy.approval.steps):
            registrar = await _registrar_name(session, item)
            await _ask_approvers(rt, session, item, registrar)
            outcome = Outcome.PENDING_APPROVAL
        else:
            warnings = await _send_or_warn(rt, session, item, origin, confirm_load=confirm_load)
            if warnings:
                await _tell_office_load(rt, session, item, warnings)
                outcome = Outcome.LOAD_WARNING
            else:
                outcome = Outcome.DISPATCHED
                view = await item_view(session, item, now, rt.policy)
                await _tell_registrar(
                    rt, session, item, "approved", lambda t: texts.approved_and_dispatched(t, view)
                )
        await session.commit()
        view = await item_view(session, item, now, rt.policy)
    rt.wake_outbox()
    return Decided(view, outcome, tuple(warnings))


async def _registrar_name(session: AsyncSession, item: Item) -> str:
    if item.created_by_id is None:
        return "API"
    person = await session.get(Person, item.created_by_id)
    return person.name if person else ""


async def return_item(
    rt: Runtime, origin: Origin, ref: str, reason: str, *, step: int | None = None
) -> ItemView:
    """An approver returns the item to its registrar (审核退回) with a reason."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(N_("Please give a reason."), field="reason")
    check_length(reason, REASON_MAX, ReasonTooLong, field="reason")
    now = rt.clock.now()
    async with rt.db.session() as session:
        item, current = await _pending(rt, session, ref, step, ItemAction.RETURN_DRAFT)
        _check_approver(rt, origin, current)
        item.status = str(apply(ItemStatus(item.status), ItemAction.RETURN_DRAFT))
        item.approval_step = 0
        item.updated_at = now
        record(
            session,
            item_id=item.id,
            at=now,
            kind=Kind.RETURNED_DRAFT,
            actor_id=origin.person_id,
            detail=reason,
            data={"step": current + 1},
        )
        await session.flush()
        view = await item_view(session, item, now, rt.policy)
        who = origin.actor.name if origin.actor else "API"
        registrar = await session.get(Person, item.created_by_id) if item.created_by_id else None
        label = rt.text(registrar.locale if registrar else None).raw(texts.SUBMIT_AGAIN)
        await _tell_registrar(
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
        item, current = await _pending(rt, session, ref, step, ItemAction.RETURN_DRAFT)
        _check_approver(rt, origin, current)
        return await item_view(session, item, rt.clock.now(), rt.policy)


async def resubmit_item(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """The office sends a returned draft back to the first approval step."""
    require_office(origin)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        if ItemStatus(item.status) is not ItemStatus.DRAFT or not rt.policy.approval.required:
            raise NotReturnable()
        await _submit_for_approval(rt, session, item, origin)
        await session.commit()
        view = await item_view(session, item, now, rt.policy)
    rt.wake_outbox()
    return view


async def dispatch_draft(
    rt: Runtime, origin: Origin, ref: str, *, confirm_load: bool = True
) -> ItemView:
    """The office sends out an item held by a load warning (or a draft with no approval steps).

    Pressing "Dispatch anyway" confirms the warning; the API without ``confirm`` gets
    :class:`LoadWarned` and nothing changes.
    """
    require_office(origin)
    now = rt.clock.now()
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        try:
            warnings = await _send_or_warn(rt, session, item, origin, confirm_load=confirm_load)
        except Conflict:
            raise AlreadyDecided() from None
        if warnings:
            await session.rollback()
            raise LoadWarned(warnings)
        await session.commit()
        view = await item_view(session, item, now, rt.policy)
    rt.wake_outbox()
    return view


# --- batch registration ------------------------------------------------------------------------


async def import_items(
    rt: Runtime,
    origin: Origin,
    rows: Sequence[ImportRow],
    *,
    file: str,
    dispatch: bool = False,
    confirm_load: bool = False,
    progress: Any = None,
) -> list[ItemView]:
    """Register every row in ONE transaction: all of them, or (on any problem) none.

    Rows with ``dispatched_at`` are already out (a running ledger moving in): they are
    dispatched as of then, without approval or load control. With ``dispatch`` the other rows
    go out now, load control first; without it they are registered as drafts.
    """
    require_office(origin)
    now = rt.clock.now()
    problems: list[ImportProblem] = []
    items: list[Item] = []
    async with rt.db.session() as session:
        names = await _names(session)
        for number, row in enumerate(rows, start=1):
            try:
                draft = ItemDraft(
                    title=row.title,
                    body=row.body,
                    source=row.source,
                    time_class=row.time_class,
                    lead_unit=names.get(row.lead_unit, row.lead_unit),
                    co_units=tuple(names.get(key, key) for key in row.co_units),
                    leader=names.get(row.leader, row.leader) if row.leader else None,
                    due=row.due,
                )
                item = await add_item(rt, session, origin, draft, dispatched_at=row.dispatched_at)
                if row.dispatched_at is not None:
                    await dispatch_now(rt, session, item, origin, at=row.dispatched_at)
                elif dispatch:
                    warnings = await check_load(rt, session, item)
                    if warnings and not confirm_load:
                        problems.extend(
                            ImportProblem(file, row.row, "lead_unit", _describe(w))
                            for w in warnings
                        )
                        continue
                    note = (
                        {"load_warnings": [warning_json(w) for w in warnings]} if warnings else {}
                    )
                    await dispatch_now(rt, session, item, origin, at=now, note=note)
                items.append(item)
            except DubanError as exc:
                field = exc.params.get("field")
                problems.append(
                    ImportProblem(file, row.row, str(field) if field else None, _english(rt, exc))
                )
            if progress is not None:
                progress(number, len(rows))
        if problems:
            await session.rollback()
            raise ItemImportError(problems)
        await session.commit()
        views = [await item_view(session, item, now, rt.policy) for item in items]
    rt.wake_outbox()
    return views


async def _names(session: AsyncSession) -> dict[str, str]:
    """Units' and people's names to their keys, so a list may name them as people write them."""
    names = {name: key for key, name in await session.execute(select(Person.key, Person.name))}
    names |= {name: key for key, name in await session.execute(select(Unit.key, Unit.name))}
    return names


def _english(rt: Runtime, exc: DubanError) -> str:
    params = {k: v for k, v in exc.params.items() if k != "field"}
    return str(rt.translator.gettext("en", exc.key).format(**params))


def _describe(warning: LoadWarning) -> str:
    parts = []
    if warning.too_many:
        parts.append(f"unit {warning.unit_key} already has {warning.open_items} open items")
    if warning.similar_ref:
        parts.append(
            f"unit {warning.unit_key} already has a similar item {warning.similar_ref} "
            f"({warning.similar_title})"
        )
    return "; ".join(parts) + " (use --confirm-load to dispatch anyway)"
