"""The console's middleware: the session cookie, the same-origin and CSRF checks of every form,
domain and HTTP errors as pages, and the security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot.console.request import FORM, PREFIX, VIEWER, Viewer, render, runtime, text_for
from domain.errors import DubanError
from services.ledger import Scope
from services.web_auth import csrf_ok, csrf_token, session_actor
from texts import console as texts

COOKIE = "duban_session"
PUBLIC = (f"{PREFIX}/signin/", f"{PREFIX}/static/")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own
    # forms, and the sign-in link in the URL must not leak to other sites either way.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _same_origin(request: web.Request) -> bool:
    """A browser's POST names its origin; a form from another site is refused.

    No Origin (old clients) or "null" (privacy settings) passes here: the CSRF token decides.
    """
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.host


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return await handler(request)
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        if exc.status < 400:
            response = web.Response(status=exc.status, headers=exc.headers)
        else:
            response = render(
                request, "error.html", status=exc.status, message=_http_message(request, exc)
            )
    except DubanError as exc:
        found = request.get(VIEWER)
        t = text_for(request, found.actor if found is not None else None)
        response = render(
            request, "error.html", status=exc.status, message=t(exc.key, **exc.params)
        )
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    public = request.path.startswith(PUBLIC)
    if not public:
        token = request.cookies.get(COOKIE, "")
        # Our session ids are ASCII; undecodable cookie bytes (surrogates) are no session.
        actor = await session_actor(runtime(request), token) if token.isascii() else None
        if actor is None:
            response = render(request, "signed_out.html", status=401)
            if token:
                response.del_cookie(COOKIE, path=PREFIX)
            return response
        request[VIEWER] = Viewer(actor, Scope.of(actor), csrf_token(token), token)
    if request.method == "POST":
        if not _same_origin(request):
            raise web.HTTPForbidden()
        request[FORM] = await request.post()
        if not public:
            given = request[FORM].get("csrf", "")
            if not (isinstance(given, str) and given.isascii()) or not csrf_ok(
                request[VIEWER].session_token, given
            ):
                raise web.HTTPForbidden()
    return await handler(request)


def _http_message(request: web.Request, exc: web.HTTPException) -> str:
    found = request.get(VIEWER)
    t = text_for(request, found.actor if found is not None else None)
    messages = {
        403: texts.FORBIDDEN,
        404: texts.NOT_FOUND,
        405: texts.NOT_FOUND,
        413: texts.TOO_LARGE,
    }
    return t.raw(messages.get(exc.status, texts.SOMETHING_WRONG))
