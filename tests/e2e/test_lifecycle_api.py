"""The office's decisions through the JSON API: return, close with follow-up, reopen, extend."""

from __future__ import annotations

from sqlalchemy import select

from domain.vocabulary import ReportKind
from services import decisions, reports
from services.actors import Actor, load_actor
from services.runtime import Runtime
from storage.models import Person
from tests.conftest import Bench, import_example_county
from tests.e2e.test_whole_loop import api


async def actor(rt: Runtime, key: str) -> Actor:
    async with rt.db.session() as session:
        person = await session.scalar(select(Person).where(Person.key == key))
        assert person is not None
        return await load_actor(session, person)


def last(body: dict[str, object]) -> dict[str, str]:
    """The newest timeline entry that is not the delivery worker's (people who never joined)."""
    entries = [e for e in body["timeline"] if e["kind"] not in ("unreachable", "delivery_failed")]  # type: ignore[attr-defined]
    return entries[-1]  # type: ignore[no-any-return]


async def complete(rt: Runtime, ref: str) -> None:
    done = await reports.submit_report(
        rt, await actor(rt, "lina"), ref, ReportKind.COMPLETION, "已办结"
    )
    await decisions.confirm_completion(rt, await actor(rt, "zhangjun"), done.report_id)


async def test_decisions_through_the_api(bench: Bench) -> None:
    rt = bench.rt
    await import_example_county(rt)
    status, item = await api(
        bench,
        "POST",
        "/api/items",
        {
            "title": "整治农村人居环境",
            "source": "decision",
            "class": "general",
            "lead_unit": "edu",
            "dispatch": True,
        },
    )
    assert status == 201, item
    ref = item["ref"]
    base = f"/api/items/{ref}"

    status, body = await api(bench, "POST", f"{base}/close", {})
    assert status == 409, body  # nothing to close yet
    status, body = await api(
        bench, "POST", f"{base}/extend", {"due": "2026-12-31", "reason": "统筹"}
    )
    assert status == 200 and body["due"] == "2026-12-31"
    assert last(body)["kind"] == "extension_approved"

    await complete(rt, ref)
    status, body = await api(bench, "POST", f"{base}/return", {"reason": "材料不全"})
    assert status == 200 and body["status"] == "in_progress", body
    assert last(body)["kind"] == "returned"
    assert last(body)["detail"] == "材料不全"

    await complete(rt, ref)
    status, body = await api(
        bench, "POST", f"{base}/close", {"answer": "已整改", "follow_up_on": "2027-01-15"}
    )
    assert status == 200 and body["status"] == "closed", body
    assert body["follow_up_on"] == "2027-01-15" and body["closed_at"]

    status, body = await api(bench, "POST", f"{base}/reopen", {"due": "2027-02-28"})
    assert status == 422, body  # a reason is required
    status, body = await api(
        bench, "POST", f"{base}/reopen", {"due": "2027-02-28", "reason": "回头看发现反弹"}
    )
    assert status == 200 and body["status"] == "in_progress" and body["due"] == "2027-02-28"
    assert [a["status"] for a in body["assignments"]] == ["in_progress"]

    status, body = await api(bench, "POST", "/api/items/2026-999/close", {})
    assert status == 404, body
