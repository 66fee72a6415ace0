"""The database server's clock, as an expression a statement evaluates.

Instances that share work through the database must agree on when something shared (a lease)
runs out. Their own clocks may be skewed by minutes or hours, so such a moment is written and
judged by the one clock they all reach: the database server's. ``server_time(after)`` is "the
server's time now, plus ``after``", compiled per dialect:

- PostgreSQL: ``clock_timestamp()`` (the real time at evaluation, not the transaction's start),
  a ``timestamptz`` like the columns;
- SQLite (one machine, one clock, the same code path): ``strftime(... 'now' ...)`` in UTC, in
  the exact text form SQLAlchemy stores a datetime in on SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``),
  so that comparing it with a stored column compares like with like.

Only moments that are leases between instances belong here. A product moment (when a reminder
is due, when a draft expires) stays on the injected clock, which tests move.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.types import UTCDateTime

# SQLite's 'now' has milliseconds; three zeros make them the six digits SQLAlchemy writes.
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%f000"


class ServerTime(FunctionElement[datetime]):
    """The database server's time now, plus ``after`` (may be negative)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "server_time"

    def __init__(self, after: timedelta = timedelta(0)) -> None:
        super().__init__(literal(after.total_seconds(), Float))


def _seconds(element: ServerTime, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(ServerTime, "postgresql")
def _postgresql(element: ServerTime, compiler: SQLCompiler, **kw: Any) -> str:
    seconds = _seconds(element, compiler, **kw)
    return f"(clock_timestamp() + CAST({seconds} AS double precision) * INTERVAL '1 second')"


@compiles(ServerTime, "sqlite")
def _sqlite(element: ServerTime, compiler: SQLCompiler, **kw: Any) -> str:
    seconds = _seconds(element, compiler, **kw)
    return f"strftime('{_SQLITE_FORMAT}', 'now', CAST({seconds} AS TEXT) || ' seconds')"


def server_time(after: timedelta = timedelta(0)) -> ServerTime:
    """The database server's time now, plus ``after``."""
    return ServerTime(after)
