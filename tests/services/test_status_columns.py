"""Status columns hold the domain's enums: members come back, strangers are refused on write and
match nothing when compared (a filter someone typed), on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import StatementError

from domain.clock import FakeClock
from domain.vocabulary import ComplaintStatus
from storage.db import Database
from storage.models import Complaint


async def _complaint(db: Database, clock: FakeClock) -> int:
    async with db.session() as session:
        complaint = Complaint(
            public_id="T2026-1",
            code_hash="0" * 64,
            category="other",
            text="路灯不亮",
            status="new",  # a plain string that names a member is taken
            created_on=clock.now().date(),
            updated_at=clock.now(),
        )
        session.add(complaint)
        await session.commit()
        return complaint.id


async def test_a_status_loads_as_its_member(db: Database, clock: FakeClock) -> None:
    complaint_id = await _complaint(db, clock)
    async with db.session() as session:
        loaded = await session.get_one(Complaint, complaint_id)
        assert loaded.status is ComplaintStatus.NEW
        statuses = list(await session.scalars(select(Complaint.status)))
        assert statuses == [ComplaintStatus.NEW]
        assert type(statuses[0]) is ComplaintStatus


async def test_a_stranger_is_refused_on_write_and_nothing_is_changed(
    db: Database, clock: FakeClock
) -> None:
    complaint_id = await _complaint(db, clock)
    async with db.session() as session:
        with pytest.raises(StatementError, match="pending"):
            await session.execute(
                update(Complaint).where(Complaint.id == complaint_id).values(status="pending")
            )
    async with db.session() as session:
        assert (await session.get_one(Complaint, complaint_id)).status is ComplaintStatus.NEW


async def test_comparing_with_a_stranger_matches_nothing(db: Database, clock: FakeClock) -> None:
    await _complaint(db, clock)
    async with db.session() as session:
        typed = "'; DROP TABLE complaints; --"
        assert (
            list(await session.scalars(select(Complaint.id).where(Complaint.status == typed))) == []
        )
        found = await session.scalars(
            select(Complaint.id).where(Complaint.status.in_([ComplaintStatus.NEW, "nonsense"]))
        )
        assert len(list(found)) == 1
