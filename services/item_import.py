"""Registering a whole list of items (督办事项清单) in one transaction: all of them, or none.

The rows come checked from :mod:`domain.item_import`; here units and leaders named as people
write them are found in the roster, and every problem is reported with its row and field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DubanError
from domain.item_import import ImportProblem, ImportRow, ItemImportError
from domain.registration import LoadWarning
from domain.views import ItemView
from services.items import ItemDraft, Origin, add_item, dispatch_now, require_office
from services.load_control import dispatch_unless_warned
from services.runtime import Runtime
from services.views import item_view
from storage.models import Item, Person, Unit


async def import_items(
    rt: Runtime,
    origin: Origin,
    rows: Sequence[ImportRow],
    *,
    file: str,
    dispatch: bool = False,
    confirm_load: bool = False,
    progress: Callable[[int, int], object] | None = None,
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
                item = await add_item(
                    rt, session, origin, _draft(row, names), dispatched_at=row.dispatched_at
                )
                if row.dispatched_at is not None:
                    await dispatch_now(rt, session, item, origin, at=row.dispatched_at)
                elif dispatch:
                    warnings = await dispatch_unless_warned(
                        rt,
                        session,
                        item,
                        origin,
                        at=now,
                        confirm_load=confirm_load,
                        mark_confirmed=False,
                    )
                    if warnings:
                        problems.extend(_held(file, row, w) for w in warnings)
                        continue
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


def _draft(row: ImportRow, names: dict[str, str]) -> ItemDraft:
    """The row as a draft, units and leader by key (a name people write is its key's)."""
    return ItemDraft(
        title=row.title,
        body=row.body,
        source=row.source,
        time_class=row.time_class,
        lead_unit=names.get(row.lead_unit, row.lead_unit),
        co_units=tuple(names.get(key, key) for key in row.co_units),
        leader=names.get(row.leader, row.leader) if row.leader else None,
        due=row.due,
    )


async def _names(session: AsyncSession) -> dict[str, str]:
    """Units' and people's names to their keys, so a list may name them as people write them."""
    names = {name: key for key, name in await session.execute(select(Person.key, Person.name))}
    names |= {name: key for key, name in await session.execute(select(Unit.key, Unit.name))}
    return names


def _english(rt: Runtime, exc: DubanError) -> str:
    params = {k: v for k, v in exc.params.items() if k != "field"}
    return str(rt.translator.gettext("en", exc.key).format(**params))


def _held(file: str, row: ImportRow, warning: LoadWarning) -> ImportProblem:
    """A row that load control holds back, as a problem of its lead unit."""
    parts = []
    if warning.too_many:
        parts.append(f"unit {warning.unit_key} already has {warning.open_items} open items")
    if warning.similar_ref:
        parts.append(
            f"unit {warning.unit_key} already has a similar item {warning.similar_ref} "
            f"({warning.similar_title})"
        )
    message = "; ".join(parts) + " (use --confirm-load to dispatch anyway)"
    return ImportProblem(file, row.row, "lead_unit", message)
