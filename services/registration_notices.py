"""Who hears about a registration's progress: the approvers of a step, the registrar, the office.

Each function queues messages in the caller's unit of work (the caller commits and wakes the
outbox). A notification's key carries the submission round, so an item submitted again asks
its approvers again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.registration import LoadWarning
from services.outbox.queue import enqueue, notification_key
from services.recipients import office_people
from services.runtime import Runtime
from services.timeline import Kind
from services.views import item_view
from storage.models import Item, Person, PersonRole, TimelineEvent
from texts import Text
from texts import registration as texts


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


async def ask_approvers(rt: Runtime, session: AsyncSession, item: Item, registrar: str) -> None:
    """Everyone who may approve the item's current step gets it with approve/return buttons."""
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
    return await office_people(session)


async def tell_office_load(
    rt: Runtime, session: AsyncSession, item: Item, warnings: Sequence[LoadWarning]
) -> None:
    """The item held by load warnings after its last approval: the office may send it anyway."""
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


async def tell_registrar(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    occasion: str,
    render: Callable[[Text], str],
    buttons: list[list[Button]] | None = None,
) -> None:
    """The registrar (if still active) hears of the occasion; an item from the API has none."""
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
