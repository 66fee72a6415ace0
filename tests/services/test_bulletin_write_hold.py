"""The weekly bulletin's writing transaction holds the write lock (SQLite: the one writer turn
of the process and the file's lock) only while it writes: the contents (statistics, ledgers,
charts) are computed before it begins, not between its writes."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection

from services.bulletin import send_weekly_bulletin
from services.runtime import Runtime
from tests.services.console_scenario import build
from tests.services.test_stats_bulletin import joined


async def test_bulletin_computes_nothing_while_it_holds_the_write_lock(county: Runtime) -> None:
    await build(county)
    # An office member (all items) and two deputies: three scopes, three contents and charts.
    await joined(county, "zhao", "wang", "qian")
    writer: list[int] = []  # the connection that queued the first bulletin notification
    meanwhile: list[str] = []  # statements other connections ran while it held the lock
    held: list[float] = []

    def before(conn: Connection, _c: Any, statement: str, *_: Any) -> None:
        key = id(conn.connection.dbapi_connection)
        if not writer and statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            writer.append(key)
            held.append(time.monotonic())
        elif writer and len(held) == 1 and key != writer[0]:
            meanwhile.append(statement.split()[0])

    def ended(conn: Connection) -> None:
        if writer and len(held) == 1 and id(conn.connection.dbapi_connection) == writer[0]:
            held.append(time.monotonic())

    engine = county.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    try:
        run = await send_weekly_bulletin(county)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", ended)
        event.remove(engine, "rollback", ended)
    assert run.queued == 6
    assert len(held) == 2, "the bulletin's writing transaction did not end"
    assert meanwhile == [], (
        f"{len(meanwhile)} statements of other units of work ran while the bulletin held the "
        f"write lock ({held[1] - held[0]:.2f} s)"
    )
