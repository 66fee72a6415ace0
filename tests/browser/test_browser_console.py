"""The console in a real browser: Debian's headless Chromium driven by Playwright.

Signing in through the link the bot sends on /web, filtering the ledger, closing an item from
its page and downloading the Excel ledger. Screenshots go to ``test-artifacts/``. Skipped when
no Chromium is installed (CI installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain.vocabulary import ItemStatus
from storage.models import Item
from tests.conftest import ROOT, Bench, import_example_county
from tests.e2e.console_helpers import item_awaiting_close, join, web_link

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed"),
]

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(
            accept_downloads=True, viewport={"width": 1200, "height": 900}, locale="zh-CN"
        )
        page = await context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


async def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"console-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def test_office_signs_in_filters_closes_and_downloads(
    bench: Bench, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun", "xupeng", "linfeng"])
    edu = await item_awaiting_close(bench.rt, title="推进校园安全隐患排查整治")
    transport = await item_awaiting_close(
        bench.rt, title="农村公路危桥改造", lead="transport", contact="xupeng", head="linfeng"
    )

    # Sign in through the link the bot sends.
    link = await web_link(users["qian"])
    await page.goto(link)
    await shot(page, "01-sign-in")
    await page.click("#sign-in")
    await page.wait_for_url(f"{bench.base_url}/console/")
    assert "钱丽华" in await page.inner_text("header")
    assert await page.inner_text("#count-yellow") != ""
    await shot(page, "02-dashboard")
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "duban_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    # The ledger, then filtered by unit and searched.
    await page.click("nav >> text=台账")
    await page.wait_for_selector("#ledger")
    assert await page.inner_text("#total") == "2"
    await page.select_option("select[name=unit]", "transport")
    await page.click("#apply-filters")
    await page.wait_for_url("**/console/items?**unit=transport**")
    table = await page.inner_text("#ledger")
    assert "农村公路危桥改造" in table and "校园安全" not in table
    assert await page.inner_text("#total") == "1"
    await shot(page, "03-ledger-filtered")
    await page.fill("input[name=q]", "校园")
    await page.select_option("select[name=unit]", "")
    await page.click("#apply-filters")
    await page.wait_for_selector("#ledger")
    table = await page.inner_text("#ledger")
    assert "推进校园安全隐患排查整治" in table and "危桥" not in table

    # Close the item from its page.
    await page.click(f"#ledger >> text={edu.replace('2026-', '督〔2026〕')}号")
    await page.wait_for_url(f"**/console/items/{edu}")
    await shot(page, "04-item-before-close")
    await page.fill("textarea[name=answer]", "整改到位，同意销号")
    await page.click("#close-item")
    await page.wait_for_url(f"**/console/items/{edu}?done=closed")
    assert "事项已销号" in await page.inner_text("#notice")
    assert await page.inner_text("#item-status") == await closed_name(bench)
    assert await page.query_selector("#close-item") is None
    await shot(page, "05-item-closed")
    async with bench.rt.db.session() as session_:
        item = await session_.scalar(select(Item).where(Item.ref == edu))
        other = await session_.scalar(select(Item).where(Item.ref == transport))
        assert item is not None and item.status == ItemStatus.CLOSED
        assert other is not None and other.status == ItemStatus.COMPLETION_SUBMITTED

    # Download the Excel ledger.
    await page.goto(f"{bench.base_url}/console/items")
    async with page.expect_download() as download_info:
        await page.click("#download")
    download = await download_info.value
    target = tmp_path / "ledger.xlsx"
    await download.save_as(str(target))
    book = load_workbook(target)
    assert book.sheetnames == ["台账", "统计", "考核得分", "扣分明细"]
    rows = list(book["台账"].iter_rows(min_row=2, values_only=True))
    assert {row[1] for row in rows} == {edu, transport}
    status_by_ref = {row[1]: row[5] for row in rows}
    assert status_by_ref[edu] == await closed_name(bench)

    # Sign out: the console is closed again.
    await page.click("header button")
    await page.goto(f"{bench.base_url}/console/")
    assert "/web" in await page.inner_text("main")
    await shot(page, "06-signed-out")


async def closed_name(bench: Bench) -> str:
    from texts import items as item_texts

    return bench.rt.text("zh_CN").raw(item_texts.STATUS_NAMES[ItemStatus.CLOSED])


async def test_the_console_reads_on_a_phone(bench: Bench, browser_page: Any) -> None:
    page = browser_page
    await import_example_county(bench.rt)
    users = await join(bench, ["zhao", "lina", "zhangjun"])
    await item_awaiting_close(bench.rt)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(await web_link(users["zhao"]))
    await page.click("#sign-in")
    await page.wait_for_url(f"{bench.base_url}/console/")
    # Nothing wider than the screen except inside scrolling tables.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    await shot(page, "07-phone-dashboard")
    # The principal leader sees everything but has no decision buttons.
    await page.goto(f"{bench.base_url}/console/items/2026-1")
    assert await page.query_selector("#close-item") is None
    await shot(page, "08-phone-item")
