"""Where the bot's sign-in links point: the public address when there is one.

``DUBAN_PUBLIC_URL`` wins; a webhook's public origin comes next (Telegram reaches the server
there, so people can too); only without either do links name the address the server listens
on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app import console_base
from bot.settings import Settings
from domain.clock import FakeClock
from services.web_auth import console_url
from storage.db import Database
from testbench import FakeTelegram
from tests.conftest import Bench, bench_settings, import_example_county, running
from tests.e2e.console_helpers import join, web_link

PUBLIC = "https://duban.example.gov.cn"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_the_console_base_prefers_the_public_address() -> None:
    hook = f"{PUBLIC}/duban/telegram/webhook"
    assert console_base(settings(public_url=f"{PUBLIC}/"), hook) == PUBLIC
    assert console_base(settings(), hook) == f"{PUBLIC}/duban"
    assert console_base(settings(), "https://proxy.example/other") == "http://127.0.0.1:8080"
    assert console_base(settings(web_host="0.0.0.0", web_port=9000), None) == (
        "http://127.0.0.1:9000"
    )
    assert console_base(settings(web_host="::1"), None) == "http://[::1]:8080"
    assert settings(public_url="  ").public_url is None


@pytest.mark.parametrize("bad", ["duban.example.gov.cn", "ftp://duban.example.gov.cn"])
def test_a_public_url_that_is_no_web_address_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="must start with https://"):
        settings(public_url=bad)


async def test_links_in_chat_use_the_public_url(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> None:
    public = bench_settings(fake, database_url, tmp_path, public_url=PUBLIC)
    async with running(public, clock, fake) as bench:
        await import_example_county(bench.rt)
        users = await join(bench, ["qian"])
        link = await web_link(users["qian"])
        assert link.startswith(f"{PUBLIC}/console/signin/"), link


async def test_without_a_public_address_links_name_where_the_server_listens(
    bench: Bench,
) -> None:
    assert await console_url(bench.rt) == bench.base_url
