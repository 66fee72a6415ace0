"""The escalation ladder after a deadline (催办/升级, DESIGN §3), from the county rules.

First the deputy leader urges (level 1, due + 0 days), then the office issues a numbered written
urging notice (level 2, due + 3 days), then the principal leader is told and the item becomes a
formal inspection item (level 3, due + 7 days). The levels, delays and recipients are policy data
(``policy.ladder``), like an on-call escalation policy; this module only reads them.

A level's moment is the first instant the item has been overdue for ``after_days`` days: the
due day's last instant (see ``domain.deadlines``) plus ``after_days`` days plus one microsecond,
i.e. the local midnight that ends the due day, ``after_days`` days later. Levels respect quiet
hours unless ``quiet_hours.escalations`` or the level's own ``quiet_hours`` is false.

``hold_until`` and the before-deadline reminders live in ``domain.quiet_hours`` and
``domain.reminders``; they are importable from here too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.deadlines import local_date
from domain.policy import LadderLevel, Policy
from domain.quiet_hours import hold_until, is_quiet
from domain.reminders import (
    Occasion,
    OccasionKind,
    before_due_occasions,
    receipt_chase_occasions,
    report_reminder_occasions,
)
from domain.schedule_memo import by_policy

__all__ = [
    "before_due_occasions",
    "due_levels",
    "escalation_occasions",
    "hold_until",
    "is_quiet",
    "level_moment",
    "level_send_at",
    "receipt_chase_occasions",
    "report_reminder_occasions",
    "respects_quiet_hours",
]

_FIRST_OVERDUE_INSTANT = timedelta(microseconds=1)


def level_moment(due_at: datetime, level: LadderLevel) -> datetime:
    """When ``level`` comes: the first instant the item is ``after_days`` days overdue."""
    return due_at + timedelta(days=level.after_days) + _FIRST_OVERDUE_INSTANT


def due_levels(
    due_at: datetime, now: datetime, policy: Policy, after_talk: datetime | None = None
) -> list[LadderLevel]:
    """The levels whose moment has come by ``now``, lowest first (before quiet hours); one
    that comes only after a talk also waits for ``after_talk`` (None: no talk, never)."""
    return [
        level
        for level in policy.ladder.levels
        if now >= level_moment(due_at, level)
        and (not level.after_talk or (after_talk is not None and now >= after_talk))
    ]


def respects_quiet_hours(level: LadderLevel, policy: Policy) -> bool:
    return policy.quiet_hours.escalations and level.quiet_hours


def level_send_at(due_at: datetime, level: LadderLevel, policy: Policy, tz: ZoneInfo) -> datetime:
    """When ``level``'s notices go out: its moment, held to the end of quiet hours if it must."""
    moment = level_moment(due_at, level)
    if not respects_quiet_hours(level, policy):
        return moment
    return hold_until(moment, policy.quiet_hours, tz)


@by_policy
def escalation_occasions(
    due_at: datetime, policy: Policy, tz: ZoneInfo, after_talk: datetime | None = None
) -> list[Occasion]:
    """Every level of the ladder as an occasion to send, keyed by level and due date. A level
    that comes only after a talk is left out while there was none (``after_talk`` None) and
    comes no earlier than ``after_talk`` (see ``domain.occasions.after_talk_from``)."""
    due = local_date(due_at, tz)
    occasions = []
    for level in policy.ladder.levels:
        at = level_send_at(due_at, level, policy, tz)
        if level.after_talk:
            if after_talk is None:
                continue
            if after_talk > at:
                quiet = respects_quiet_hours(level, policy)
                at = hold_until(after_talk, policy.quiet_hours, tz) if quiet else after_talk
        occasions.append(
            Occasion(
                kind=OccasionKind.ESCALATION,
                key=f"escalation:{level.level}:{due.isoformat()}",
                at=at,
                recipients=level.recipients,
                level=level.level,
                target=due,
            )
        )
    return occasions
