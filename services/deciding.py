"""What every decision on an item does, whoever decides (the unit head's sign-off, the
office's close, extension, reopening, archive): inside one unit of work, the lifecycle's move,
the report settled, the change recorded on the timeline with its notice, commit, show the item
(:class:`Decision`); and what several of them share: a reason's text, moving the due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import end_of_day
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_
from domain.lifecycle import ItemAction, apply
from domain.reports import TEXT_MAX
from domain.text import ReasonTooLong, check_length
from domain.views import ItemView
from domain.vocabulary import ReportStatus
from services.items import Origin
from services.notices import (
    Notice,
    commit_and_view,
    record_and_notify,
    unit_buttons,
)
from services.outbox.queue import cancel_queued
from services.recipients import item_people
from services.runtime import Runtime
from services.views import find_item
from storage.models import Item, Person, Report
from texts import Text


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


def move_due(rt: Runtime, item: Item, due: date) -> dict[str, str | None]:
    today = rt.clock.now().astimezone(rt.tz).date()
    if due < today:
        raise InvalidInput(N_("The new due date is in the past."), field="due")
    before = item.due_date.isoformat() if item.due_date else None
    item.due_date = due
    item.due_at = end_of_day(due, rt.tz)
    # No feedback milestone falls after the due date.
    return {"from": before, "to": due.isoformat()}


class DueNotice(Protocol):
    def __call__(
        self, t: Text, item: ItemView, tz: ZoneInfo, now: datetime, *, reason: str
    ) -> str: ...


async def redate(
    decision: Decision,
    origin: Origin,
    due: date,
    reason: str,
    event: str,
    kind: str,
    render: DueNotice,
    extra: dict[str, Any] | None = None,
) -> ItemView:
    """The office's decision moves the item's due date: everyone on the item is told, and why."""
    rt, item = decision.rt, decision.item
    data: dict[str, Any] = {"via": via(origin), **move_due(rt, item, due), **(extra or {})}
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
