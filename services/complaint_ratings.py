"""Reading complainants' ratings (满意度) and their requests for review (异议复核): what the
complainant and the office see of them, and what the statistics count.

The rules are in :mod:`domain.satisfaction`; rating and deciding a review are in
:mod:`services.satisfaction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.complaints import SETTLED
from domain.satisfaction import Rating, Review
from storage.models import Complaint, ComplaintRating, Item


@dataclass(frozen=True)
class Feedback:
    """A complaint's latest rating and where its request for review stands."""

    id: int
    rating: Rating
    rated_on: date
    answer: str
    reason: str | None
    review: Review | None
    reply: str | None
    decided_on: date | None
    superseded: bool


def feedback_json(feedback: Feedback | None) -> dict[str, object] | None:
    if feedback is None:
        return None
    return {
        "rating": str(feedback.rating),
        "rated_on": feedback.rated_on.isoformat(),
        "reason": feedback.reason,
        "review": str(feedback.review) if feedback.review else None,
        "reply": feedback.reply,
        "decided_on": feedback.decided_on.isoformat() if feedback.decided_on else None,
    }


async def latest_rating(session: AsyncSession, complaint_id: int) -> ComplaintRating | None:
    return await session.scalar(
        select(ComplaintRating)
        .where(ComplaintRating.complaint_id == complaint_id)
        .order_by(ComplaintRating.id.desc())
        .limit(1)
    )


async def feedback_of(session: AsyncSession, complaint: Complaint) -> tuple[Feedback | None, bool]:
    """The complaint's latest rating (None: never rated), and whether its answer may be rated
    now (it has one, and no rating of it stands)."""
    row = await latest_rating(session, complaint.id)
    settled = complaint.status in SETTLED
    may_rate = settled and (row is None or row.superseded)
    if row is None:
        return None, may_rate
    return (
        Feedback(
            id=row.id,
            rating=row.rating,
            rated_on=row.rated_on,
            answer=row.answer,
            reason=row.reason,
            review=row.review,
            reply=row.reply,
            decided_on=row.decided_on,
            superseded=row.superseded,
        ),
        may_rate,
    )


async def ratings_in(session: AsyncSession, start: date, end: date) -> list[Any]:
    """Each complaint's latest rating, when it was given within ``[start, end]``: its
    ``rating``, the ``unit_id`` that answered, the ``leader_id``, ``ref`` and ``code`` of the
    complaint's item (None without one) and the day it was ``rated_on``."""
    latest = (
        select(func.max(ComplaintRating.id).label("id"))
        .group_by(ComplaintRating.complaint_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            ComplaintRating.rating,
            ComplaintRating.unit_id,
            Item.leader_id,
            Item.ref,
            Item.code,
            ComplaintRating.rated_on,
        )
        .join(latest, latest.c.id == ComplaintRating.id)
        .join(Complaint, Complaint.id == ComplaintRating.complaint_id)
        .outerjoin(Item, Item.id == Complaint.item_id)
        .where(ComplaintRating.rated_on >= start, ComplaintRating.rated_on <= end)
    )
    return list(rows.all())
