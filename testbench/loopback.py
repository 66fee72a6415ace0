"""A local aiohttp server used as ``async with``: the base of the fake Bot API and the balancer."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """Serves :meth:`_application` on ``host:port`` (port 0 picks a free port) and holds an
    HTTP client session for the server's own outgoing requests while it runs."""

    _name = "the server"
    """How ``url``'s error names the server when it is not started."""

    def __init__(self, *, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._url: str | None = None

    def _application(self) -> web.Application:
        """The aiohttp application to serve."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Server root, e.g. ``http://127.0.0.1:43123``."""
        if self._url is None:
            raise RuntimeError(f"{self._name} is not started")
        return self._url

    async def start(self) -> None:
        """Start listening and open the client session."""
        runner = web.AppRunner(self._application(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop listening and close the client session."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
