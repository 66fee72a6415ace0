"""A routine item (常态化事项) whose monthly report is missed (issue 15): chased the next working
day to the contact and the unit head, the deputy leader told after the policy's delay; the late
report counted as a late feedback in /api/stats and in the Excel export, and each period's state
shown on the console's item page."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from openpyxl import load_workbook

from domain.assessment import Period
from domain.vocabulary import Source, TimeClass
from services.export import export_file
from services.items import ItemDraft, Origin, register_item
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import page, signed_in
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_chases_life import last_text
from tests.e2e.test_reminders_life import OFFICE, PEOPLE, local, step
from tests.e2e.test_whole_loop import join_people, report

AUTH = {"Authorization": "Bearer test-api-token"}


def second_lines(received: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each message's second line (the first is the item's header or the digest's greeting),
    digests left out."""
    return {
        key: [text.splitlines()[1] for text in texts if not text.startswith("☀️")]
        for key, texts in received.items()
        if any(not text.startswith("☀️") for text in texts)
    }


async def test_a_missed_monthly_report_is_chased_and_counted_late(
    bench: Bench, tmp_path: Path
) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 42_000)
    inbox = Inbox(users)
    draft = ItemDraft(
        title="城区道路日常保洁",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.ROUTINE,
        lead_unit="edu",
        leader="wang",
    )
    # Dispatched Mon 23 Nov 09:00; monthly reports due on the 25th.
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    lina = users["lina"]
    await lina.press(last_text(lina), "✅ 签收")
    await lina.wait_callback_answer()
    await settle(bench)
    inbox.new()

    assert second_lines(await step(bench, inbox, local(11, 25, 9))) == {}
    # Missed on Wed 25 Nov: chased on Thu 26 Nov to the contact and the unit head.
    chased = second_lines(await step(bench, inbox, local(11, 26, 9)))
    assert set(chased) == {"lina", "zhangjun"}
    assert chased["lina"] == ["⚠️ 催报：县教育局应于11月25日前报送月度报告，至今未报。"]
    assert chased["zhangjun"] == chased["lina"]
    assert second_lines(await step(bench, inbox, local(11, 27, 9))) == {}
    # Still missing 2 working days later (Mon 30 Nov): the deputy leader (not the office).
    told = second_lines(await step(bench, inbox, local(11, 30, 9)))
    assert told == {
        "wang": ["🔺 县教育局应于11月25日前报送月度报告，11月26日已催报，至今仍未报送。"]
    }
    assert not set(told) & set(OFFICE)

    # The report comes on 1 Dec: accepted, late; nothing more is chased for November.
    bench.clock.set(local(12, 1, 10))
    await report(lina, view.ref, "月度报告", "11月保洁情况：已完成主干道清扫。")
    await settle(bench)
    inbox.new()
    assert second_lines(await step(bench, inbox, local(12, 2, 9))) == {}

    async with (
        aiohttp.ClientSession(headers=AUTH) as http,
        http.get(
            f"{bench.base_url}/api/stats", params={"from": "2026-11-01", "to": "2026-11-30"}
        ) as response,
    ):
        body = await response.json()
    edu = next(row for row in body["units"] if row["key"] == "edu")
    assert edu["late_feedbacks"] == 1
    assert body["total"]["late_feedbacks"] == 1

    path = tmp_path / "ledger.xlsx"
    await export_file(bench.rt, path, period=Period(local(11, 1).date(), local(11, 30).date()))
    sheet = load_workbook(path).worksheets[1]
    header = [cell.value for cell in sheet[3]]
    column = header.index("反馈逾期")
    edu_row = next(
        row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] == "县教育局"
    )
    assert edu_row[column] == 1

    http = await signed_in(bench, users["qian"])
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/items/{view.ref}")
    assert status == 200
    owed = html[html.index('id="owed"') :]
    assert 'class="owed-late"' in owed and "2026-11-25" in owed and "逾期报送" in owed
    assert 'class="owed-open"' in owed and "2026-12-25" in owed
    assert "月度报告应于11月25日前报送：逾期报送" in html  # the late mark on the timeline
