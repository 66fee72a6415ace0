"""One-time links (an invitation, a group link): found by their secret, used at most once.

Only the token's hash is stored. Opening a link locks its row and refuses one that is unknown,
used (or, for an invitation, revoked) or expired, in that order; claiming it marks it used
unless a concurrent use got there first, which is refused as used too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DubanError
from domain.tokens import hash_token
from storage.models import GroupLink, Invite

_Link = TypeVar("_Link", Invite, GroupLink)


@dataclass(frozen=True)
class Refusals:
    """The errors that say why a kind of link cannot be used."""

    unknown: type[DubanError]
    used: type[DubanError]
    expired: type[DubanError]


async def open_link(
    session: AsyncSession, kind: type[_Link], token: str, now: datetime, refusals: Refusals
) -> _Link:
    """The link of ``token``, locked until the transaction ends, if it may still be used."""
    link = await session.scalar(
        select(kind).where(kind.token_hash == hash_token(token)).with_for_update()
    )
    if link is None:
        raise refusals.unknown()
    revoked = isinstance(link, Invite) and link.revoked_at is not None
    if link.used_at is not None or revoked:
        raise refusals.used()
    if link.expires_at <= now:
        raise refusals.expired()
    return link


async def claim_link(
    session: AsyncSession, link: _Link, now: datetime, refusals: Refusals, **more: Any
) -> None:
    """Mark the link used now (with ``more`` columns), unless another use was first."""
    kind = type(link)
    claimed = await session.execute(
        update(kind).where(kind.id == link.id, kind.used_at.is_(None)).values(used_at=now, **more)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise refusals.used()
