"""Writing many rows at once as plain driver statements, for the sweep's batches.

SQLAlchemy's executemany prepares every parameter of every row on its own (its parameter
dictionaries, then each column type's conversion), which for a batch of a few thousand rows
costs more CPU than the database's own work. Here each column's conversion is the one its type
declares for the dialect (the same text or value SQLAlchemy would send), applied a column at a
time and once per distinct value (a batch's rows share their times and kinds), and the rows go
in as multi-row ``VALUES`` statements with positional parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

# Parameters per statement: below SQLite's (32,766) and PostgreSQL's (32,767) limits.
MAX_PARAMETERS = 30_000


class PlainRows:
    """``table``'s ``columns`` written as plain values on ``dialect``."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect) -> None:
        self.table = table
        self.columns = list(columns)
        self.dialect = dialect
        self._types = [table.c[name].type for name in columns]
        self._convert: list[Callable[[Any], Any] | None] = [
            kind.dialect_impl(dialect).bind_processor(dialect) for kind in self._types
        ]

    def _column(self, index: int, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """One column's values of ``rows``, converted: once per distinct value, except JSON
        documents (lists and dicts), converted each."""
        name, convert = self.columns[index], self._convert[index]
        raw = [row[name] for row in rows]
        if convert is None:
            return raw
        if isinstance(self._types[index], JSON):
            return [convert(value) for value in raw]
        known = {value: convert(value) for value in set(raw)}
        return [known[value] for value in raw]

    def values(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's values of :attr:`columns`, as the driver takes them."""
        return list(zip(*(self._column(i, rows) for i in range(len(self.columns))), strict=True))

    def insert_sql(self, rows: int, suffix: str = "") -> str:
        quote = self.dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in self.columns)
        return (
            f"INSERT INTO {quote(self.table.name)} ({names}) VALUES "
            f"{placeholders(self.dialect, rows, len(self.columns))}{suffix}"
        )

    def chunks(self, rows: Sequence[dict[str, Any]]) -> list[tuple[int, tuple[Any, ...]]]:
        """The rows in runs small enough for one statement: (how many, their values flat)."""
        per = max(1, MAX_PARAMETERS // len(self.columns))
        values = self.values(rows)
        return [
            (len(run), tuple(value for row in run for value in row))
            for run in (values[start : start + per] for start in range(0, len(values), per))
        ]


def placeholders(dialect: Dialect, rows: int, columns: int) -> str:
    """``(?, ?), (?, ?)`` in the driver's parameter style, for ``rows`` rows."""
    style = dialect.paramstyle
    if style == "qmark":
        one = "(" + ", ".join("?" * columns) + ")"
        return ", ".join([one] * rows)
    if style in ("format", "pyformat"):
        one = "(" + ", ".join(["%s"] * columns) + ")"
        return ", ".join([one] * rows)
    if style == "numeric_dollar":
        return ", ".join(
            "(" + ", ".join(f"${r * columns + c + 1}" for c in range(columns)) + ")"
            for r in range(rows)
        )
    raise NotImplementedError(f"parameter style {style}")


async def insert_rows(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], *, returning: str = ""
) -> list[Any]:
    """Insert ``rows`` (dicts with the same keys); with ``returning`` (a column), the values of
    that column of the rows inserted, which ``ON CONFLICT (returning) DO NOTHING`` leaves out
    when a row with that value already exists."""
    if not rows:
        return []
    plain = PlainRows(table, list(rows[0]), conn.dialect)
    suffix = ""
    if returning:
        name = conn.dialect.identifier_preparer.quote(returning)
        suffix = f" ON CONFLICT ({name}) DO NOTHING RETURNING {name}"
    found: list[Any] = []
    for count, values in plain.chunks(rows):
        result = await conn.exec_driver_sql(plain.insert_sql(count, suffix), values)
        if returning:
            found.extend(row[0] for row in result)
    return found


async def update_rows(
    conn: AsyncConnection, table: Table, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Set each row's other columns where ``key`` has the row's value (one statement,
    executed for many rows)."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    plain = PlainRows(table, [*names, key], conn.dialect)
    quote = conn.dialect.identifier_preparer.quote
    marks = placeholders(conn.dialect, 1, len(names) + 1)[1:-1].split(", ")
    sets = ", ".join(f"{quote(name)} = {mark}" for name, mark in zip(names, marks, strict=False))
    sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote(key)} = {marks[-1]}"
    await conn.exec_driver_sql(sql, plain.values(rows))
