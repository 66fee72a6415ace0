"""Official documents through the real bot and the fake Telegram: level 2 of the ladder sends
the numbered urging notice to the unit's head and contact as a .docx (sendDocument), each
dispatch sends the dispatch sheet to the units, the
office gets the chat message only; a crash between the number and the delivery neither loses
the document nor takes a second number."""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from docx import Document as open_docx
from sqlalchemy import select

from bot.app import Options
from domain.clock import FakeClock
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep
from storage.db import Database
from storage.models import Counter, Document
from testbench import FakeTelegram
from testbench.models import BotMessage
from tests.conftest import (
    SHANGHAI,
    Bench,
    bench_settings,
    import_example_county,
    running,
)
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_whole_loop import join_people

NAME = "催办通知催〔2026〕1号.docx"


def local(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def documents(messages: list[BotMessage]) -> list[tuple[bytes, str]]:
    return [m.document for m in messages if m.document is not None]


async def overdue_item(bench: Bench) -> None:
    draft = ItemDraft(
        title="整治县城背街小巷环境卫生",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        leader="wang",
    )
    await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)


@pytest.fixture
async def bench_with_pdf(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    settings = bench_settings(fake, database_url, tmp_path)
    async with running(settings, clock, fake, Options(pdf=True)) as started:
        yield started


async def test_level_two_sends_the_urging_notice_as_a_document(bench_with_pdf: Bench) -> None:
    bench = bench_with_pdf
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina", "zhangjun", "qian", "wang"], 31_000)
    await overdue_item(bench)
    for moment in (local(12, 4, 8), local(12, 8, 8)):  # level 1, then level 2
        bench.clock.set(moment)
        await run_sweep(bench.rt)
        await settle(bench, timeout=60)
    files = 4 if shutil.which("soffice") else 2  # the sheet and the notice, each with its PDF
    for key in ("lina", "zhangjun"):
        # the files follow their message once it is recorded
        await wait_for(lambda: len(documents(users[key].messages)) >= files, 60)  # noqa: B023
        sent = documents(users[key].messages)
        docx = [(data, name) for data, name in sent if name.endswith(".docx")]
        assert [name for _, name in docx] == ["督办通知单督办〔2026〕1号.docx", NAME], key
        sheet = "\n".join(p.text for p in open_docx(io.BytesIO(docx[0][0])).paragraphs)
        assert "督办〔2026〕1号" in sheet and "2026年12月3日前办结。" in sheet
        docx = docx[1:]
        text = "\n".join(p.text for p in open_docx(io.BytesIO(docx[0][0])).paragraphs)
        assert "催〔2026〕1号" in text and "县教育局：" in text
        assert "于2026年12月11日前将办理情况书面报送" in text
        at = next(i for i, m in enumerate(users[key].messages) if m.document == docx[0])
        # the message, then its file
        message = users[key].messages[at - 1].plain_text
        assert "督查室催办通知（催〔2026〕1号）" in message
        # the message asks the written answer by the day its document does (issued 12-8,
        # reply_days 3), not by a date of its own
        assert "于12月11日前书面报送" in message, message
        pdfs = [name for _, name in sent if name.endswith(".pdf")]
        wanted = ["督办通知单督办〔2026〕1号.pdf", "催办通知催〔2026〕1号.pdf"]
        assert pdfs == (wanted if shutil.which("soffice") else [])
    assert documents(users["qian"].messages) == []  # the office: the message, no file
    assert any("催〔2026〕1号" in m.plain_text for m in users["qian"].messages)


async def test_a_crash_between_number_and_delivery_loses_nothing(bench: Bench) -> None:
    """The sweep commits the number, the document and its notifications together; a process
    that dies before sending leaves them queued, and the next pass takes no new number."""
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina", "zhangjun"], 32_000)
    await overdue_item(bench)
    bench.clock.set(local(12, 7, 8))
    await run_sweep(bench.rt)  # queued, not yet sent: the process "dies" here
    await run_sweep(bench.rt)  # a second pass after the restart issues nothing new
    async with bench.rt.db.session() as session:
        numbers = list(
            await session.scalars(select(Document.number).where(Document.kind == "urging"))
        )
        counter = await session.get(Counter, ("urging", 2026))
    assert numbers == ["催〔2026〕1号"]
    assert counter is not None and counter.value == 1
    await settle(bench, timeout=60)
    await wait_for(lambda: NAME in [name for _, name in documents(users["lina"].messages)], 60)


async def test_the_api_lists_and_serves_an_items_documents(bench: Bench) -> None:
    await import_example_county(bench.rt)
    await overdue_item(bench)
    auth = {"Authorization": "Bearer test-api-token"}
    async with aiohttp.ClientSession(bench.base_url, headers=auth) as http:
        async with http.get("/api/items/2026-1/documents") as response:
            assert response.status == 200
            listed = await response.json()
        assert [(d["kind"], d["number"]) for d in listed] == [("dispatch", "督办〔2026〕1号")]
        assert set(listed[0]) == {"id", "kind", "number", "created_at", "sha256"}
        async with http.get(f"/api/documents/{listed[0]['id']}") as response:
            assert response.status == 200
            assert response.content_type.endswith("wordprocessingml.document")
            assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
            data = await response.read()
        assert hashlib.sha256(data).hexdigest() == listed[0]["sha256"]
        async with http.get("/api/documents/999999") as response:
            assert response.status == 404
            assert (await response.json())["error"]
        async with http.get(f"/api/documents/{listed[0]['id']}?format=pdf") as response:
            assert response.status == 404  # no PDF made: this bench has no LibreOffice use
        async with http.get("/api/items/2099-1/documents") as response:
            assert response.status == 404


async def wait_for(condition: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
