"""A small running ledger for the statistics, export and console tests.

The clock stands at Monday 2026-11-23 09:00 (Asia/Shanghai). Items (general class: due ten
days after dispatch, plan one day after):

- A (edu lead, health co), dispatched 1 Nov: edu acknowledged after 2 h and reported within
  3 h; closed 10 Nov, before its due day (11 Nov): on time.
- B (transport), dispatched 2 Nov: nothing happened; due 12 Nov: overdue (red); escalated to
  level 1 on 13 Nov.
- C (edu), dispatched 5 Nov: returned once (14 Nov), closed 17 Nov after its due day (15 Nov).
- D (health, custom due 20 Dec), dispatched 20 Nov: open, not yet due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from domain.vocabulary import AssignmentStatus, ItemStatus, Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from services.timeline import Kind, record
from storage.models import Assignment, Item, Unit
from tests.conftest import SHANGHAI


@dataclass(frozen=True)
class Scenario:
    a: str
    b: str
    c: str
    d: str


def local(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


async def _register(
    rt: Runtime, title: str, lead: str, co: tuple[str, ...], at: datetime, **extra: object
) -> str:
    draft = ItemDraft(
        title=title,
        body=f"{title}，限期办结。",
        source=Source.MEETING,
        time_class=extra.get("time_class", TimeClass.GENERAL),  # type: ignore[arg-type]
        lead_unit=lead,
        co_units=co,
        due=extra.get("due"),  # type: ignore[arg-type]
    )
    view = await register_item(
        rt, Origin(None, via_api=True), draft, dispatch=True, dispatched_at=at
    )
    return view.ref


async def _close(rt: Runtime, ref: str, at: datetime) -> None:
    async with rt.db.session() as session:
        item = await session.scalar(select(Item).where(Item.ref == ref))
        assert item is not None
        item.status = str(ItemStatus.CLOSED)
        item.closed_at = at
        for assignment in await session.scalars(
            select(Assignment).where(Assignment.item_id == item.id)
        ):
            assignment.status = str(AssignmentStatus.COMPLETED)
            assignment.completed_at = at
        record(session, item_id=item.id, at=at, kind=Kind.CLOSED)
        await session.commit()


async def build(rt: Runtime) -> Scenario:
    a = await _register(rt, "校园安全隐患排查整治", "edu", ("health",), local(1))
    b = await _register(rt, "农村公路危桥改造", "transport", (), local(2))
    c = await _register(rt, "中小学食堂食品安全检查", "edu", (), local(5))
    d = await _register(
        rt,
        "基层医疗机构药品目录调整",
        "health",
        (),
        local(20),
        time_class=TimeClass.CUSTOM,
        due=date(2026, 12, 20),
    )
    async with rt.db.session() as session:
        edu = await session.scalar(select(Unit).where(Unit.key == "edu"))
        assert edu is not None
        item_a = await session.scalar(select(Item).where(Item.ref == a))
        item_b = await session.scalar(select(Item).where(Item.ref == b))
        item_c = await session.scalar(select(Item).where(Item.ref == c))
        assert item_a and item_b and item_c
        lead_a = await session.scalar(
            select(Assignment).where(Assignment.item_id == item_a.id, Assignment.unit_id == edu.id)
        )
        assert lead_a is not None
        lead_a.acknowledged_at = local(1) + timedelta(hours=2)
        lead_a.status = str(AssignmentStatus.IN_PROGRESS)
        lead_a.last_report_at = local(1) + timedelta(hours=3)
        item_b.escalation_level = 1
        record(session, item_id=item_b.id, at=local(13), kind=Kind.ESCALATED, data={"level": 1})
        record(session, item_id=item_c.id, at=local(14), kind=Kind.RETURNED, unit_id=edu.id)
        await session.commit()
    await _close(rt, a, local(10))
    await _close(rt, c, local(17))
    return Scenario(a, b, c, d)
