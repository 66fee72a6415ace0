"""Pacing shared by every instance sending with one bot token: a chat's sends one interval
apart, and the bot's overall rate, whichever instance sends.

Each send takes its moment from the database in one short transaction (:func:`take_slot`):

1. the chat's row: only if the chat is free now (else nothing is taken, and the sender asks
   again when it will be);
2. the bot's row: not before the bot's next moment (the sends already booked: a fraction of a
   second ahead at most; a start a few milliseconds late is made up by the next slot, as the
   in-process pacer does);
3. both rows move on by their intervals from that start.

Every statement writes first (an upsert with ``RETURNING``), so the transaction holds the rows
(PostgreSQL) or the write lock (SQLite) from its first statement and two instances are
serialised, never refused. "Now" is the database server's clock in seconds since the epoch, so
an instance's clock (fast, slow, or a test's fake) plays no part.

A handler's answer marks its chat too (:func:`mark_sent`), so the outbox gives way to it: one
chat, one budget.

Rows of chats not written to for an hour are pruned now and then (:func:`prune`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import Runtime

BOT = "bot"
CATCH_UP = 0.005  # seconds of a late start the next overall slot may make up
FORGET_AFTER = 3600.0  # a chat's row unused this long is pruned

# The database server's clock in seconds since the epoch, and the greater of two values.
_NOW = {
    "postgresql": "extract(epoch from clock_timestamp())",
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
}
_MAX = {"postgresql": "GREATEST", "sqlite": "MAX"}
_FLOAT = {"postgresql": "double precision", "sqlite": "REAL"}


def chat_key(chat_id: int) -> str:
    return f"chat:{chat_id}"


@dataclass(frozen=True, slots=True)
class Intervals:
    """Seconds between two sends: to this chat, and by the bot overall."""

    chat: float
    overall: float


# {now}: the server's clock; {max}: the greater of two; {f}: the float type (parameters are cast,
# so PostgreSQL knows their type).
_TAKE_CHAT = """
INSERT INTO send_pace (key, next_at) VALUES (:key, {now} + CAST(:every AS {f}))
ON CONFLICT (key) DO UPDATE SET next_at = {now} + CAST(:every AS {f})
WHERE send_pace.next_at <= {now}
RETURNING next_at - CAST(:every AS {f}), {now}
"""
_CHAT_FREE_IN = "SELECT next_at - {now} FROM send_pace WHERE key = :key"
_TAKE_BOT = """
INSERT INTO send_pace (key, next_at) VALUES (:key, CAST(:start AS {f}) + CAST(:every AS {f}))
ON CONFLICT (key) DO UPDATE SET next_at = CASE
    WHEN CAST(:start AS {f}) > send_pace.next_at
     AND CAST(:start AS {f}) - send_pace.next_at <= CAST(:catch_up AS {f})
    THEN send_pace.next_at
    ELSE {max}(send_pace.next_at, CAST(:start AS {f}))
END + CAST(:every AS {f})
RETURNING next_at - CAST(:every AS {f})
"""
_MOVE_CHAT = "UPDATE send_pace SET next_at = CAST(:next AS {f}) WHERE key = :key"
# Only a chat the outbox could write to (a person's, a bound work group's) is marked: a chat the
# database does not know (a complainant's) leaves no trace in it.
_MARK_CHAT = """
INSERT INTO send_pace (key, next_at) SELECT :key, {now} + CAST(:every AS {f})
WHERE EXISTS (SELECT 1 FROM people WHERE telegram_chat_id = :chat)
   OR EXISTS (SELECT 1 FROM work_groups WHERE chat_id = :chat)
ON CONFLICT (key) DO UPDATE SET next_at = {max}(send_pace.next_at, {now} + CAST(:every AS {f}))
"""
_PRUNE = "DELETE FROM send_pace WHERE key <> :bot AND next_at < {now} - CAST(:age AS {f})"


def _sql(session: AsyncSession, statement: str) -> TextClause:
    dialect = session.get_bind().dialect.name
    return text(statement.format(now=_NOW[dialect], max=_MAX[dialect], f=_FLOAT[dialect]))


@dataclass(frozen=True, slots=True)
class Slot:
    """A send's moment: ``wait`` seconds from now; ``taken`` False when the chat is not free
    yet (nothing was taken: ask again after ``wait``)."""

    wait: float
    taken: bool


async def take_slot(rt: Runtime, chat_id: int, intervals: Intervals) -> Slot:
    """Take the chat's next send moment and the bot's, if the chat is free now.

    A chat that is not free yet takes nothing (a moment booked ahead for it would hold up the
    bot's other sends behind it): the caller asks again once it is. The bot's moment may lie a
    little ahead (the sends already booked); the chat's next moment then follows it."""
    chat = chat_key(chat_id)
    async with rt.db.session() as session:
        taken = (
            await session.execute(_sql(session, _TAKE_CHAT), {"key": chat, "every": intervals.chat})
        ).one_or_none()
        if taken is None:
            free_in = await session.scalar(_sql(session, _CHAT_FREE_IN), {"key": chat})
            await session.commit()
            return Slot(max(0.0, float(free_in or 0.0)), taken=False)
        chat_start, now = (float(value) for value in taken)
        bot = await session.execute(
            _sql(session, _TAKE_BOT),
            {"key": BOT, "start": chat_start, "every": intervals.overall, "catch_up": CATCH_UP},
        )
        # a start made up by the bot's slot is still not before the chat's
        start = max(chat_start, float(bot.scalar_one()))
        if start > chat_start:  # the bot's rate put it later: the chat's next moment follows
            await session.execute(
                _sql(session, _MOVE_CHAT), {"key": chat, "next": start + intervals.chat}
            )
        await session.commit()
    return Slot(max(0.0, start - now), taken=True)


async def mark_sent(rt: Runtime, chat_id: int, every: float) -> None:
    """A message went to the chat outside the outbox (a handler's answer): no deliverer, in any
    instance, writes to the chat for ``every`` seconds from now. A chat that is no person's or
    work group's (a complainant's) is not written down: the outbox never writes to it, and the
    database keeps no trace of who complained."""
    params = {"key": chat_key(chat_id), "every": every, "chat": chat_id}
    async with rt.db.session() as session:
        await session.execute(_sql(session, _MARK_CHAT), params)
        await session.commit()


async def prune(rt: Runtime) -> int:
    """Forget chats not written to for an hour; returns how many rows went."""
    async with rt.db.session() as session:
        gone = await session.execute(_sql(session, _PRUNE), {"bot": BOT, "age": FORGET_AFTER})
        await session.commit()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
