"""Upgrading a database that has lived at the first migration: data written in the 0001 schema
by raw SQL is upgraded to head and everything still reads (views, timeline, API shape, sweep).

Portable SQL only (named parameters, RETURNING), so it runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import FakeClock
from domain.complaints import hash_code
from domain.vocabulary import AssignmentRole, AssignmentStatus, ItemStatus
from services import complaints
from services.runtime import Runtime
from services.sweep import run_sweep
from services.views import item_json, load_item, timeline
from storage.db import Database
from storage.types import UTCDateTime
from tests.conftest import SHANGHAI, START

NOW = START.astimezone(UTC)
CODE = "0123456789ABCDEFGHJK"


def _type(value: Any) -> Any:
    if isinstance(value, datetime):
        return UTCDateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, dict | list):
        return sa.JSON()
    return None


async def insert(conn: AsyncConnection, table: str, **values: Any) -> int:
    """A raw INSERT in the 0001 schema; the new row's id (the database assigns it)."""
    columns = ", ".join(values)
    names = ", ".join(f":{name}" for name in values)
    statement = sa.text(f"INSERT INTO {table} ({columns}) VALUES ({names}) RETURNING id")
    statement = statement.bindparams(
        *[
            sa.bindparam(name, type_=kind)
            for name, value in values.items()
            if (kind := _type(value)) is not None
        ]
    )
    return int((await conn.execute(statement, values)).scalar_one())


async def person(conn: AsyncConnection, key: str, name: str, telegram: int | None) -> int:
    return await insert(
        conn,
        "people",
        key=key,
        name=name,
        locale="zh_CN",
        telegram_user_id=telegram,
        telegram_chat_id=telegram,
        bound_at=NOW - timedelta(days=30) if telegram else None,
        active=True,
        created_at=NOW - timedelta(days=40),
        updated_at=NOW - timedelta(days=40),
    )


async def fill_0001(conn: AsyncConnection) -> None:
    qian = await person(conn, "qian", "钱丽华", 1001)
    wang = await person(conn, "wang", "王副县长", 1002)
    head = await person(conn, "zhangjun", "张军", 1003)
    lina = await person(conn, "lina", "李娜", 1004)
    for who, role in ((qian, "supervisor"), (qian, "admin"), (wang, "deputy")):
        await conn.execute(
            sa.text("INSERT INTO person_roles (person_id, role) VALUES (:p, :r)"),
            {"p": who, "r": role},
        )
    edu = await insert(
        conn,
        "units",
        key="edu",
        name="县教育局",
        leader_id=wang,
        head_id=head,
        position=1,
        active=True,
        created_at=NOW - timedelta(days=40),
        updated_at=NOW - timedelta(days=40),
    )
    await insert(conn, "unit_contacts", unit_id=edu, person_id=lina, position=1)
    await conn.execute(
        sa.text("INSERT INTO counters (name, year, value) VALUES ('items', 2026, 1)")
    )
    dispatched = NOW - timedelta(days=20)
    item = await insert(
        conn,
        "items",
        year=2026,
        seq=1,
        code="DB-2026-001",
        ref="2026-1",
        title="校园周边交通安全整治",
        body="上学放学时段校门口拥堵，请牵头整治。",
        source="meeting",
        time_class="general",
        status="in_progress",
        leader_id=wang,
        created_by_id=qian,
        approval_step=0,
        due_date=(START - timedelta(days=2)).date(),
        due_at=NOW - timedelta(days=2),
        acknowledge_by=dispatched + timedelta(days=1),
        plan_by=None,
        first_feedback_by=dispatched + timedelta(days=7),
        dispatched_at=dispatched,
        closed_at=None,
        follow_up_on=None,
        inspection=False,
        escalation_level=0,
        created_at=dispatched - timedelta(hours=1),
        updated_at=dispatched,
    )
    await insert(
        conn,
        "assignments",
        item_id=item,
        unit_id=edu,
        role="lead",
        status="in_progress",
        acknowledged_at=dispatched + timedelta(hours=3),
        acknowledged_by_id=lina,
        last_report_at=dispatched + timedelta(days=5),
        completed_at=None,
    )
    events = [
        ("registered", dispatched - timedelta(hours=1), qian, None, "登记"),
        ("dispatched", dispatched, qian, edu, "交办"),
        ("acknowledged", dispatched + timedelta(hours=3), lina, edu, "签收"),
    ]
    for kind, at, actor, unit, detail in events:
        await insert(
            conn,
            "timeline_events",
            item_id=item,
            at=at,
            kind=kind,
            actor_id=actor,
            unit_id=unit,
            detail=detail,
            data={"via": "chat"},
        )
    await insert(
        conn,
        "notifications",
        key=f"dispatch:{item}:{lina}",
        person_id=lina,
        item_id=item,
        kind="dispatch",
        level=0,
        text="<b>2026-1 校园周边交通安全整治</b>\n请签收。",
        buttons=[],
        photo_path=None,
        status="sent",
        not_before=dispatched,
        attempts=1,
        last_error=None,
        claimed_until=None,
        message_id=77,
        sent_at=dispatched + timedelta(seconds=2),
        late=False,
        created_at=dispatched,
    )
    complaint = await insert(
        conn,
        "complaints",
        public_id="T2026000001",
        code_hash=hash_code(CODE),
        category="conduct",
        place="县教育局",
        text="窗口工作人员态度恶劣，办事推诿。",
        status="accepted",
        answer=None,
        reason=None,
        merged_into_id=None,
        item_id=item,
        created_on=(START - timedelta(days=21)).date(),
        updated_at=dispatched,
    )
    await insert(
        conn,
        "complaint_notes",
        complaint_id=complaint,
        from_office=True,
        text="已转县教育局办理。",
        created_on=(START - timedelta(days=20)).date(),
    )


async def test_a_0001_database_with_data_upgrades_to_head_and_reads(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url)
    try:
        await database.upgrade("0001")
        async with database.engine.begin() as conn:
            await fill_0001(conn)
        await database.upgrade()

        clock = FakeClock(START)
        rt = Runtime(db=database, clock=clock, tz=SHANGHAI, media_dir=tmp_path / "m")
        async with database.session() as session:
            view = await load_item(session, "2026-1", NOW, rt.policy)
            entries = await timeline(session, view.id)
        assert view.title == "校园周边交通安全整治"
        assert view.status is ItemStatus.IN_PROGRESS
        assert view.overdue
        assert view.leader is not None and view.leader.key == "wang"
        [lead] = view.assignments
        assert (lead.unit_key, lead.role, lead.status) == (
            "edu",
            AssignmentRole.LEAD,
            AssignmentStatus.IN_PROGRESS,
        )
        assert lead.acknowledged_by is not None and lead.acknowledged_by.key == "lina"
        assert [e.kind for e in entries] == ["registered", "dispatched", "acknowledged"]
        assert entries[1].unit_name == "县教育局"
        shown = item_json(view, entries)
        assert shown["ref"] == "2026-1"
        assert len(shown["timeline"]) == 3

        status = await complaints.status_by_code(rt, CODE)
        assert status is not None

        result = await run_sweep(rt, NOW)
        assert result.items_checked >= 1
        assert result.queued >= 1  # an overdue item: the ladder has work to do
        clock.advance(timedelta(days=1))
        await run_sweep(rt)
    finally:
        await database.dispose()
