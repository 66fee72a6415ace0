"""HTTP routes for operations: health and metrics."""

from __future__ import annotations

from aiohttp import web

from bot.keys import DATABASE, METRICS, TELEGRAM
from bot.metrics import CONTENT_TYPE_LATEST
from bot.sweep_job import SWEEP_JOB


async def healthz(request: web.Request) -> web.Response:
    database_ok = await request.app[DATABASE].ping()
    application = request.app.get(TELEGRAM)
    bot_ok = application is not None and application.running
    status = 200 if database_ok and bot_ok else 503
    job = request.app.get(SWEEP_JOB)
    return web.json_response(
        {
            "status": "ok" if status == 200 else "unavailable",
            "database": database_ok,
            "bot": bot_ok,
            # of several instances, the one that holds the sweep lock sweeps
            "sweep_lease_held": job is not None and job.holding,
        },
        status=status,
    )


async def metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].render()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
