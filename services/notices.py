"""Telling an item's people about a change: a notice rendered in each person's language from
the item's view, queued in the outbox in the same unit of work as the change and its timeline
event, and the buttons such notices carry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.buttons import Button
from domain.views import ItemView
from domain.vocabulary import GroupTopic
from services.group_notices import GroupMessage, to_groups, to_item_topic
from services.outbox.queue import enqueue, notification_key
from services.runtime import Runtime
from services.timeline import record
from services.views import item_view
from storage.models import Item, Person, TimelineEvent
from texts import Text
from texts import execution as texts
from texts import items as item_texts

Render = Callable[[Text, ItemView], str]
ButtonRows = Callable[[Text, ItemView], list[list[Button]]]


@dataclass(frozen=True)
class Notice:
    """A message about an item: its notification kind, its text and its buttons, each made
    for one person's language from the item as it stands."""

    kind: str
    render: Render
    buttons: ButtonRows | None = None
    group: GroupTopic | None = None  # also to the work group the policy routes this to


async def notify(
    rt: Runtime,
    session: AsyncSession,
    people: Iterable[Person],
    notice: Notice,
    *,
    item: Item,
    occasion: str,
    not_before: datetime | None = None,
    exclude: int | None = None,
    document_id: int | None = None,
) -> None:
    """Queue ``notice`` to each person (but ``exclude``) in their language; ``occasion`` (a
    timeline event id or a report id) makes the idempotency key; ``document_id``: an official
    document that follows each private message as a file."""
    now = rt.clock.now()
    view = await item_view(session, item, now, rt.policy)
    message = _group_message(notice, item, view, occasion)
    await to_item_topic(rt, session, item, message, not_before=not_before)
    if notice.group is not None:
        units = [assignment.unit_id for assignment in view.assignments]
        if not await to_groups(rt, session, notice.group, message, item=item, unit_ids=units):
            return  # the group has it; nobody privately
    for person in people:
        if person.id == exclude:
            continue
        t = rt.text(person.locale)
        await enqueue(
            session,
            key=notification_key("item", item.id, occasion, notice.kind, person.id),
            person_id=person.id,
            item_id=item.id,
            kind=notice.kind,
            text=notice.render(t, view),
            buttons=notice.buttons(t, view) if notice.buttons is not None else None,
            not_before=not_before or now,
            created_at=now,
            document_id=document_id,
        )


def _group_message(notice: Notice, item: Item, view: ItemView, occasion: str) -> GroupMessage:
    """``notice`` as a work group gets it (the text and buttons made in the group's language)."""
    buttons = notice.buttons
    return GroupMessage(
        notice.kind,
        notification_key("item", item.id, occasion, notice.kind),
        lambda t: notice.render(t, view),
        (lambda t: buttons(t, view)) if buttons is not None else None,
    )


async def record_and_notify(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    people: Iterable[Person],
    notice: Notice,
    *,
    at: datetime,
    event: str,
    actor_id: int | None,
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
        rt, session, people, notice, item=item, occasion=f"event{entry.id}", exclude=exclude
    )
    return entry


async def commit_and_view(rt: Runtime, session: AsyncSession, item: Item) -> ItemView:
    """Commit the unit of work, wake the sender for what it queued, and show the item."""
    await session.commit()
    view = await item_view(session, item, rt.clock.now(), rt.policy)
    rt.wake_outbox()
    return view


# --- buttons on notices -------------------------------------------------------------------------


def details_button(t: Text, view: ItemView) -> Button:
    return Button(t.raw(item_texts.DETAILS), callbacks.make(callbacks.DETAIL, view.ref))


def report_button(t: Text, view: ItemView) -> Button:
    return Button(t.raw(texts.REPORT), callbacks.make(callbacks.REPORT, view.ref, "start"))


def details_only(t: Text, view: ItemView) -> list[list[Button]]:
    """The buttons of a notice that only informs: the item's details."""
    return [[details_button(t, view)]]


def unit_buttons(t: Text, view: ItemView) -> list[list[Button]]:
    """The buttons of a notice to a unit: report, and the item's details."""
    return [[report_button(t, view), details_button(t, view)]]
