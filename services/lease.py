"""Leases: a named job (the sweep) that only one instance runs at a time.

Several ``duban run`` processes share one database. Each has a holder id
(:func:`new_holder_id`: host, process id and a random part). Before it runs the job, an instance
calls :func:`acquire`, one statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING,
the same on SQLite and PostgreSQL) that takes the lease only when nobody holds it, when its
holder let it run out, or when it is already ours (then it is renewed). Two instances asking at
once: the database serialises them on the row, and the second sees the first one's lease.

A holder that dies stops renewing; once ``expires_at`` has passed, the next instance to ask
takes the lease over. A holder that stops cleanly gives it up with :func:`release`.

Times come from the runtime's clock. A lease whose ``acquired_at`` lies more than its own length
ahead of our clock was taken by a run that acted as if it were later (``duban sweep --now`` in
the future) and is treated as free, so such a run cannot lock the others out until that date.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.runtime import Runtime
from storage.models import Lease

SWEEP = "sweep"
SWEEP_LEASE = timedelta(minutes=3)  # the sweep runs every minute: two missed renewals are fine


def new_holder_id() -> str:
    """``host:pid:random``, short enough for the column (64)."""
    host = socket.gethostname()[:40]
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class LeaseInfo:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


async def acquire(
    rt: Runtime, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew the lease ``name`` for ``ttl`` from ``now`` (the clock's, by default);
    False when another holds it. Work done under the lease should be done as of that same
    ``now``: a later reading of the clock may already lie past the lease."""
    now = rt.clock.now() if now is None else now
    insert = pg_insert if rt.db.dialect == "postgresql" else sqlite_insert
    new = insert(Lease).values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
    held = Lease.__table__.c
    stmt = new.on_conflict_do_update(
        index_elements=[held.name],
        set_={
            "holder": new.excluded.holder,
            # a renewal keeps when the holder first took it; a takeover starts afresh
            "acquired_at": case(
                (held.holder == new.excluded.holder, held.acquired_at),
                else_=new.excluded.acquired_at,
            ),
            "expires_at": new.excluded.expires_at,
        },
        where=or_(
            held.holder == new.excluded.holder,
            held.expires_at <= new.excluded.acquired_at,
            held.acquired_at > now + ttl,
        ),
    ).returning(held.holder)
    async with rt.db.session() as session:
        taken: str | None = (await session.execute(stmt)).scalar_one_or_none()
        await session.commit()
    return taken == holder


async def release(rt: Runtime, name: str, holder: str) -> bool:
    """Give the lease up, if it is still ours; True when it was."""
    async with rt.db.session() as session:
        gone = await session.execute(
            delete(Lease).where(Lease.name == name, Lease.holder == holder).returning(Lease.name)
        )
        released = gone.scalar_one_or_none() is not None
        await session.commit()
    return released


async def current(rt: Runtime, name: str) -> LeaseInfo | None:
    """Who holds ``name`` now (None when nobody does, or the holder's lease ran out)."""
    now = rt.clock.now()
    async with rt.db.session() as session:
        lease = await session.get(Lease, name)
    if lease is None or lease.expires_at <= now:
        return None
    return LeaseInfo(lease.name, lease.holder, lease.acquired_at, lease.expires_at)
