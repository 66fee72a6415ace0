"""Several Duban instances sharing one database, behind a load balancer for Telegram's webhook.

Each instance is the real app (``create_app``) in webhook mode. The fake Bot API posts every
update to :class:`Balancer`, which forwards it to one instance: the next in turn (round robin),
or the one a test pins. Before forwarding, it waits until every instance has finished the
updates it already holds, as a person reads the bot's answer before typing the next message;
so a test step never races the previous step's last write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import Options, create_app, serve
from bot.keys import RUNTIME, TELEGRAM
from bot.ptb import DubanApplication
from bot.webhook import HEADER, PATH
from domain.clock import FakeClock
from services.runtime import Runtime
from testbench import FakeTelegram
from tests.conftest import Bench, bench_settings


@dataclass
class Instance:
    app: web.Application
    base_url: str

    @property
    def telegram(self) -> DubanApplication:
        return self.app[TELEGRAM]

    @property
    def rt(self) -> Runtime:
        return self.app[RUNTIME]


@dataclass
class Balancer:
    """Forwards each update to one instance; ``handled`` lists which, in order."""

    instances: list[Instance] = field(default_factory=list)
    pinned: int | None = None
    handled: list[int] = field(default_factory=list)
    closing: bool = False
    _turn: int = 0

    async def idle(self) -> None:
        """Wait until every running instance has finished every update it was given."""
        for instance in self.instances:
            if instance.telegram.running:
                await instance.telegram.update_queue.join()

    def _choose(self) -> int:
        if self.pinned is not None:
            return self.pinned
        index = self._turn % len(self.instances)
        self._turn += 1
        return index

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.closing:
            return web.json_response({"error": "shutting down"}, status=503)
        await self.idle()
        index = self._choose()
        self.handled.append(index)
        target = self.instances[index].base_url + PATH
        headers = {HEADER: request.headers.get(HEADER, ""), "Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(target, data=body, headers=headers) as response,
        ):
            return web.Response(status=response.status, body=await response.read())


@dataclass
class Instances:
    balancer: Balancer
    fake: FakeTelegram
    clock: FakeClock

    def __getitem__(self, index: int) -> Instance:
        return self.balancer.instances[index]

    def pin(self, index: int | None) -> None:
        """Send the following updates to this instance (None: round robin again)."""
        self.balancer.pinned = index

    async def idle(self) -> None:
        await self.balancer.idle()

    def bench(self, index: int = 0) -> Bench:
        """One instance seen as the usual test bench (its runtime shares the database)."""
        instance = self[index]
        return Bench(self.fake, instance.rt, self.clock, instance.base_url, instance.app)


@asynccontextmanager
async def _listen(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running_instances(
    count: int,
    *,
    database_url: str,
    clock: FakeClock,
    fake: FakeTelegram,
    tmp_path: Path,
    policy_file: Path | None = None,
    scheduler: bool = False,
) -> AsyncIterator[Instances]:
    """``count`` instances of the app on one database, all fed through one balancer."""
    balancer = Balancer()
    front = web.Application()
    front.router.add_post(PATH, balancer.receive)
    async with _listen(front) as front_url, AsyncExitStack() as stack:
        for _ in range(count):
            settings = bench_settings(fake, database_url, tmp_path, policy_file=policy_file)
            options = Options(webhook_url=front_url + PATH, scheduler=scheduler)
            app = create_app(settings, clock=clock, options=options)
            url = await stack.enter_async_context(serve(app, "127.0.0.1", 0))
            balancer.instances.append(Instance(app, url))
        try:
            yield Instances(balancer, fake, clock)
        finally:
            balancer.closing = True
