"""Joining people through the fake Telegram and signing them in to the console."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from services.people import issue_invites
from testbench import FakeUser
from tests.conftest import Bench

LINK = re.compile(r"https?://\S+/console/signin/[A-Za-z0-9_\-]+")


async def join(bench: Bench, keys: list[str], first_id: int = 30_000) -> dict[str, FakeUser]:
    invites = await issue_invites(bench.rt, bot_username="duban_test_bot", keys=keys)
    users: dict[str, FakeUser] = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(first_id + number, invite.name)
        await user.send_text(f"/start {invite.token}")
        await user.wait_message()
        users[invite.person] = user
    return users


async def web_link(user: FakeUser) -> str:
    """Send /web and read the sign-in link from the bot's answer."""
    await user.send_text("/web")
    answer = await user.wait_message(lambda m: "/console/signin/" in m.plain_text, timeout=10)
    found = LINK.search(answer.plain_text)
    assert found, answer.plain_text
    return found.group(0)


def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(http: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    async with http.post(link, allow_redirects=False) as response:
        await response.read()
        return response


async def signed_in(bench: Bench, user: FakeUser) -> aiohttp.ClientSession:
    http = browser()
    response = await sign_in(http, await web_link(user))
    assert response.status == 303, response.status
    return http


CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def page(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False, **kwargs) as response:
        return response.status, await response.text()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def actor_of(rt: Any, key: str) -> Any:
    from sqlalchemy import select

    from services.actors import load_actor
    from storage.models import Person

    async with rt.db.session() as session:
        person = await session.scalar(select(Person).where(Person.key == key))
        assert person is not None
        return await load_actor(session, person)


async def item_awaiting_close(
    rt: Any,
    *,
    title: str = "推进校园安全隐患排查整治",
    lead: str = "edu",
    contact: str = "lina",
    head: str = "zhangjun",
    files: tuple[Any, ...] = (),
) -> str:
    """An item whose completion the unit head has confirmed: the office may close it now."""
    from domain.vocabulary import ReportKind, Source, TimeClass
    from services import decisions, reports
    from services.items import ItemDraft, Origin, register_item

    draft = ItemDraft(
        title=title,
        body=f"{title}，建立台账，限期整改。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit=lead,
    )
    view = await register_item(rt, Origin(None, via_api=True), draft, dispatch=True)
    done = await reports.submit_report(
        rt, await actor_of(rt, contact), view.ref, ReportKind.COMPLETION, "已全部整改到位", files
    )
    await decisions.confirm_completion(rt, await actor_of(rt, head), done.report_id)
    return view.ref
