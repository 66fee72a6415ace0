"""Random bodies through the running app: API items, the Telegram webhook, the complaint form.

Every answer is the app's own (a JSON error with a 4xx, or success), never a 500, and a refused
request changes nothing in the ledger.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Options, create_app, serve
from bot.settings import Settings
from bot.webhook import HEADER, PATH, webhook_secret
from domain.clock import FakeClock
from services.runtime import Runtime
from storage.models import Complaint, Item, TimelineEvent
from testbench import FakeTelegram
from tests.conftest import Bench, import_example_county
from tests.fuzz.strategies import FUZZ, odd_text

AUTH = {"Authorization": "Bearer test-api-token"}
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
)
json_trees: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(odd_text, children, max_size=3)
    ),
    max_leaves=12,
)
ITEM_KEYS = [
    "title",
    "body",
    "source",
    "class",
    "time_class",
    "lead_unit",
    "co_units",
    "leader",
    "due",
    "dispatch",
    "dispatched_at",
    "confirm",
]
item_values = st.one_of(
    json_trees,
    st.sampled_from(["edu", "health", "wang", "zhao", "nobody", "leader", "short", "meeting"]),
    st.lists(st.sampled_from(["edu", "health", "x", ""]), max_size=3),
    st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    st.datetimes(min_value=datetime(1, 1, 1)).map(datetime.isoformat),
    st.just("9999-12-31T23:59:59+14:00"),
    st.just("0001-01-01T00:00:00-12:00"),
)
item_bodies = st.one_of(
    json_trees,
    st.tuples(
        st.fixed_dictionaries(
            {
                "title": odd_text,
                "source": st.just("leader"),
                "class": st.just("short"),
                "lead_unit": st.just("edu"),
            }
        ),
        st.dictionaries(st.sampled_from(ITEM_KEYS), item_values, max_size=5),
    ).map(lambda pair: {**pair[0], **pair[1]}),
)


async def count(rt: Runtime, table: Any) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def county_bench(bench: Bench) -> Bench:
    await import_example_county(bench.rt)
    return bench


@FUZZ
@given(body=item_bodies)
@example(
    body={
        "title": "t",
        "source": "leader",
        "class": "short",
        "lead_unit": "edu",
        "due": "0001-01-01",
    }
)
@example(
    body={
        "title": "t",
        "source": "leader",
        "class": "short",
        "lead_unit": "edu",
        "dispatched_at": "0001-01-01T00:00:00",
    }
)
@example(
    body={
        "title": "t",
        "source": "leader",
        "class": "short",
        "lead_unit": "edu",
        "dispatch": True,
        "dispatched_at": "9999-12-31T23:59:59",
    }
)
async def test_api_post_items_with_random_json(county_bench: Bench, body: Any) -> None:
    bench = county_bench
    before = await count(bench.rt, Item), await count(bench.rt, TimelineEvent)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bench.base_url}/api/items", json=body, headers=AUTH) as resp,
    ):
        assert resp.content_type == "application/json", await resp.text()
        answer = await resp.json()
        status = resp.status
    assert status == 201 or 400 <= status < 500, (status, answer)
    if status != 201:
        assert "error" in answer or "warnings" in answer, answer
        assert (await count(bench.rt, Item), await count(bench.rt, TimelineEvent)) == before


@FUZZ
@given(
    data=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/plain"])
)
async def test_api_post_items_with_random_bytes(
    county_bench: Bench, data: bytes, content_type: str
) -> None:
    headers = {**AUTH, "Content-Type": content_type}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{county_bench.base_url}/api/items", data=data, headers=headers) as resp,
    ):
        assert 400 <= resp.status < 500
        assert resp.content_type == "application/json"


# --- the webhook ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def webhook(
    database_url: str, db: Any, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(fake.token),
        telegram_api_url=fake.url,
        database_url=database_url,
        media_dir=tmp_path / "media",
    )
    app = create_app(settings, clock=clock, options=Options(webhook_url=url))
    async with serve(app, "127.0.0.1", port):
        yield url, {HEADER: webhook_secret(fake.token)}


user = st.fixed_dictionaries(
    {"id": st.integers(1, 2**40), "is_bot": st.booleans(), "first_name": odd_text},
    optional={"username": odd_text, "language_code": odd_text},
)
message = st.fixed_dictionaries(
    {
        "message_id": st.integers(-5, 2**31),
        "date": st.one_of(st.integers(-(2**40), 2**40), odd_text),
        "chat": st.fixed_dictionaries(
            {"id": st.integers(-(2**50), 2**50), "type": st.sampled_from(["private", "group", "x"])}
        ),
    },
    optional={
        "from": st.one_of(user, json_trees),
        "text": odd_text,
        "photo": json_trees,
        "document": json_trees,
        "entities": json_trees,
    },
)
updates = st.one_of(
    json_trees,
    st.fixed_dictionaries(
        {"update_id": st.one_of(st.integers(0, 2**40), json_scalars)},
        optional={
            "message": st.one_of(message, json_trees),
            "callback_query": st.one_of(
                st.fixed_dictionaries(
                    {"id": odd_text, "from": user, "chat_instance": odd_text},
                    optional={"data": odd_text, "message": message},
                ),
                json_trees,
            ),
            "edited_message": json_trees,
        },
    ),
)


@FUZZ
@given(update=updates)
@example(update={"update_id": 1, "message": None})
@example(update={"update_id": 1, "message": []})
@example(update={"update_id": "x"})
@example(update={"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": []}})
async def test_webhook_with_random_updates(
    webhook: tuple[str, dict[str, str]], update: Any
) -> None:
    url, headers = webhook
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=json.dumps(update), headers=headers) as resp,
    ):
        assert resp.status in (200, 400), (resp.status, await resp.text())
        assert resp.content_type == "application/json"


# --- the complaint form -----------------------------------------------------------------------

form_values = st.one_of(
    odd_text,
    st.text(min_size=10, max_size=3000),
    st.sampled_from(["conduct", "other", "' OR 1=1 --", "<script>alert(1)</script>", ""]),
)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["category", "place", "text", "unit", "photos", "csrf", "x"]),
        form_values,
        max_size=6,
    ),
    keep_csrf=st.booleans(),
)
async def test_complaint_form_with_random_fields(
    county_bench: Bench, fields: dict[str, str], keep_csrf: bool
) -> None:
    bench = county_bench
    before = await count(bench.rt, Complaint)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{bench.base_url}/complain") as resp:
            match = CSRF.search(await resp.text())
        assert match
        form = dict(fields)
        if keep_csrf:
            form["csrf"] = match.group(1)
        async with http.post(f"{bench.base_url}/complain", data=form) as resp:
            status = resp.status
            page = await resp.text()
    assert status == 200 or 400 <= status < 500, (status, page[:300])
    assert "Traceback" not in page
    if status != 200:
        assert await count(bench.rt, Complaint) == before
