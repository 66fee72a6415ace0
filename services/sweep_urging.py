"""The ladder's written urging notices (催办通知) as the sweep issues them.

A level with ``urging_notice`` issues a numbered notice once per item, level and due date (its
number kept on the timeline, ``notice_issued``). By default (``documents.urging_per_unit``) the
notices of one unit in one batch of the sweep are ONE notice with one number listing the unit's
overdue items, issued before the batch's messages are built, so each item's messages name it
and its document goes with them to the unit's head and contact; an item of two units is in
each unit's notice. With the key off, or when a unit's notice could not be written, each item
gets a notice of its own as it is handled.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.deadlines import local_date
from domain.documents import DocumentKind
from domain.occasions import PlannedOccasion
from domain.recipients import UnitContacts
from domain.records import ItemRecord
from domain.reminders import OccasionKind
from services.documents.issue import issue_document
from services.runtime import Runtime
from services.sweep_batch import SweepWrites, timeline_row
from services.sweep_people import ItemUnits
from services.timeline import Kind
from storage.models import Document, Item, TimelineEvent

log = logging.getLogger("duban.sweep")

# (item, level, basis, unit): a unit's notice listing the item; unit None: the item's own
NoticeKey = tuple[int, int, str, int | None]


@dataclass(frozen=True)
class IssuedNotice:
    """An urging notice's number, and its document (sent to the units as a file)."""

    code: str
    document_id: int | None
    issued_on: date  # its document asks the written answer by this day plus ``reply_days``


async def issued_notices(
    session: AsyncSession, item_ids: Collection[int], tz: ZoneInfo
) -> dict[NoticeKey, IssuedNotice]:
    """The urging notices already issued for ``item_ids``, as their timelines record them."""
    notices: dict[NoticeKey, IssuedNotice] = {}
    if not item_ids:
        return notices
    rows = await session.execute(
        select(TimelineEvent.item_id, TimelineEvent.data, TimelineEvent.at).where(
            TimelineEvent.item_id.in_(set(item_ids)), TimelineEvent.kind == Kind.NOTICE_ISSUED
        )
    )
    for item_id, data, at in rows:
        level, basis = (data or {}).get("level"), (data or {}).get("basis")
        if isinstance(level, int) and isinstance(basis, str):
            document, unit = data.get("document"), data.get("unit")
            notices.setdefault(
                (item_id, level, basis, unit if isinstance(unit, int) else None),
                IssuedNotice(
                    str(data["code"]),
                    document if isinstance(document, int) else None,
                    local_date(at, tz),
                ),
            )
    return notices


def _notice_entry(
    item: ItemRecord,
    now: datetime,
    key: NoticeKey,
    document: Document,
    listed: int,
) -> dict[str, Any]:
    _, level, basis, unit = key
    data: dict[str, Any] = {
        "level": level,
        "basis": basis,
        "code": document.number,
        "year": document.year,
        "seq": document.seq,
        "document": document.id,
    }
    if unit is not None:
        data |= {"unit": unit, "items": listed}
    return timeline_row(
        item.id, now, Kind.NOTICE_ISSUED, unit_id=unit, detail=document.number, data=data
    )


@dataclass(frozen=True)
class _Wanted:
    item: ItemRecord
    basis: str
    unit: UnitContacts


async def issue_unit_notices(
    rt: Runtime,
    session: AsyncSession,
    now: datetime,
    batch: tuple[Mapping[int, ItemRecord], dict[int, ItemUnits], dict[int, list[PlannedOccasion]]],
    notices: dict[NoticeKey, IssuedNotice],
    kept: SweepWrites,
) -> None:
    """One notice per open unit and urging level for the batch's items reaching that level
    (``batch``: the items, their units, their due occasions) whose notice is not issued yet;
    each item's number goes into ``notices`` and its timeline entry into ``kept``."""
    if not rt.policy.documents.urging_per_unit:
        return
    items, units, due = batch
    wanted: dict[tuple[int, int], list[_Wanted]] = {}
    for item_id, planned in due.items():
        for plan in planned:
            level = rt.policy.ladder.get(plan.occasion.level)
            if plan.occasion.kind is not OccasionKind.ESCALATION or level is None:
                continue
            if not level.urging_notice:
                continue
            for unit in units[item_id].units:
                if unit.open and (item_id, level.level, plan.basis, unit.unit_id) not in notices:
                    found = wanted.setdefault((unit.unit_id, level.level), [])
                    found.append(_Wanted(items[item_id], plan.basis, unit))
    stored = await _stored(session, {w.item.id for listed in wanted.values() for w in listed})
    for (unit_id, level_number), listed in wanted.items():
        try:
            document = await issue_document(
                session,
                rt,
                stored[listed[0].item.id],
                DocumentKind.URGING,
                now,
                listed=[stored[w.item.id] for w in listed],
                addressed_to=listed[0].unit.name,
            )
        except SQLAlchemyError:
            raise
        except Exception:  # each item then gets a notice of its own as it is handled
            log.exception("unit_notice_failed", extra={"unit": unit_id, "items": len(listed)})
            continue
        notice = IssuedNotice(document.number, document.id, local_date(now, rt.tz))
        for w in listed:
            key = (w.item.id, level_number, w.basis, unit_id)
            notices[key] = notice
            kept.entries.append(_notice_entry(w.item, now, key, document, len(listed)))


async def issue_item_notice(
    rt: Runtime,
    session: AsyncSession,
    now: datetime,
    key: NoticeKey,
    item: ItemRecord,
    kept: SweepWrites,
) -> IssuedNotice:
    """The item's own urging notice for ``key`` (its unit None): its number taken and its
    document written in this pass's transaction."""
    stored = (await _stored(session, [item.id]))[item.id]
    document = await issue_document(session, rt, stored, DocumentKind.URGING, now)
    kept.entries.append(_notice_entry(item, now, key, document, 1))
    return IssuedNotice(document.number, document.id, local_date(now, rt.tz))


async def _stored(session: AsyncSession, ids: Collection[int]) -> dict[int, Item]:
    """The stored items ``ids`` (a document reads more of an item than the sweep loads)."""
    if not ids:
        return {}
    return {item.id: item for item in await session.scalars(select(Item).where(Item.id.in_(ids)))}
