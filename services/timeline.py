"""Appending to an item's timeline (全过程留痕): who, what, when. Never updated, never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Item, TimelineEvent


class Kind:
    """Timeline event kinds; the API shows them as they are."""

    REGISTERED = "registered"
    SUBMITTED = "submitted_for_approval"
    APPROVED = "approved"
    RETURNED_DRAFT = "returned_draft"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    REPORTED = "reported"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    STEPS_MOVED = "steps_moved"  # 调整时限: the plan / first-feedback dates
    COMPLETION_SUBMITTED = "completion_submitted"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CLOSED = "closed"
    RETURNED = "returned"
    FOLLOW_UP_SET = "follow_up_set"
    FOLLOWED_UP = "followed_up"
    REOPENED = "reopened"
    INSTRUCTED = "instructed"
    URGED = "urged"
    REMINDED = "reminded"
    CHASED = "chased"  # 催报: a missed plan, feedback or periodic report, or its notice upward
    ESCALATED = "escalated"
    NOTICE_ISSUED = "urging_notice"
    DOCUMENT_ISSUED = "document_issued"
    INSPECTION = "inspection_item"
    TALK_ORDERED = "talk_ordered"
    TALK_HELD = "talk_held"
    REFERRED = "referred"
    CRITICISM_ISSUED = "criticism_issued"
    CRITICISM_ORDERED = "criticism_ordered"
    # The leaders' measures the statistics count (domain.assessment).
    MEASURES = (TALK_HELD, CRITICISM_ISSUED, REFERRED)
    WARNING = "evidence_warning"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    UNREACHABLE = "unreachable"
    ARCHIVED = "archived"
    WITHDRAWN = "withdrawn"
    CONFIDENTIAL = "confidential"  # 内部: marked internal
    NOT_CONFIDENTIAL = "not_confidential"


def record(
    session: AsyncSession,
    *,
    item_id: int,
    at: datetime,
    kind: str,
    actor_id: int | None = None,
    unit_id: int | None = None,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        item_id=item_id,
        at=at,
        kind=kind,
        actor_id=actor_id,
        unit_id=unit_id,
        detail=detail,
        data=data or {},
    )
    session.add(event)
    return event


def record_change(
    session: AsyncSession,
    item: Item,
    at: datetime,
    kind: str,
    *,
    actor_id: int | None,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """The item changed ``at``: it was updated then, and the change goes on its timeline."""
    item.updated_at = at
    return record(
        session, item_id=item.id, at=at, kind=kind, actor_id=actor_id, detail=detail, data=data
    )
