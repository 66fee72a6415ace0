"""The web form: plain HTML POSTs (no JavaScript), CSRF, upload limits, tracking, headers."""

from __future__ import annotations

import io
import re

import aiohttp
from PIL import Image
from sqlalchemy import select

from domain.complaints import PHOTO_BYTES_MAX, new_code
from storage.models import Attachment, Complaint
from tests.conftest import Bench, import_example_county
from tests.services.test_complaints_service import gps_jpeg

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
CODE = re.compile(r'<p class="code">([0-9A-Z-]{24})</p>')
TEXT = "县医院门口违规收停车费，每次十元，没有票据。"


def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def open_form(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        page = await response.text()
    assert "<script" not in page
    match = CSRF.search(page)
    assert match, page
    return match.group(1)


def complaint_form(token: str | None, photos: list[bytes]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if token is not None:
        form.add_field("csrf", token)
    form.add_field("category", "conduct")
    form.add_field("place", "县卫生健康局")
    form.add_field("text", TEXT)
    for number, photo in enumerate(photos):
        form.add_field("photos", photo, filename=f"IMG_{number}.jpg", content_type="image/jpeg")
    return form


async def test_complain_and_track_without_javascript(bench: Bench) -> None:
    await import_example_county(bench.rt)
    async with browser() as session:
        token = await open_form(session, f"{bench.base_url}/complain")
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form(token, [gps_jpeg()])
        ) as response:
            assert response.status == 200
            page = await response.text()
            headers = response.headers
        match = CODE.search(page)
        assert match, page
        code = match.group(1)
        assert "只显示这一次" in page
        assert "no-store" in headers["Cache-Control"]
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp

        async with bench.rt.db.session() as db:
            complaint = await db.scalar(select(Complaint))
            assert complaint is not None and complaint.text == TEXT
            assert complaint.category == "conduct" and complaint.place == "县卫生健康局"
            attachment = await db.scalar(select(Attachment))
            assert attachment is not None
        with Image.open(io.BytesIO((bench.rt.media_dir / attachment.path).read_bytes())) as image:
            assert not image.getexif()

        # Track it: a plain urlencoded POST with the code as the user copied it.
        token = await open_form(session, f"{bench.base_url}/track")
        async with session.post(
            f"{bench.base_url}/track", data={"csrf": token, "code": code.replace("-", " ")}
        ) as response:
            assert response.status == 200
            status_page = await response.text()
        assert complaint.public_id in status_page and "已收到，等待处理" in status_page

        # Add information from the status page's own form.
        token = CSRF.search(status_page).group(1)  # type: ignore[union-attr]
        form = aiohttp.FormData()
        form.add_field("csrf", token)
        form.add_field("code", code)
        form.add_field("text", "补充：收费人员穿保安制服。")
        async with session.post(f"{bench.base_url}/track/add", data=form) as response:
            assert response.status == 200
            assert "已送达督查室" in await response.text()

        async with session.get(f"{bench.base_url}/complain/style.css") as response:
            assert response.status == 200 and response.content_type == "text/css"


async def test_missing_or_forged_csrf_is_refused(bench: Bench) -> None:
    await import_example_county(bench.rt)
    async with browser() as session:
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form(None, [])
        ) as response:
            assert response.status == 403
            page = await response.text()
        assert "表单已失效" in page and "Traceback" not in page
        await open_form(session, f"{bench.base_url}/complain")  # sets the cookie
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form("0" * 64, [])
        ) as response:
            assert response.status == 403
    # Another browser's token does not fit this browser's cookie.
    async with browser() as first, browser() as second:
        token = await open_form(first, f"{bench.base_url}/complain")
        await open_form(second, f"{bench.base_url}/complain")
        async with second.post(
            f"{bench.base_url}/complain", data=complaint_form(token, [])
        ) as response:
            assert response.status == 403
    async with bench.rt.db.session() as db:
        assert await db.scalar(select(Complaint)) is None


async def test_oversized_uploads_get_a_clear_page(bench: Bench) -> None:
    await import_example_county(bench.rt)
    big = gps_jpeg() + b"\0" * (PHOTO_BYTES_MAX + 1)
    async with browser() as session:
        token = await open_form(session, f"{bench.base_url}/complain")
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form(token, [big])
        ) as response:
            assert response.status == 413
            assert response.content_type == "text/html"
            page = await response.text()
        assert "照片太大" in page and "8 MB" in page and "Traceback" not in page
        token = await open_form(session, f"{bench.base_url}/complain")
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form(token, [gps_jpeg()] * 6)
        ) as response:
            assert response.status == 413
            assert "照片太多" in await response.text()
        # Not a photo at all: the form comes back with the reason and what was typed.
        token = await open_form(session, f"{bench.base_url}/complain")
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form(token, [b"%PDF-1.4 not an image"])
        ) as response:
            assert response.status == 422
            page = await response.text()
        assert TEXT in page and 'class="error"' in page
    async with bench.rt.db.session() as db:
        assert await db.scalar(select(Complaint)) is None


async def test_wrong_codes_on_the_web_look_alike_and_are_refused(bench: Bench) -> None:
    await import_example_county(bench.rt)
    async with browser() as session:
        token = await open_form(session, f"{bench.base_url}/complain")
        async with session.post(
            f"{bench.base_url}/complain", data=complaint_form(token, [])
        ) as response:
            code = CODE.search(await response.text()).group(1)  # type: ignore[union-attr]
        pages = []
        for guess in [new_code() for _ in range(4)] + ["nonsense"]:
            token = await open_form(session, f"{bench.base_url}/track")
            async with session.post(
                f"{bench.base_url}/track", data={"csrf": token, "code": guess}
            ) as response:
                assert response.status == 404
                pages.append(await response.text())
        assert len(set(pages)) == 1, "wrong codes must all get the same page"
        token = await open_form(session, f"{bench.base_url}/track")
        async with session.post(
            f"{bench.base_url}/track", data={"csrf": token, "code": code}
        ) as response:
            assert response.status == 429  # locked out: even the right code is refused
            assert "错误次数过多" in await response.text()
