"""JSON in and out for the API's routes: the request's body, and an error as JSON.

Errors are ``{"error": "...", "detail": ...}`` with a fitting status.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def error_response(status: int, error: str, detail: Any = None) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status)


async def json_body(request: web.Request) -> Any:
    """The request's JSON body, or a 400 that says why not."""
    if request.content_type != "application/json":
        raise web.HTTPBadRequest(reason="send application/json")
    try:
        return await request.json(loads=json.loads)
    except ValueError:
        raise web.HTTPBadRequest(reason="the body is not valid JSON") from None
