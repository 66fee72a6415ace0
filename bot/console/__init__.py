"""The web console (DESIGN §6): server-rendered pages for the office and the leaders.

Signing in is by a one-time link the bot sends on ``/web`` (see ``services.web_auth``). The
console's middleware looks up the session cookie, checks the CSRF token of every form, turns
domain errors into a page, and sets the security headers (a CSP without inline script, no
framing, no sniffing, no referrer). Pages work without JavaScript and on a phone.

Behind a reverse proxy that terminates HTTPS, the proxy should pass ``X-Forwarded-Proto:
https`` (the session cookie is then ``Secure``) and the original ``Host``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from multidict import MultiDictProxy

from bot.keys import RUNTIME
from domain.errors import DubanError
from services.actors import Actor
from services.ledger import Scope
from services.runtime import Runtime
from services.web_auth import csrf_ok, csrf_token, session_actor
from texts import Text
from texts import console as texts

HERE = Path(__file__).parent
PREFIX = "/console"
COOKIE = "duban_session"
PUBLIC = (f"{PREFIX}/signin/", f"{PREFIX}/static/")
TEMPLATES = web.AppKey("console_templates", Environment)

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


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, what they may see, and their form token."""

    actor: Actor
    scope: Scope
    csrf: str
    session_token: str

    @property
    def office(self) -> bool:
        return self.actor.is_office


VIEWER = web.RequestKey("console_viewer", Viewer)
FORM = web.RequestKey("console_form", MultiDictProxy)


def runtime(request: web.Request) -> Runtime:
    return request.app[RUNTIME]


def text_for(request: web.Request, actor: Actor | None = None) -> Text:
    return runtime(request).text(actor.locale if actor else None)


def viewer(request: web.Request) -> Viewer:
    if VIEWER not in request:
        raise web.HTTPUnauthorized()
    return request[VIEWER]


def form(request: web.Request) -> MultiDictProxy[Any]:
    return request[FORM]


def is_https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    found = request.get(VIEWER)
    actor = found.actor if found is not None else None
    t = text_for(request, actor)
    page = request.app[TEMPLATES].get_template(template)
    body = page.render(
        L=texts.labels(t),
        t=t,
        viewer=found,
        prefix=PREFIX,
        path=request.path,
        **context,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


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


def add_console(app: web.Application) -> None:
    """Mount the console under /console (called once from bot.app.create_app)."""
    from bot.console import actions, pages, uploads

    app[TEMPLATES] = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app.middlewares.append(console_middleware)
    pages.add_routes(app)
    actions.add_routes(app)
    uploads.add_routes(app)
