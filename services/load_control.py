"""Load control (基层减负) at dispatch: the warnings, and dispatching unless they hold the item.

An item about to go out is checked against its units' other open items (too many, or one much
like it). A warning holds the item until the office confirms; a confirmed dispatch keeps the
warnings on the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Conflict
from domain.i18n import N_
from domain.registration import LoadWarning, UnitLoad, load_warnings
from services.items import Origin, dispatch_now
from services.runtime import Runtime
from services.views import OPEN_STATUSES
from storage.models import Assignment, Item, Unit


class LoadWarned(Conflict):
    """Load control: the API answers 409 with the warnings unless asked to confirm."""

    key = N_("The units already carry a heavy load; confirm to dispatch anyway.")

    def __init__(self, warnings: Sequence[LoadWarning]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(None, warnings=[warning_json(w) for w in self.warnings])


def warning_json(warning: LoadWarning) -> dict[str, Any]:
    return {
        "unit": warning.unit_key,
        "open_items": warning.open_items,
        "too_many": warning.too_many,
        "similar_ref": warning.similar_ref,
        "similar_title": warning.similar_title,
        "similarity": warning.similarity,
    }


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


async def dispatch_unless_warned(
    rt: Runtime,
    session: AsyncSession,
    item: Item,
    origin: Origin,
    *,
    at: datetime,
    confirm_load: bool,
    note: dict[str, Any] | None = None,
    mark_confirmed: bool = True,
) -> list[LoadWarning]:
    """Dispatch the item at ``at`` unless load control warns and nobody confirmed.

    Returns the warnings that held it back (nothing was dispatched), or ``[]`` when it went
    out. A dispatch despite warnings notes them on the timeline after ``note`` (with
    ``load_confirmed`` unless ``mark_confirmed`` is off).
    """
    warnings = await check_load(rt, session, item)
    if warnings and not confirm_load:
        return warnings
    written = dict(note or {})
    if warnings:
        if mark_confirmed:
            written["load_confirmed"] = True
        written["load_warnings"] = [warning_json(w) for w in warnings]
    await dispatch_now(rt, session, item, origin, at=at, note=written)
    return []
