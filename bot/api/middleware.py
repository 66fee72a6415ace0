"""The API's middleware: the bearer token, domain and validation errors answered as JSON, and
the baseline security headers on every answer that has none of its own."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict
from pydantic import ValidationError

from bot.api.bodies import error_response
from bot.keys import SETTINGS, TRANSLATOR
from domain.errors import DubanError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Every answer that has no headers of its own (the console's and the complaint pages' set
# theirs) gets these: JSON is never sniffed as HTML, framed, cached or given a referrer.
BASELINE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def header_bytes(value: str) -> bytes:
    """A header or cookie value as the bytes sent: aiohttp keeps undecodable bytes as
    surrogates, which a plain ``encode()`` refuses (a 500 instead of a 401)."""
    return value.encode("utf-8", "surrogateescape")


def domain_error(request: web.Request, exc: DubanError) -> web.Response:
    """A domain error in English (the API's language), with its parameters as detail."""
    t = request.app[TRANSLATOR].text("en")
    detail = {key: str(value) for key, value in exc.params.items()} or None
    return error_response(exc.status, t(exc.key, **exc.params), detail)


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.path.startswith("/api/"):
            response = await _api(request, handler)
        else:
            response = await handler(request)
    except web.HTTPException as exc:  # aiohttp's own answers (404, 405) outside the API
        _baseline(exc.headers)
        raise
    _baseline(response.headers)
    return response


def _baseline(headers: CIMultiDict[str]) -> None:
    for name, value in BASELINE_HEADERS.items():
        headers.setdefault(name, value)


async def _api(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.app[SETTINGS].api_token
    if token is None:
        return error_response(503, "the API is closed: DUBAN_API_TOKEN is not set")
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {token.get_secret_value()}"
    if not hmac.compare_digest(header_bytes(given), expected.encode()):
        return error_response(401, "missing or wrong bearer token")
    try:
        return await handler(request)
    except DubanError as exc:
        return domain_error(request, exc)
    except ValidationError as exc:
        return error_response(
            422,
            "invalid request body",
            [
                {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                for e in exc.errors()
            ],
        )
    except web.HTTPException as exc:
        if exc.status >= 400:
            return error_response(exc.status, exc.reason)
        raise
