"""The office moves an item's plan (研究部署) and first-feedback (首次反馈) dates (调整时限).

An extension moves the due date only; these two keep their dates unless the office changes
them here. The rule (owed steps only, not in the past, not after the due date, the plan no
later than the first feedback) is :func:`domain.deadlines.moved_steps`; the item's people are
told, the timeline keeps the old and new dates, and the sweep plans the chases from the new
ones (changing either date makes the item due for its next pass).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.deadlines import StepDates, end_of_day, local_date, moved_steps
from domain.lifecycle import ItemAction
from domain.views import ItemView
from services.deciding import office_decision, reason_text, via
from services.items import Origin, require_office
from services.notices import Notice, unit_buttons
from services.recipients import item_people
from services.runtime import Runtime
from services.timeline import Kind
from texts import execution as texts


async def move_steps(
    rt: Runtime,
    origin: Origin,
    ref: str,
    *,
    plan_by: date | None,
    first_feedback_by: date | None,
    reason: str = "",
) -> ItemView:
    """Set new plan and/or first-feedback dates on the open item ``ref``, with the reason."""
    require_office(origin)
    text = reason_text(reason, required=False)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.MOVE_STEPS)
        item, tz = decision.item, rt.tz
        before = StepDates(_day(item.plan_by, tz), _day(item.first_feedback_by, tz))
        after = moved_steps(
            before, plan_by, first_feedback_by, item.due_date, local_date(decision.now, tz)
        )
        item.plan_by = _end(after.plan, tz)
        item.first_feedback_by = _end(after.first_feedback, tz)
        data = {
            "via": via(origin),
            "plan": _change(before.plan, after.plan),
            "first_feedback": _change(before.first_feedback, after.first_feedback),
        }
        await decision.announce(
            Kind.STEPS_MOVED,
            await item_people(session, item.id),
            Notice(
                "steps_moved",
                lambda t, view: texts.steps_moved_notice(t, view, tz, reason=text),
                unit_buttons,
            ),
            detail=text,
            data=data,
        )
        return await decision.done()


def _end(day: date | None, tz: ZoneInfo) -> datetime | None:
    return end_of_day(day, tz) if day is not None else None


def _day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return local_date(moment, tz) if moment is not None else None


def _change(before: date | None, after: date | None) -> dict[str, str | None] | None:
    if before == after:
        return None
    return {
        "from": before.isoformat() if before else None,
        "to": after.isoformat() if after else None,
    }
