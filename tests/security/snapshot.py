"""Every row of every table, to show that a refused action changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.runtime import Runtime
from storage.models import Base

Snapshot = dict[str, list[str]]

# Bookkeeping that a refused action may rightly move: the shared pacing of sends (a refusal is a
# message too) and the complaint abuse limits (a wrong receipt code is counted: that is the limit).
BOOKKEEPING = frozenset({"send_pace", "complaint_limits"})


async def snapshot(rt: Runtime) -> Snapshot:
    """All rows of all tables (items, assignments, reports, timeline_events, notifications,
    complaints, drafts, prompts, sign-in links, sessions, ...), each table in key order."""
    rows: Snapshot = {}
    async with rt.db.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            result = await session.execute(select(table).order_by(*order))
            rows[table.name] = [repr(tuple(row)) for row in result]
    return rows


def changes(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    """What differs, table by table (empty when nothing did), for assertion messages."""
    found: dict[str, Any] = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            found[name] = {"gone": sorted(old - new), "new": sorted(new - old)}
    return found
