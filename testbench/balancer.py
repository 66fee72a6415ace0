"""A round-robin load balancer for tests with several bot instances behind one webhook URL.

Telegram knows one webhook URL per bot; a deployment with several instances puts a load
balancer there. This one forwards each request to the next backend in turn (same path, body and
headers) and, like nginx's ``proxy_next_upstream error``, tries the following backend when one
cannot be connected to (it died), so an update is handled by exactly one live instance.
"""

from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

from .loopback import LoopbackServer

FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinBalancer(LoopbackServer):
    """``async with RoundRobinBalancer([url, ...]) as lb:`` then point the webhook at
    ``lb.url + path``; requests go to ``backend + path`` in turn."""

    _name = "the balancer"

    def __init__(self, backends: list[str], *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not backends:
            raise ValueError("a balancer needs at least one backend")
        super().__init__(host=host, port=port)
        self.backends = [b.rstrip("/") for b in backends]
        self.served: Counter[str] = Counter()
        """Requests each backend answered."""
        self.refused: Counter[str] = Counter()
        """Connection failures per backend (the balancer moved on to the next)."""
        self._next = itertools.cycle(range(len(self.backends)))

    def _application(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        return app

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: request.headers[k] for k in FORWARDED_HEADERS if k in request.headers}
        for _ in range(len(self.backends)):
            backend = self.backends[next(self._next)]
            try:
                async with self._session.request(
                    request.method,
                    backend + request.rel_url.path_qs,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    payload = await response.read()
                    self.served[backend] += 1
                    return web.Response(
                        status=response.status,
                        body=payload,
                        content_type=response.content_type,
                    )
            except aiohttp.ClientConnectorError:
                # nothing reached it: it is down, try the next one
                self.refused[backend] += 1
            except aiohttp.ClientConnectionError:
                # it died while answering: the sender (Telegram) will retry
                self.refused[backend] += 1
                return web.json_response({"error": "backend failed"}, status=502)
        return web.json_response({"error": "no backend available"}, status=502)
