"""``GET /api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD``: assessment statistics as JSON."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bot.api.bodies import error_response
from bot.keys import RUNTIME
from domain.assessment import Period, year_to_date
from services.stats import compute_stats

MAX_DAYS = 3660


def parse_period(values: dict[str, str], today: date) -> Period | str:
    """The period asked for (default: this year so far), or what is wrong with it."""
    default = year_to_date(today)
    bounds: list[date] = []
    for name, fallback in (("from", default.start), ("to", default.end)):
        raw = values.get(name, "").strip()
        if not raw:
            bounds.append(fallback)
            continue
        try:
            bounds.append(date.fromisoformat(raw))
        except ValueError:
            return f"{name}: not a date (YYYY-MM-DD): {raw[:20]!r}"
    start, end = bounds
    if end < start:
        return "from is after to"
    if (end - start).days > MAX_DAYS:
        return f"the period is longer than {MAX_DAYS} days"
    return Period(start, end)


async def get_stats(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    period = parse_period(dict(request.query), rt.clock.now().astimezone(rt.tz).date())
    if isinstance(period, str):
        return error_response(422, "invalid period", period)
    stats = await compute_stats(rt, period)
    return web.json_response(stats.as_json())


def add_stats_routes(app: web.Application) -> None:
    app.router.add_get("/api/stats", get_stats)
