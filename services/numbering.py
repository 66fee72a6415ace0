"""Per-year number sequences (item codes, complaints, official documents): one counter row per
name and year, advanced in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Counter


async def next_number(session: AsyncSession, name: str, year: int) -> int:
    """The next number of a per-year sequence; numbers are never reused, even after a rollback
    elsewhere, and two concurrent callers never get the same one (the row is locked by the
    UPDATE until the caller's transaction ends)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(Counter)
        .values(name=name, year=year, value=0)
        .on_conflict_do_nothing(index_elements=["name", "year"])
    )
    value = await session.scalar(
        update(Counter)
        .where(Counter.name == name, Counter.year == year)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    assert value is not None
    return int(value)
