"""The warning light (亮灯) shown on every list, digest and export (DESIGN §2).

green: on track · yellow: due within the warning window, or a feedback is late · red: overdue.
The light is derived from dates every time it is shown; it is never stored by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.vocabulary import Light


def light(
    *,
    due_at: datetime | None,
    now: datetime,
    warning_window: timedelta,
    feedback_late: bool,
    closed: bool,
) -> Light:
    """The light of an item (or an assignment).

    - closed (销号): green, whatever the dates were;
    - red: ``now`` is past ``due_at`` (the due day's last instant, see ``domain.deadlines``);
    - yellow: ``due_at - now <= warning_window`` (boundary included: with the default 3 days,
      72 hours or less left: since the deadline is the due day's last instant, that is from the
      start of the day two days before the due date), or a required feedback is late;
    - green otherwise, including open-ended items (no ``due_at``) whose feedback is on time.
    """
    if closed:
        return Light.GREEN
    if due_at is not None and now > due_at:
        return Light.RED
    if feedback_late or (due_at is not None and due_at - now <= warning_window):
        return Light.YELLOW
    return Light.GREEN


def is_feedback_late(
    *, due_by: datetime | None, reported_at: datetime | None, now: datetime
) -> bool:
    """A feedback (plan, first feedback, periodic report) is late: its deadline passed without it.

    A report sent after the deadline ends the lateness for the light; statistics count it
    separately (late feedbacks per unit).
    """
    if due_by is None or reported_at is not None:
        return False
    return now > due_by
