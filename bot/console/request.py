"""What a console route reads from its request and how it answers: the signed-in viewer, the
posted form, the runtime and its texts, and a page rendered from a template."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment
from multidict import MultiDictProxy

from bot.keys import RUNTIME
from services.actors import Actor
from services.ledger import Scope
from services.runtime import Runtime
from texts import Text
from texts import console as texts

HERE = Path(__file__).parent
PREFIX = "/console"
TEMPLATES = web.AppKey("console_templates", Environment)


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


def office_viewer(request: web.Request) -> Viewer:
    """The signed-in viewer if they are of the office; anyone else is refused (403)."""
    who = viewer(request)
    if not who.office:
        raise web.HTTPForbidden()
    return who


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
