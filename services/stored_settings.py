"""Small values the service remembers between starts: the bot's username, the console's URL."""

from __future__ import annotations

from services.runtime import Runtime
from storage.models import Setting


async def stored_setting(rt: Runtime, name: str) -> str | None:
    async with rt.db.session() as session:
        row = await session.get(Setting, name)
        return row.value if row else None


async def remember_setting(rt: Runtime, name: str, value: str) -> None:
    """Keep ``value`` under ``name``; the time changes only when the value does."""
    async with rt.db.session() as session:
        row = await session.get(Setting, name)
        if row is None:
            session.add(Setting(name=name, value=value, updated_at=rt.clock.now()))
        elif row.value != value:
            row.value = value
            row.updated_at = rt.clock.now()
        await session.commit()
