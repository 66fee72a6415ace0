"""Quiet hours (DESIGN §3): what falls inside them waits for the morning.

The window is local wall-clock time in the deployment zone, ``start`` inclusive and ``end``
exclusive; it may cross midnight (22:00–08:00, the default) or not (12:00–14:00). Times are
computed on the local calendar date and converted back to UTC, so zones without daylight
saving time (Asia/Shanghai) and zones with it both get the wall-clock ``end`` they expect.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.policy import QuietHours


def is_quiet(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> bool:
    """Whether ``moment`` falls inside the quiet hours in ``tz``."""
    if not quiet.enabled:
        return False
    clock = moment.astimezone(tz).time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        return quiet.start <= clock < quiet.end
    return clock >= quiet.start or clock < quiet.end


def hold_until(moment: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    """``moment`` (in UTC) outside the quiet hours, else the end of that quiet period (aware UTC).

    23:00 → 08:00 the next day; 07:59 → 08:00 the same day; 12:00 unchanged (defaults).
    """
    if not is_quiet(moment, quiet, tz):
        return moment.astimezone(UTC)
    local = moment.astimezone(tz)
    end_day = local.date()
    if local.time().replace(tzinfo=None) >= quiet.end:
        end_day += timedelta(days=1)
    return datetime.combine(end_day, quiet.end, tzinfo=tz).astimezone(UTC)
