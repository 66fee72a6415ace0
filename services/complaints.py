"""Anonymous complaints (投诉举报): filing, tracking, the office's triage and the answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.vocabulary import ComplaintStatus
from storage.models import Complaint


async def answer_from_closing(
    session: AsyncSession, item_id: int, answer: str, now: datetime
) -> int:
    """When an item that came from complaints closes, their answer is the closing's.

    Called in the closing's unit of work; returns how many complaints were answered.
    """
    result = await session.execute(
        update(Complaint)
        .where(
            Complaint.item_id == item_id,
            Complaint.status.in_([ComplaintStatus.ACCEPTED, ComplaintStatus.MERGED]),
        )
        .values(status=ComplaintStatus.ANSWERED, answer=answer, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
