"""The warning light at its boundaries (DESIGN §2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.lights import is_feedback_late, light
from domain.vocabulary import Light

DUE_AT = datetime(2026, 3, 10, 15, 59, 59, 999999, tzinfo=UTC)  # end of 10 March, Shanghai
WINDOW = timedelta(days=3)
TICK = timedelta(microseconds=1)


def shade(
    now: datetime, *, due_at: datetime | None = DUE_AT, late: bool = False, closed: bool = False
) -> Light:
    return light(due_at=due_at, now=now, warning_window=WINDOW, feedback_late=late, closed=closed)


def test_green_well_before_the_window() -> None:
    assert shade(DUE_AT - WINDOW - TICK) is Light.GREEN


def test_yellow_from_the_window_boundary() -> None:
    assert shade(DUE_AT - WINDOW) is Light.YELLOW
    assert shade(DUE_AT - timedelta(hours=1)) is Light.YELLOW


def test_yellow_at_the_deadline_itself_then_red() -> None:
    assert shade(DUE_AT) is Light.YELLOW
    assert shade(DUE_AT + TICK) is Light.RED


def test_late_feedback_is_yellow_even_far_from_due() -> None:
    assert shade(DUE_AT - timedelta(days=30), late=True) is Light.YELLOW


def test_overdue_stays_red_with_late_feedback() -> None:
    assert shade(DUE_AT + timedelta(days=1), late=True) is Light.RED


def test_closed_is_green_whatever_the_dates() -> None:
    assert shade(DUE_AT + timedelta(days=30), late=True, closed=True) is Light.GREEN


def test_open_ended_items() -> None:
    now = DUE_AT
    assert shade(now, due_at=None) is Light.GREEN
    assert shade(now, due_at=None, late=True) is Light.YELLOW


def test_zero_window_turns_yellow_only_at_the_deadline() -> None:
    assert (
        light(
            due_at=DUE_AT,
            now=DUE_AT - TICK,
            warning_window=timedelta(0),
            feedback_late=False,
            closed=False,
        )
        is Light.GREEN
    )


def test_is_feedback_late() -> None:
    assert not is_feedback_late(due_by=DUE_AT, reported_at=None, now=DUE_AT)
    assert is_feedback_late(due_by=DUE_AT, reported_at=None, now=DUE_AT + TICK)
    assert not is_feedback_late(due_by=DUE_AT, reported_at=DUE_AT + TICK, now=DUE_AT + WINDOW)
    assert not is_feedback_late(due_by=None, reported_at=None, now=DUE_AT)
