"""The monthly supervision report (督查专报) through the real bot and the fake Telegram: on the
first working day of the month, at the policy's time, the report on the month before goes once
to the principal leader, the office and the bound leaders' group, as a three-line summary and
the .docx; the office issues one on demand from the console's statistics page."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime

from docx import Document as open_docx
from sqlalchemy import func, select

from domain.monthly_report import working_day_of_month
from services.monthly_report import send_monthly_report
from services.sweep import run_sweep
from storage.models import Document, MonthlyReport
from testbench.models import BotMessage
from tests.conftest import SHANGHAI, Bench, import_example_county
from tests.e2e.console_helpers import csrf_of, page, signed_in
from tests.e2e.group_helpers import bound_group, join
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_documents_delivery import overdue_item, wait_for

NAME = "督查专报〔2027〕1号.docx"


def reports(messages: list[BotMessage]) -> list[bytes]:
    return [m.document[0] for m in messages if m.document is not None and m.document[1] == NAME]


async def test_the_first_working_day_sends_last_months_report_once(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhao", "wang"])
    group = await bound_group(
        bench,
        -810,
        "领导群",
        [users["zhao"], users["wang"], users["qian"]],
        users["qian"],
        "leaders",
    )
    await overdue_item(bench)  # due 2026-12-03, taken up the ladder in December
    for day in (4, 7, 14):
        bench.clock.set(datetime(2026, 12, day, 8, tzinfo=SHANGHAI))
        await run_sweep(bench.rt)
    await settle(bench, timeout=60)
    first = working_day_of_month(2027, 1, 1, bench.rt.calendar.is_workday)
    bench.clock.set(datetime(first.year, 1, first.day, 8, 59, tzinfo=SHANGHAI))
    early = await send_monthly_report(bench.rt)
    assert early.month == "2026-12" and early.number is None  # not 09:00 yet
    bench.clock.set(datetime(first.year, 1, first.day, 9, 0, tzinfo=SHANGHAI))
    # two instances' jobs at once, then a re-run: one report, one number
    runs = await asyncio.gather(send_monthly_report(bench.rt), send_monthly_report(bench.rt))
    runs.append(await send_monthly_report(bench.rt))
    assert [run.number for run in runs if run.number] == ["督查专报〔2027〕1号"]
    await settle(bench, timeout=60)
    for chat in (users["zhao"], users["qian"], group):
        await wait_for(lambda: len(reports(chat.messages)) == 1, 60)  # noqa: B023
        at = next(i for i, m in enumerate(chat.messages) if m.document and m.document[1] == NAME)
        summary = chat.messages[at - 1].plain_text.splitlines()
        assert summary[0].startswith("📊 2026年12月督查专报（督查专报〔2027〕1号）")
        assert summary[1] == "按期办结率0%：到期1件，按期办结0件。"
        assert summary[2].startswith("逾期事项1件；按期办结率最低：")
        text = "\n".join(
            p.text for p in open_docx(io.BytesIO(reports(chat.messages)[0])).paragraphs
        )
        assert "2026年12月督办事项办理情况专报" in text
    assert not [m for m in users["wang"].messages if "督查专报" in m.plain_text]  # a deputy
    await send_monthly_report(bench.rt)  # later the same day: nothing more
    await settle(bench, timeout=30)
    for chat in (users["zhao"], users["qian"], group):
        assert len(reports(chat.messages)) == 1
    async with bench.rt.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Document).where(Document.kind == "report")
        )
        claim = await session.get(MonthlyReport, "2026-12")
    assert count == 1 and claim is not None and claim.document_id is not None


async def test_switched_off_by_policy_nothing_goes(bench: Bench) -> None:
    await import_example_county(bench.rt)
    schedule = bench.rt.policy.documents.monthly_report.model_copy(update={"enabled": False})
    documents = bench.rt.policy.documents.model_copy(update={"monthly_report": schedule})
    policy = bench.rt.policy.model_copy(update={"documents": documents})
    object.__setattr__(bench.rt, "policy", policy)
    bench.clock.set(datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
    assert (await send_monthly_report(bench.rt)).number is None


async def test_the_office_issues_a_report_from_the_console(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "wang"])
    await overdue_item(bench)
    url = f"{bench.base_url}/console/stats"
    http = await signed_in(bench, users["qian"])
    try:
        status, html = await page(http, url)
        assert status == 200 and "督查专报" in html and 'value="2026-10"' in html
        token = csrf_of(html)
        post = f"{bench.base_url}/console/reports"
        async with http.post(post, data={"csrf": token, "month": "2026-11"}) as response:
            assert response.status == 200
            assert response.content_type.endswith("wordprocessingml.document")
            assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
            data = await response.read()
        text = "\n".join(p.text for p in open_docx(io.BytesIO(data)).paragraphs)
        assert "督查专报〔2026〕1号" in text and "2026年11月督办事项办理情况专报" in text
        for bad in ("2026-13", "", "2027-05"):
            async with http.post(post, data={"csrf": token, "month": bad}) as response:
                assert response.status == 422, bad
                assert "YYYY-MM" in await response.text()
    finally:
        await http.close()
    leader = await signed_in(bench, users["wang"])  # a deputy: no form, and refused
    try:
        status, html = await page(leader, url)
        assert status == 200 and "/console/reports" not in html
        async with leader.post(
            f"{bench.base_url}/console/reports", data={"csrf": csrf_of(html), "month": "2026-11"}
        ) as response:
            assert response.status == 403
    finally:
        await leader.close()
    async with bench.rt.db.session() as session:
        numbers = list(
            await session.scalars(select(Document.number).where(Document.kind == "report"))
        )
    assert numbers == ["督查专报〔2026〕1号"]
