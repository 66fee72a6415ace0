"""The web console (DESIGN §6): server-rendered pages for the office and the leaders.

Signing in is by a one-time link the bot sends on ``/web`` (see ``services.web_auth``). The
console's middleware looks up the session cookie, checks the CSRF token of every form, turns
domain errors into a page, and sets the security headers (a CSP without inline script, no
framing, no sniffing, no referrer). Pages work without JavaScript and on a phone.

Behind a reverse proxy that terminates HTTPS, the proxy should pass ``X-Forwarded-Proto:
https`` (the session cookie is then ``Secure``) and the original ``Host``.
"""

from __future__ import annotations

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.console import actions, pages, uploads
from bot.console.middleware import console_middleware
from bot.console.request import HERE, TEMPLATES


def add_console(app: web.Application) -> None:
    """Mount the console under /console (called once from bot.app.create_app)."""
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
