"""The JSON API for other systems: bearer-token auth, JSON errors, one module per area.

Every route answers JSON; errors are ``{"error": "...", "detail": ...}`` with a fitting status
(``bot.api.middleware`` checks the token and turns errors into JSON; ``bot.api.bodies`` reads
bodies and writes errors). Routes translate the request, call one service, and render the
result; no rules live here.
"""

from __future__ import annotations

from aiohttp import web

from bot.api import complaints, decisions, documents, items, notices, referrals, talks
from bot.api.middleware import api_middleware
from bot.api.stats import add_stats_routes


def add_api_routes(app: web.Application) -> None:
    """Each area adds its routes here (items, decisions, units, complaints, stats,
    documents)."""
    app.middlewares.append(api_middleware)
    add_stats_routes(app)
    items.add_routes(app)
    complaints.add_routes(app)
    decisions.add_routes(app)
    documents.add_routes(app)
    talks.add_routes(app)
    referrals.add_routes(app)
    notices.add_routes(app)
