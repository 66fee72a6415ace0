"""Small values the service remembers between starts: the bot's username, the console's URL."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.runtime import Runtime
from storage.models import Setting


async def stored_setting(rt: Runtime, name: str) -> str | None:
    async with rt.db.session() as session:
        row = await session.get(Setting, name)
        return row.value if row else None


async def remember_setting(rt: Runtime, name: str, value: str) -> None:
    """Keep ``value`` under ``name``; the time changes only when the value does. Several
    instances starting at once may all remember it: one statement, so none of them fails."""
    async with rt.db.session() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(Setting).values(name=name, value=value, updated_at=rt.clock.now())
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[Setting.name],
                set_={
                    "value": statement.excluded.value,
                    "updated_at": statement.excluded.updated_at,
                },
                where=Setting.value != statement.excluded.value,
            )
        )
        await session.commit()
