"""The console's sign-in, sessions, CSRF and who sees what, over real HTTP against the app."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from domain.tokens import hash_token
from domain.vocabulary import ItemStatus
from services import reports
from storage.models import Item, WebSession, WebSignIn
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import (
    actor_of,
    browser,
    csrf_of,
    item_awaiting_close,
    join,
    page,
    sign_in,
    signed_in,
    web_link,
)


async def test_a_sign_in_link_works_once(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian"])
    link = await web_link(users["qian"])
    assert link.startswith(f"{bench.base_url}/console/signin/")
    token = link.rsplit("/", 1)[1]
    async with bench.rt.db.session() as session:
        stored = await session.scalar(select(WebSignIn))
        assert stored is not None and stored.token_hash == hash_token(token)
        assert token not in stored.token_hash
    async with browser() as http:
        status, html = await page(http, link)  # opening the link uses nothing up
        assert status == 200 and "钱丽华" in html and 'id="sign-in"' in html
        response = await sign_in(http, link)
        assert response.status == 303 and response.headers["Location"] == "/console/"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
        assert "Secure" not in cookie  # plain HTTP here
        status, html = await page(http, f"{bench.base_url}/console/")
        assert status == 200 and "钱丽华" in html and "总览" in html
    async with browser() as other:  # the same link a second time, from anywhere
        assert (await sign_in(other, link)).status == 403
        status, html = await page(other, link)
        assert status == 403 and "已使用、已过期或无效" in html
        status, _ = await page(other, f"{bench.base_url}/console/")
        assert status == 401
    async with bench.rt.db.session() as session:  # the session id is stored hashed only
        sessions = list(await session.scalars(select(WebSession)))
        assert len(sessions) == 1 and len(sessions[0].token_hash) == 64


async def test_a_link_expires_and_a_new_one_replaces_it(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian"])
    old = await web_link(users["qian"])
    newer = await web_link(users["qian"])
    async with browser() as http:
        assert (await sign_in(http, old)).status == 403  # replaced by the newer link
        bench.clock.advance(timedelta(minutes=10, seconds=1))
        assert (await sign_in(http, newer)).status == 403  # expired
        fresh = await web_link(users["qian"])
        assert (await sign_in(http, fresh)).status == 303


async def test_sessions_expire_sign_out_revokes_and_forms_need_csrf(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun"])
    ref = await item_awaiting_close(bench.rt)
    http = await signed_in(bench, users["qian"])
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/items/{ref}")
        assert status == 200 and 'id="close-item"' in html
        token = csrf_of(html)
        async with http.post(
            f"{bench.base_url}/console/items/{ref}/close", data={"answer": "x"}
        ) as response:
            assert response.status == 403  # no CSRF token
        async with http.post(
            f"{bench.base_url}/console/items/{ref}/close",
            data={"csrf": token},
            headers={"Origin": "https://evil.example"},
        ) as response:
            assert response.status == 403  # a form from another site
        async with bench.rt.db.session() as session:
            item = await session.scalar(select(Item).where(Item.ref == ref))
            assert item is not None and item.status == ItemStatus.COMPLETION_SUBMITTED
        async with http.post(
            f"{bench.base_url}/console/signout", data={"csrf": token}, allow_redirects=False
        ) as response:
            assert response.status == 200
            assert "duban_session=" in response.headers["Set-Cookie"]
        # The old cookie no longer works, even if a browser kept it.
        cookie = {"duban_session": "x"}
        status, _ = await page(http, f"{bench.base_url}/console/", cookies=cookie)
        assert status == 401
    http = await signed_in(bench, users["qian"])
    async with http:
        bench.clock.advance(timedelta(hours=12, seconds=1))
        status, html = await page(http, f"{bench.base_url}/console/")
        assert status == 401 and "/web" in html


async def test_cookie_is_secure_behind_an_https_proxy(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian"])
    link = await web_link(users["qian"])
    async with (
        browser() as http,
        http.post(link, allow_redirects=False, headers={"X-Forwarded-Proto": "https"}) as response,
    ):
        assert response.status == 303
        assert "Secure" in response.headers["Set-Cookie"]


async def test_security_headers_on_every_console_page(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian"])
    http = await signed_in(bench, users["qian"])
    async with http:
        for path in (
            "/console/",
            "/console/items",
            "/console/stats",
            "/console/units",
            "/console/complaints",
            "/console/nowhere",
        ):
            async with http.get(f"{bench.base_url}{path}") as response:
                headers = response.headers
                assert headers["X-Frame-Options"] == "DENY", path
                assert headers["X-Content-Type-Options"] == "nosniff"
                assert headers["Referrer-Policy"] == "same-origin"
                csp = headers["Content-Security-Policy"]
                assert "script-src" not in csp and "default-src 'none'" in csp
                assert "frame-ancestors 'none'" in csp
                html = await response.text()
                assert "<script" not in html
                assert 'name="viewport"' in html


async def test_unit_people_are_refused_the_console(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["lina"])
    await users["lina"].send_text("/web")
    answer = await users["lina"].wait_message(timeout=10)
    assert "网页控制台供督查室和领导使用" in answer.plain_text
    async with bench.rt.db.session() as session:
        assert await session.scalar(select(WebSignIn)) is None


async def test_a_deputy_sees_and_acts_only_on_their_units(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wang", "lina", "zhangjun", "linfeng", "xupeng"])
    own = await item_awaiting_close(bench.rt, title="校舍安全排查")  # edu: wang's unit
    other = await item_awaiting_close(
        bench.rt, title="农村公路危桥改造", lead="transport", contact="xupeng", head="linfeng"
    )
    http = await signed_in(bench, users["wang"])
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/items")
        assert status == 200 and "校舍安全排查" in html and "农村公路危桥改造" not in html
        status, html = await page(http, f"{bench.base_url}/console/items?q=危桥")
        assert "农村公路危桥改造" not in html
        status, html = await page(http, f"{bench.base_url}/console/items/{own}")
        assert status == 200 and 'id="close-item"' not in html  # leaders see, the office acts
        token = csrf_of(html)
        status, _ = await page(http, f"{bench.base_url}/console/items/{other}")
        assert status == 404
        async with http.post(
            f"{bench.base_url}/console/items/{other}/close", data={"csrf": token}
        ) as response:
            assert response.status == 404
        async with http.post(
            f"{bench.base_url}/console/items/{own}/close", data={"csrf": token}
        ) as response:
            assert response.status == 403
        status, html = await page(http, f"{bench.base_url}/console/units")
        assert "县教育局" in html and "县交通运输局" not in html
        status, _ = await page(http, f"{bench.base_url}/console/complaints")
        assert status == 403
        status, html = await page(http, f"{bench.base_url}/console/")
        assert "县交通运输局" not in html
        async with http.get(f"{bench.base_url}/console/items.xlsx") as response:
            assert response.status == 200
            data = await response.read()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data))["台账"]
    titles = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {"校舍安全排查"}
    async with bench.rt.db.session() as session:
        for ref in (own, other):
            item = await session.scalar(select(Item).where(Item.ref == ref))
            assert item is not None and item.status == ItemStatus.COMPLETION_SUBMITTED


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_the_office_closes_from_the_item_page_and_sees_the_evidence(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun", "chen"])
    photo = reports.EvidenceFile(png("navy"), "site.png", "image/png")
    ref = await item_awaiting_close(bench.rt, files=(photo,))
    # The same photo again on another item: the office is warned.
    await item_awaiting_close(bench.rt, title="食堂食品安全检查", files=(photo,))
    http = await signed_in(bench, users["qian"])
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/items/2026-2")
        assert status == 200
        assert "⚠️ 县教育局反馈中的一张照片已在以下事项中使用过：2026-1" in html
        status, html = await page(http, f"{bench.base_url}/console/items/{ref}")
        assert "/files/" in html
        file_url = html.split('<img src="', 1)[1].split('"', 1)[0]
        async with http.get(f"{bench.base_url}{file_url}") as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert (await response.read())[:8] == b"\x89PNG\r\n\x1a\n"
        async with http.post(
            f"{bench.base_url}/console/items/{ref}/close",
            data={"csrf": csrf_of(html), "answer": "整改到位，同意销号"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            assert response.headers["Location"] == f"/console/items/{ref}?done=closed"
        status, html = await page(http, f"{bench.base_url}/console/items/{ref}?done=closed")
        assert "事项已销号" in html and 'id="close-item"' not in html
    async with bench.rt.db.session() as session:
        item = await session.scalar(select(Item).where(Item.ref == ref))
        assert item is not None and item.status == ItemStatus.CLOSED
        assert item.closed_at == bench.clock.now()
    # Another deputy cannot load edu's evidence by URL.
    chen = await signed_in(bench, users["chen"])
    async with chen:
        status, _ = await page(chen, f"{bench.base_url}{file_url}")
        assert status == 404
    assert (await actor_of(bench.rt, "chen")).leads


async def test_batch_registration_upload_uses_the_items_importer(bench: Bench) -> None:
    from aiohttp import FormData

    from tests.conftest import EXAMPLES

    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "wang"])
    http = await signed_in(bench, users["qian"])
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/import")
        assert status == 200
        token = csrf_of(html)
        body = FormData()
        body.add_field("csrf", token)
        body.add_field(
            "file",
            (EXAMPLES / "items.xlsx").read_bytes(),
            filename="items.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        async with http.post(f"{bench.base_url}/console/import", data=body) as response:
            assert response.status == 200, await response.text()
            assert "已导入" in await response.text()
        bad = FormData()
        bad.add_field("csrf", token)
        bad.add_field("file", b"not a workbook", filename="items.xlsx")
        async with http.post(f"{bench.base_url}/console/import", data=bad) as response:
            assert response.status == 422
            assert 'id="import-problems"' in await response.text()
    async with bench.rt.db.session() as session:
        assert len(list(await session.scalars(select(Item)))) > 0
    deputy = await signed_in(bench, users["wang"])
    async with deputy:
        status, _ = await page(deputy, f"{bench.base_url}/console/import")
        assert status == 403


async def test_a_heic_photo_shows_as_a_jpeg_and_downloads_as_sent(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun"])
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, format="HEIF")
    sent = buffer.getvalue()
    ref = await item_awaiting_close(
        bench.rt, files=(reports.EvidenceFile(sent, "IMG_0001.HEIC", None),)
    )
    async with await signed_in(bench, users["qian"]) as http:
        status, html = await page(http, f"{bench.base_url}/console/items/{ref}")
        assert status == 200
        shown = html.split('<img src="', 1)[1].split('"', 1)[0]
        [linked] = re.findall(r'<a href="([^"]*/files/[^"]*)"', html)
        async with http.get(f"{bench.base_url}{shown}") as response:
            assert response.status == 200 and response.content_type == "image/jpeg"
            assert response.headers["Content-Disposition"].startswith("inline;")
            image = Image.open(io.BytesIO(await response.read()))
            assert image.format == "JPEG" and image.size == (64, 48)
        assert linked == f"{shown}?original"
        async with http.get(f"{bench.base_url}{linked}") as response:
            assert response.status == 200
            assert response.content_type == "application/octet-stream"
            assert response.headers["Content-Disposition"].endswith('.heic"')
            assert await response.read() == sent
