"""``/api/items`` and ``/api/units`` over HTTP against the running app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from domain.clock import FakeClock
from storage.db import Database
from testbench import FakeTelegram
from tests.conftest import Bench, bench_settings, import_example_county, running

AUTH = {"Authorization": "Bearer test-api-token"}
ITEM = {
    "title": "推进校园安全隐患排查整治",
    "body": "全面排查全县中小学校舍安全隐患。",
    "source": "meeting",
    "class": "general",
    "lead_unit": "edu",
    "co_units": ["health"],
    "dispatch": True,
}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    bench: Bench,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with http.request(
        method, bench.base_url + path, json=body, headers=AUTH if headers is None else headers
    ) as response:
        return response.status, await response.json()


async def test_create_read_and_errors(bench: Bench, http: aiohttp.ClientSession) -> None:
    await import_example_county(bench.rt)
    status, item = await call(http, bench, "POST", "/api/items", ITEM)
    assert status == 201, item
    assert item["ref"] == "2026-1" and item["code"] == "督〔2026〕1号"
    assert item["status"] == "dispatched" and item["light"] == "green"
    assert item["due"] == "2026-12-03" and item["leader"] == "wang"
    assert item["lead_unit"] == "edu" and item["co_units"] == ["health"]
    assert [a["unit"] for a in item["assignments"]] == ["edu", "health"]
    assert [e["kind"] for e in item["timeline"]] == ["registered", "dispatched"]

    status, same = await call(http, bench, "GET", "/api/items/2026-1")
    assert status == 200 and same["code"] == item["code"] and "escalation_level" in same
    status, by_code = await call(http, bench, "GET", "/api/items/督〔2026〕1号")
    assert status == 200 and by_code["ref"] == "2026-1"

    status, missing = await call(http, bench, "GET", "/api/items/2026-99")
    assert status == 404 and "2026-99" in missing["error"]

    status, bad = await call(http, bench, "POST", "/api/items", {**ITEM, "class": "someday"})
    assert status == 422 and bad["detail"][0]["field"] == "class"
    status, bad = await call(
        http, bench, "POST", "/api/items", {k: v for k, v in ITEM.items() if k != "title"}
    )
    assert status == 422 and bad["detail"][0]["field"] == "title"
    status, bad = await call(http, bench, "POST", "/api/items", {**ITEM, "lead_unit": "nowhere"})
    assert status == 422 and bad["detail"]["field"] == "lead_unit"
    status, bad = await call(http, bench, "POST", "/api/items", {**ITEM, "due": "2020-01-01"})
    assert status == 422 and bad["detail"]["field"] == "due"

    status, chinese = await call(
        http,
        bench,
        "POST",
        "/api/items",
        {
            **ITEM,
            "title": "另一项",
            "source": "上级交办",
            "class": "重大复杂事项",
            "dispatch": False,
        },
    )
    assert status == 201 and chinese["status"] == "draft" and chinese["class"] == "major"

    for headers in ({}, {"Authorization": "Bearer wrong"}):
        status, refused = await call(http, bench, "GET", "/api/items", headers=headers)
        assert status == 401 and refused["error"]
        status, _ = await call(http, bench, "POST", "/api/items", ITEM, headers=headers)
        assert status == 401
    status, listed = await call(http, bench, "GET", "/api/items")
    assert listed["total"] == 2  # nothing was added by the refused calls


async def test_list_filters_and_paging(bench: Bench, http: aiohttp.ClientSession) -> None:
    await import_example_county(bench.rt)
    old = {**ITEM, "title": "旧台账事项", "dispatched_at": "2026-10-08T09:00:00+08:00"}
    assert (await call(http, bench, "POST", "/api/items", old))[0] == 201
    for n, unit in enumerate(["transport", "housing", "edu"]):
        body = {**ITEM, "title": f"事项{n}", "lead_unit": unit, "co_units": []}
        assert (await call(http, bench, "POST", "/api/items", body))[0] == 201
    await call(http, bench, "POST", "/api/items", {**ITEM, "title": "草稿", "dispatch": False})

    _, everything = await call(http, bench, "GET", "/api/items")
    assert everything["total"] == 5
    assert [i["ref"] for i in everything["items"]] == [f"2026-{n}" for n in (5, 4, 3, 2, 1)]
    _, overdue = await call(http, bench, "GET", "/api/items?overdue=true")
    assert [i["title"] for i in overdue["items"]] == ["旧台账事项"] and overdue["total"] == 1
    _, red = await call(http, bench, "GET", "/api/items?light=red")
    assert [i["ref"] for i in red["items"]] == ["2026-1"]
    _, drafts = await call(http, bench, "GET", "/api/items?status=draft")
    assert [i["title"] for i in drafts["items"]] == ["草稿"]
    _, edu = await call(http, bench, "GET", "/api/items?unit=edu")
    assert {i["title"] for i in edu["items"]} == {"旧台账事项", "事项2", "草稿"}
    _, health = await call(http, bench, "GET", "/api/items?unit=health&status=dispatched")
    assert health["total"] == 1  # only the first one has health as a co-unit... and dispatched
    _, page = await call(http, bench, "GET", "/api/items?limit=2&offset=1")
    assert [i["ref"] for i in page["items"]] == ["2026-4", "2026-3"] and page["total"] == 5
    status, bad = await call(http, bench, "GET", "/api/items?light=purple")
    assert status == 422 and bad["detail"]["field"] == "light"
    status, bad = await call(http, bench, "GET", "/api/items?limit=-1")
    assert status == 422

    bench.clock.advance(timedelta(days=11))  # the general items pass their due date
    _, later = await call(http, bench, "GET", "/api/items?overdue=true")
    assert later["total"] == 4


async def test_units(bench: Bench, http: aiohttp.ClientSession) -> None:
    await import_example_county(bench.rt)
    status, body = await call(http, bench, "GET", "/api/units")
    assert status == 200
    edu = next(u for u in body["units"] if u["key"] == "edu")
    assert edu == {
        "key": "edu",
        "name": "县教育局",
        "leader": "wang",
        "head": "zhangjun",
        "contacts": ["lina"],
    }
    assert len(body["units"]) == 8


# --- approval and load control through the API --------------------------------------------------


@pytest.fixture
async def strict_bench(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "approval:\n  steps: [[supervisor], [zhao]]\nload:\n  open_items_per_unit: 1\n",
        encoding="utf-8",
    )
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    async with running(settings, clock, fake) as bench:
        yield bench


async def test_approve_return_and_load_409(
    strict_bench: Bench, http: aiohttp.ClientSession
) -> None:
    bench = strict_bench
    await import_example_county(bench.rt)
    pending = {**ITEM, "dispatch": False}
    status, item = await call(http, bench, "POST", "/api/items", pending)
    assert status == 201 and item["status"] == "pending_approval"
    ref = item["ref"]

    status, bad = await call(http, bench, "POST", f"/api/items/{ref}/return", {})
    assert status == 422 and bad["detail"][0]["field"] == "reason"
    status, returned = await call(
        http, bench, "POST", f"/api/items/{ref}/return", {"reason": "请补充牵头单位意见"}
    )
    assert status == 200 and returned["status"] == "draft"
    events = [e for e in returned["timeline"] if e["kind"] != "unreachable"]
    assert events[-1]["kind"] == "returned_draft"
    assert events[-1]["detail"] == "请补充牵头单位意见"
    status, refused = await call(http, bench, "POST", f"/api/items/{ref}/approve")
    assert (
        status == 409 and refused["error"] == "This has already been decided; nothing was changed."
    )

    status, item = await call(http, bench, "POST", "/api/items", {**pending, "title": "第二项"})
    ref = item["ref"]
    status, stale = await call(http, bench, "POST", f"/api/items/{ref}/approve", {"step": 2})
    assert status == 409 and stale["error"]
    status, one = await call(http, bench, "POST", f"/api/items/{ref}/approve", {"step": 1})
    assert (
        status == 200
        and one["status"] == "pending_approval"
        and one["outcome"] == "pending_approval"
    )
    status, two = await call(http, bench, "POST", f"/api/items/{ref}/approve")
    assert status == 200 and two["status"] == "dispatched" and two["outcome"] == "dispatched"
    # (People who have not joined are reported unreachable on the timeline too.)
    assert [e["kind"] for e in two["timeline"] if e["kind"] != "unreachable"] == [
        "registered",
        "submitted_for_approval",
        "approved",
        "approved",
        "dispatched",
    ]

    # edu now holds one open item: a direct dispatch is held back with 409 ...
    status, warned = await call(http, bench, "POST", "/api/items", {**ITEM, "title": "第三项"})
    assert status == 409
    assert warned["detail"]["warnings"][0]["unit"] == "edu"
    assert warned["detail"]["warnings"][0]["too_many"] is True
    _, listed = await call(http, bench, "GET", "/api/items")
    assert listed["total"] == 2
    # ... and goes out when confirmed.
    status, sent = await call(
        http, bench, "POST", "/api/items", {**ITEM, "title": "第三项", "confirm": True}
    )
    assert status == 201 and sent["status"] == "dispatched" and sent["ref"] == "2026-3"
