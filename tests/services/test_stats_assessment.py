"""Assessment statistics (考核) per unit and per leader, against a hand-counted ledger."""

from __future__ import annotations

from datetime import date

from domain.assessment import Period, week_before
from services.runtime import Runtime
from services.stats import compute_stats
from tests.services.console_scenario import build

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


async def test_unit_rows_match_the_hand_count(county: Runtime) -> None:
    await build(county)
    stats = await compute_stats(county, NOVEMBER)
    rows = {row.key: row for row in stats.units}
    edu, health, transport = rows["edu"], rows["health"], rows["transport"]
    # edu: A (closed on time) and C (closed two days late).
    assert (edu.items, edu.due, edu.closed_on_time) == (2, 2, 1)
    assert edu.on_time_rate == 0.5
    assert edu.mean_ack_hours == 2.0
    assert edu.late_feedbacks == 1  # C never reported; A reported within 3 hours
    assert edu.returns == 1 and edu.escalations == {}
    # health: co-unit of A (on time) and D (not due yet: not counted).
    assert (health.items, health.due, health.closed_on_time) == (2, 1, 1)
    assert health.on_time_rate == 1.0
    assert health.mean_ack_hours is None
    assert health.late_feedbacks == 1  # A as co-unit; D (custom) owes no plan
    # transport: B overdue, escalated once at level 1.
    assert (transport.items, transport.due, transport.closed_on_time) == (1, 1, 0)
    assert transport.on_time_rate == 0.0
    assert transport.escalations == {1: 1}
    # A unit with nothing: no rate at all, not 0%.
    assert rows["agri"].due == 0 and rows["agri"].on_time_rate is None
    # Ranking: best first.
    assert [r.key for r in stats.ranked_units()] == ["health", "edu", "transport"]


async def test_totals_and_leaders_count_items_once(county: Runtime) -> None:
    await build(county)
    stats = await compute_stats(county, NOVEMBER)
    assert (stats.total.items, stats.total.due, stats.total.closed_on_time) == (4, 3, 1)
    assert stats.total.escalations == {1: 1} and stats.total.returns == 1
    leaders = {row.key: row for row in stats.leaders}
    # wang leads edu and health: A, C, D; chen leads transport: B.
    assert (leaders["wang"].items, leaders["wang"].due, leaders["wang"].closed_on_time) == (3, 2, 1)
    assert leaders["chen"].escalations == {1: 1}
    assert leaders["zhao"].items == 0


async def test_the_period_bounds_are_local_days(county: Runtime) -> None:
    await build(county)
    # Only 1–2 November: A and B dispatched; nothing due yet.
    stats = await compute_stats(county, Period(date(2026, 11, 1), date(2026, 11, 2)))
    assert stats.total.items == 2 and stats.total.due == 0
    # A scope narrows to the deputy's units.
    scoped = await compute_stats(county, NOVEMBER, unit_ids=frozenset())
    assert scoped.units == [] and scoped.total.items == 0


def test_week_before_is_the_last_full_week() -> None:
    assert week_before(date(2026, 11, 23)) == Period(date(2026, 11, 16), date(2026, 11, 22))
    assert week_before(date(2026, 11, 29)) == Period(date(2026, 11, 16), date(2026, 11, 22))
