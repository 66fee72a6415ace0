"""Web and API security over real HTTP against the running app.

Constant-time token checks, CSRF on every console form (found by walking the router), session
fixation, security headers and cookie flags on every route, uploads judged by content, path
traversal in file URLs, SQL-looking text stored verbatim, and odd bytes that must never turn
into a 500.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Options, create_app, serve
from bot.settings import Settings
from bot.webhook import HEADER, PATH, webhook_secret
from domain.clock import FakeClock
from domain.tokens import hash_token
from domain.vocabulary import ComplaintCategory, ItemStatus
from services import complaints, reports
from services.complaints import ComplaintDraft
from services.runtime import Runtime
from storage.db import Database
from storage.models import (
    Attachment,
    Complaint,
    Document,
    Item,
    Notification,
    Report,
    TimelineEvent,
    WebSession,
)
from testbench import FakeTelegram
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import (
    browser,
    csrf_of,
    item_awaiting_close,
    join,
    page,
    sign_in,
    signed_in,
    web_link,
)
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_webhook import free_port

AUTH = {"Authorization": "Bearer test-api-token"}
PUBLIC_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
COMPLAINT_TEXT = "县医院门口违规收停车费，每次十元，没有票据。"


def png(colour: str = "navy") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(colour: str = "olive") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


async def raw_request(base_url: str, request: bytes) -> bytes:
    """Send bytes as they are (aiohttp's client would refuse undecodable header values);
    the answer's head and body, read by its Content-Length."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        length = int(found.group(1)) if found else 0
        return head + await asyncio.wait_for(reader.readexactly(length), 10)
    finally:
        writer.close()


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def file_a_complaint(rt: Runtime, text: str = COMPLAINT_TEXT) -> str:
    filed = await complaints.file_complaint(
        rt, ComplaintDraft(ComplaintCategory.CONDUCT, "县卫生健康局", text, ())
    )
    return filed.public_id


async def snapshot(rt: Runtime) -> dict[str, Any]:
    """What a refused form must leave exactly as it was."""
    async with rt.db.session() as session:

        async def count(table: Any) -> int:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

        return {
            "items": sorted(
                tuple(row) for row in await session.execute(select(Item.ref, Item.status))
            ),
            "complaints": sorted(
                tuple(row)
                for row in await session.execute(
                    select(Complaint.public_id, Complaint.status, Complaint.item_id)
                )
            ),
            "timeline": await count(TimelineEvent),
            "outbox": await count(Notification),
            "reports": await count(Report),
            "revoked_sessions": int(
                await session.scalar(
                    select(func.count())
                    .select_from(WebSession)
                    .where(WebSession.revoked_at.is_not(None))
                )
                or 0
            ),
        }


# --- constant-time comparisons --------------------------------------------------------------


class DigestSpy:
    """Records what reaches ``hmac.compare_digest`` (the real one still decides)."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, bytes]] = []
        self.real = hmac.compare_digest

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return self.real(a, b)

    def saw(self, given: bytes) -> bool:
        return any(given in (a, b) for a, b in self.calls)


@pytest.fixture
def digest_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[DigestSpy]:
    spy = DigestSpy()
    monkeypatch.setattr(hmac, "compare_digest", spy)
    yield spy


async def test_api_and_form_tokens_are_compared_with_compare_digest(
    bench: Bench, digest_spy: DigestSpy
) -> None:
    await import_example_county(bench.rt)
    async with aiohttp.ClientSession() as http:
        wrong = {"Authorization": "Bearer test-api-tokeX"}
        async with http.get(f"{bench.base_url}/api/units", headers=wrong) as response:
            assert response.status == 401
        assert digest_spy.saw(b"Bearer test-api-tokeX")
        assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in digest_spy.calls)
        async with http.get(f"{bench.base_url}/api/units", headers=AUTH) as response:
            assert response.status == 200
    async with browser() as http:  # the public complaint form
        async with http.get(f"{bench.base_url}/complain") as response:
            assert PUBLIC_CSRF.search(await response.text())
        forged = "f" * 64
        form = {"csrf": forged, "category": "conduct", "text": COMPLAINT_TEXT}
        async with http.post(f"{bench.base_url}/complain", data=form) as response:
            assert response.status == 403
        assert digest_spy.saw(forged.encode())
    users = await join(bench, ["qian", "lina", "zhangjun"])
    ref = await item_awaiting_close(bench.rt)
    http = await signed_in(bench, users["qian"])
    async with http:  # the console's forms
        forged = "e" * 64
        async with http.post(
            f"{bench.base_url}/console/items/{ref}/close", data={"csrf": forged}
        ) as response:
            assert response.status == 403
        assert digest_spy.saw(forged.encode())


@pytest.fixture
async def webhook_app(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
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
    async with serve(app, "127.0.0.1", port) as base_url:
        yield base_url, webhook_secret(fake.token)


UPDATE = (
    b'{"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": {"id": 77, "type": '
    b'"private"}, "from": {"id": 77, "is_bot": false, "first_name": "X"}, "text": "/help"}}'
)


async def test_webhook_secret_is_compared_with_compare_digest_and_odd_bytes_are_a_403(
    webhook_app: tuple[str, str], fake: FakeTelegram, digest_spy: DigestSpy
) -> None:
    base_url, secret = webhook_app
    near = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    for header in (b"", near.encode(), b"\xff\xfe" + secret.encode(), "密钥".encode()):
        line = HEADER.encode() + b": " + header + b"\r\n" if header else b""
        answer = await raw_request(
            base_url,
            b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n"
            + line
            + b"Content-Length: "
            + str(len(UPDATE)).encode()
            + b"\r\n\r\n"
            + UPDATE,
        )
        assert status_of(answer) == 403, (header, answer[:200])
    assert digest_spy.saw(near.encode()) and digest_spy.saw(b"\xff\xfe" + secret.encode())
    assert fake.user(77, "X").messages == []  # nothing forged reached the bot


async def test_undecodable_bytes_in_tokens_and_cookies_are_refused_not_a_500(bench: Bench) -> None:
    """Regression: aiohttp keeps such bytes as surrogates, and ``str.encode()`` raised."""
    await import_example_county(bench.rt)
    head = b"HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    cases = [
        (b"GET /api/units " + head + b"Authorization: Bearer \xff\xfe\r\n\r\n", 401),
        (b"GET /console/ " + head + b"Cookie: duban_session=\xff\xfe\r\n\r\n", 401),
        (b"GET /complain " + head + b"Cookie: duban_csrf=\xff\xfe\r\n\r\n", 200),
        (
            b"POST /complain " + head + b"Cookie: duban_csrf=\xff\xfe\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\n"
            b"csrf=%FF%FE",
            403,
        ),
    ]
    for request, expected in cases:
        answer = await raw_request(bench.base_url, request)
        assert status_of(answer) == expected, (request[:60], answer[:300])
    # The complaint form's cookie is replaced by a good one.
    answer = await raw_request(bench.base_url, cases[2][0])
    assert b"Set-Cookie: duban_csrf=" in answer and b"\xff" not in answer.split(b"\r\n\r\n")[0]


# --- CSRF on every state-changing console form ----------------------------------------------


def console_posts(app: web.Application) -> list[str]:
    """Every POST route of the console except the sign-in link's own button."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path") or ""
        console = path.startswith("/console/") and not path.startswith("/console/signin/")
        if route.method == "POST" and console:
            found.append(path)
    return sorted(found)


def concrete(path: str, values: dict[str, list[str]]) -> list[str]:
    urls = [path]
    for name, choices in values.items():
        urls = [
            url.replace("{" + name + "}", quote(choice, safe=""))
            for url in urls
            for choice in (choices if "{" + name + "}" in url else [""])
        ]
    assert all("{" not in url for url in urls), (path, urls)
    return urls


async def test_every_console_form_refuses_a_missing_or_wrong_csrf_token(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun"])
    ref = await item_awaiting_close(bench.rt)
    public_id = await file_a_complaint(bench.rt)
    routes = console_posts(bench.app)
    assert {
        "/console/signout",
        "/console/import",
        "/console/items/{ref}/close",
        "/console/items/{ref}/return",
        "/console/items/{ref}/extension",
        "/console/complaints/{id}/{action}",
    } <= set(routes), routes
    values = {"ref": [ref], "id": [public_id], "action": ["reject", "answer", "accept"]}
    # Everything a real form would send, except a valid token.
    fields = {
        "answer": "整改到位",
        "reason": "材料不全",
        "decision": "approve",
        "due": "2026-12-31",
        "report": "1",
        "title": "查处违规收费",
        "body": "核查",
        "unit": "health",
        "class": "general",
        "dispatch": "1",
    }
    other = await signed_in(bench, users["qian"])  # a second session: its token is no key here
    async with other:
        _, html = await page(other, f"{bench.base_url}/console/items/{ref}")
        other_token = csrf_of(html)
    http = await signed_in(bench, users["qian"])
    async with http:
        _, html = await page(http, f"{bench.base_url}/console/items/{ref}")
        good_token = csrf_of(html)
        await settle(bench)  # deliveries write to the timeline too: let them finish first
        before = await snapshot(bench.rt)
        tried = 0
        for path in routes:
            for url in concrete(path, values):
                for token in (None, "", "0" * 64, other_token, good_token[:-1], good_token + "0"):
                    data = dict(fields)
                    if token is not None:
                        data["csrf"] = token
                    async with http.post(
                        f"{bench.base_url}{url}", data=data, allow_redirects=False
                    ) as response:
                        assert response.status == 403, (url, token, response.status)
                        body = await response.text()
                    assert "Traceback" not in body
                    tried += 1
        assert tried >= 6 * 8
        await settle(bench)
        assert await snapshot(bench.rt) == before
        # The same session is still signed in, and a good token does what was refused.
        async with http.post(
            f"{bench.base_url}/console/items/{ref}/close",
            data={"csrf": good_token, "answer": "整改到位"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
    async with bench.rt.db.session() as session:
        item = await session.scalar(select(Item).where(Item.ref == ref))
        assert item is not None and item.status == ItemStatus.CLOSED


# --- sessions -------------------------------------------------------------------------------


def session_cookie(response: aiohttp.ClientResponse) -> str:
    morsel = response.cookies["duban_session"]
    return morsel.value


async def test_sign_in_ignores_a_planted_session_id_and_sign_out_revokes(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "wang"])
    planted = secrets.token_urlsafe(32)  # chosen by an attacker, set in the victim's browser
    wang = await signed_in(bench, users["wang"])  # the attacker's own, real session
    async with wang:
        wang_session = next(c.value for c in wang.cookie_jar if c.key == "duban_session")
    for fixed in (planted, wang_session):
        async with browser() as victim:
            victim.cookie_jar.update_cookies({"duban_session": fixed})
            link = await web_link(users["qian"])
            response = await sign_in(victim, link)
            assert response.status == 303
            issued = session_cookie(response)
            assert issued != fixed and len(issued) >= 40
            status, html = await page(victim, f"{bench.base_url}/console/")
            assert status == 200 and "钱丽华" in html
        async with browser() as attacker:  # the fixed id opens nothing of the victim's
            attacker.cookie_jar.update_cookies({"duban_session": fixed})
            status, html = await page(attacker, f"{bench.base_url}/console/")
            assert "钱丽华" not in html
            assert status == (401 if fixed == planted else 200)
    async with bench.rt.db.session() as session:
        assert (
            await session.scalar(
                select(WebSession).where(WebSession.token_hash == hash_token(planted))
            )
            is None
        )

    # Sign-out revokes the very id the browser held, even if a copy of it is replayed.
    async with browser() as http:
        response = await sign_in(http, await web_link(users["qian"]))
        held = session_cookie(response)
        status, html = await page(http, f"{bench.base_url}/console/")
        assert status == 200
        async with http.post(
            f"{bench.base_url}/console/signout", data={"csrf": csrf_of(html)}
        ) as response:
            assert response.status == 200
            assert 'duban_session=""' in response.headers["Set-Cookie"]
    async with browser() as replay:
        replay.cookie_jar.update_cookies({"duban_session": held})
        status, _ = await page(replay, f"{bench.base_url}/console/")
        assert status == 401
    async with bench.rt.db.session() as session:
        row = await session.scalar(
            select(WebSession).where(WebSession.token_hash == hash_token(held))
        )
        assert row is not None and row.revoked_at == bench.clock.now()


# --- security headers on every route --------------------------------------------------------


def all_routes(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        info = route.resource.get_info()
        path = info.get("formatter") or info.get("path")
        assert path, info
        found.append((route.method, path))
    return sorted(set(found))


def check_headers(where: str, response: aiohttp.ClientResponse) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (where, csp)
    assert "script-src" not in csp and "unsafe-inline" not in csp, (where, csp)
    assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin"), where
    if not where.endswith(("/healthz", "/metrics")) and "/static/" not in where:
        assert "no-store" in headers.get("Cache-Control", ""), where
    for cookie in headers.getall("Set-Cookie", []):
        assert "HttpOnly" in cookie and "SameSite=" in cookie, (where, cookie)


async def test_every_route_sends_security_headers(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun"])
    photo = reports.EvidenceFile(png(), "site.png", "image/png")
    ref = await item_awaiting_close(bench.rt, files=(photo,))
    public_id = await file_a_complaint(bench.rt)
    async with bench.rt.db.session() as session:
        file_id = await session.scalar(
            select(Attachment.id).where(Attachment.report_id.is_not(None))
        )
        document_id = await session.scalar(select(Document.id).limit(1))
    values = {
        "document": [str(document_id)],
        "ref": [ref],
        "id": [public_id],
        "action": ["reject"],
        "file": [str(file_id)],
        "token": ["not-a-real-link"],
    }
    routes = all_routes(bench.app)
    areas = {path.split("/")[1] for _, path in routes}
    assert {"api", "console", "complain", "track", "healthz", "metrics"} <= areas, areas
    signed = await signed_in(bench, users["qian"])
    checked = 0
    async with signed, aiohttp.ClientSession() as anonymous:
        for method, path in routes:
            for url in concrete(path, values):
                # Each route as its rightful user would call it, and as a stranger.
                for client, headers in ((signed, AUTH), (anonymous, {})):
                    async with client.request(
                        method, f"{bench.base_url}{url}", headers=headers, allow_redirects=False
                    ) as response:
                        assert response.status < 500, (method, url, response.status)
                        check_headers(f"{method} {url}", response)
                        if response.content_type == "text/html":
                            assert "<script" not in await response.text()
                    checked += 1
        # Pages that do not exist, under each area.
        for url in ("/console/nowhere", "/api/nowhere", "/complain/nowhere", "/track/x", "/x"):
            for client, headers in ((signed, AUTH), (anonymous, {})):
                async with client.get(f"{bench.base_url}{url}", headers=headers) as response:
                    stranger = client is anonymous and url.startswith(("/console/", "/api/"))
                    assert response.status == (401 if stranger else 404), url
                    check_headers(f"GET {url}", response)
    assert checked >= 2 * 30


async def test_cookies_are_secure_behind_an_https_proxy(bench: Bench) -> None:
    """Regression: the complaint form's cookie ignored X-Forwarded-Proto."""
    await import_example_county(bench.rt)
    users = await join(bench, ["qian"])
    proxied = {"X-Forwarded-Proto": "https"}
    async with aiohttp.ClientSession() as http:
        for path in ("/complain", "/track"):
            async with http.get(f"{bench.base_url}{path}", headers=proxied) as response:
                cookie = response.headers["Set-Cookie"]
                assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
            async with http.get(f"{bench.base_url}{path}") as response:
                assert "Secure" not in response.headers["Set-Cookie"]  # plain HTTP, no proxy
    async with browser() as http:
        link = await web_link(users["qian"])
        async with http.post(link, headers=proxied, allow_redirects=False) as response:
            cookie = response.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- uploads judged by content --------------------------------------------------------------


async def post_complaint(
    http: aiohttp.ClientSession, bench: Bench, photo: bytes, name: str, content_type: str
) -> tuple[int, str]:
    async with http.get(f"{bench.base_url}/complain") as response:
        match = PUBLIC_CSRF.search(await response.text())
    assert match
    form = aiohttp.FormData()
    form.add_field("csrf", match.group(1))
    form.add_field("category", "conduct")
    form.add_field("text", COMPLAINT_TEXT)
    form.add_field("photos", photo, filename=name, content_type=content_type)
    async with http.post(f"{bench.base_url}/complain", data=form) as response:
        return response.status, await response.text()


async def test_uploads_are_judged_by_content_not_by_name(bench: Bench) -> None:
    await import_example_county(bench.rt)
    refused = [
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "x.jpg", "image/jpeg"),
        (b"<html><script>alert(1)</script></html>", "photo.png", "image/png"),
        (b"GIF89a" + b"\0" * 20, "photo.gif", "image/gif"),  # a header and nothing behind it
        (b"PK\x03\x04" + b"\0" * 40, "photo.jpeg", "image/jpeg"),
        (jpeg()[:200], "cut.jpg", "image/jpeg"),  # truncated pixels
    ]
    async with browser() as http:
        for data, name, content_type in refused:
            status, html = await post_complaint(http, bench, data, name, content_type)
            assert status == 422, (name, status)
            assert COMPLAINT_TEXT in html and "Traceback" not in html
    async with bench.rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Complaint)) == 0
    # A real image under a misleading name and type is judged by its content: kept as a JPEG.
    async with browser() as http:
        status, _ = await post_complaint(http, bench, png("teal"), "notes.txt", "text/plain")
        assert status == 200
    async with bench.rt.db.session() as session:
        attachment = await session.scalar(select(Attachment))
        assert attachment is not None and attachment.mime_type.startswith("image/")
        assert not attachment.path.endswith(".txt")
    with Image.open(bench.rt.media_dir / attachment.path) as image:
        assert image.format in ("JPEG", "PNG")


# --- path traversal in file URLs ------------------------------------------------------------


async def test_file_urls_never_serve_anything_outside_the_media_directory(
    bench: Bench, tmp_path: Path
) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun"])
    photo = reports.EvidenceFile(png(), "site.png", "image/png")
    ref = await item_awaiting_close(bench.rt, files=(photo,))
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("TOP-SECRET-OUTSIDE")
    bench.rt.media_dir.mkdir(parents=True, exist_ok=True)
    (bench.rt.media_dir / "link.jpg").symlink_to(secret)
    async with bench.rt.db.session() as session:
        original = await session.scalar(select(Attachment))
        assert original is not None
        # Rows as a tampered database might hold them: each must still be refused.
        bad_paths = [
            "../outside-secret.txt",
            str(secret),
            "link.jpg",
            "ab/../../outside-secret.txt",
            "..\\outside-secret.txt",
            "%2e%2e/outside-secret.txt",
        ]
        tampered = []
        for bad in bad_paths:
            row = Attachment(
                report_id=original.report_id,
                kind=original.kind,
                path=bad,
                mime_type="image/png",
                size=1,
                sha256="0" * 64,
                phash=None,
                captured_at=None,
                warnings=[],
                created_at=original.created_at,
            )
            session.add(row)
            await session.flush()
            tampered.append(row.id)
        await session.commit()
        good_id = original.id
    base = f"{bench.base_url}/console/items/{ref}/files"
    http = await signed_in(bench, users["qian"])
    async with http:
        async with http.get(f"{base}/{good_id}") as response:
            assert response.status == 200
            assert (await response.read())[:8] == b"\x89PNG\r\n\x1a\n"
        for file_id in tampered:
            status, body = await page(http, f"{base}/{file_id}")
            assert status == 404 and "TOP-SECRET" not in body, file_id
        for typed in (
            "..%2F..%2F..%2Fpyproject.toml",
            "%2e%2e%2f%2e%2e%2fpyproject.toml",
            "%2Fetc%2Fpasswd",
            "..%5C..%5Cpyproject.toml",
            f"{good_id}%00.png",
            f"{good_id}%2F..%2F..%2F..%2Fpyproject.toml",
            "-1",
            "0",
            "²",
            "99999999999999999999999",
        ):
            status, body = await page(http, f"{base}/{typed}")
            assert status in (400, 404), (typed, status)
            assert "[project]" not in body and "root:" not in body
        # Encoded traversal anywhere in the console or the public pages reaches no file.
        for url in (
            "/console/static/..%2F..%2F..%2Fpyproject.toml",
            "/console/static/%2e%2e/%2e%2e/__init__.py",
            f"/console/items/..%2F..%2F{ref}",
            "/complain/..%2F..%2Fpyproject.toml",
            "/complain/style.css%2F..%2F..%2Fpyproject.toml",
        ):
            status, body = await page(http, f"{bench.base_url}{url}")
            assert status in (400, 404), (url, status)
            assert "[project]" not in body and "from __future__" not in body


# --- SQL-looking text is just text ----------------------------------------------------------

INJECTIONS = [
    "'; DROP TABLE items; --",
    "1' OR '1'='1",
    '" OR ""="',
    "%' OR 1=1 --",
    "Robert'); DROP TABLE people;--",
    "' UNION SELECT token_hash FROM web_sessions --",
    "\\'; SELECT pg_sleep(5); --",
    "$1 :name ? %s %(x)s {0} _%",
    "<script>alert('x')</script>&amp;",
]


async def test_sql_looking_text_is_stored_and_shown_verbatim(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina", "zhangjun"])
    refs = {}
    async with aiohttp.ClientSession() as http:
        for text in INJECTIONS:
            body = {
                "title": f"标题 {text}",
                "body": f"正文 {text}",
                "source": "meeting",
                "class": "general",
                "lead_unit": "edu",
                "dispatch": True,
            }
            async with http.post(f"{bench.base_url}/api/items", json=body, headers=AUTH) as r:
                assert r.status == 201, await r.text()
                refs[text] = (await r.json())["ref"]
            async with http.get(f"{bench.base_url}/api/items/{refs[text]}", headers=AUTH) as r:
                assert (await r.json())["title"] == f"标题 {text}"
            # Query parameters: a refusal or an empty answer, never an error or every row.
            for name in ("unit", "status", "light", "overdue", "limit", "offset"):
                async with http.get(
                    f"{bench.base_url}/api/items", params={name: text}, headers=AUTH
                ) as r:
                    assert r.status in (200, 400, 422), (name, text, r.status)
                    if r.status == 200:
                        assert (await r.json())["items"] == [], (name, text)
            for path, name in (("/api/complaints", "status"), ("/api/stats", "from")):
                async with http.get(
                    f"{bench.base_url}{path}", params={name: text}, headers=AUTH
                ) as r:
                    assert r.status in (200, 400, 422), (path, text, r.status)
        # Regression: numbers a database cannot hold, and digits int() refuses, were a 500.
        for name, value in (("offset", "9" * 30), ("offset", "²"), ("limit", "١٢")):
            async with http.get(
                f"{bench.base_url}/api/items", params={name: value}, headers=AUTH
            ) as r:
                assert r.status == 422 or r.status == 400, (name, value, r.status)
        async with http.get(f"{bench.base_url}/api/items?limit=100", headers=AUTH) as r:
            assert len((await r.json())["items"]) == len(INJECTIONS)

    # The complaint form: text kept exactly as typed.
    public_ids = []
    async with browser() as http:
        for text in INJECTIONS[:4]:
            async with http.get(f"{bench.base_url}/complain") as response:
                token = PUBLIC_CSRF.search(await response.text()).group(1)  # type: ignore[union-attr]
            typed = f"{COMPLAINT_TEXT}{text}"
            form = {"csrf": token, "category": "conduct", "place": text, "text": typed}
            async with http.post(f"{bench.base_url}/complain", data=form) as response:
                assert response.status == 200
    async with bench.rt.db.session() as session:
        rows = list(await session.scalars(select(Complaint).order_by(Complaint.id)))
        assert [row.text for row in rows] == [f"{COMPLAINT_TEXT}{t}" for t in INJECTIONS[:4]]
        assert [row.place for row in rows] == INJECTIONS[:4]
        public_ids = [row.public_id for row in rows]

    # The console: search boxes find exactly the item whose title holds the text; reasons
    # and answers are stored verbatim and shown escaped.
    ref = await item_awaiting_close(bench.rt, title="校舍安全排查")
    http = await signed_in(bench, users["qian"])
    async with http:
        for text in INJECTIONS:
            status, html = await page(http, f"{bench.base_url}/console/items?q={quote(text)}")
            assert status == 200
            assert f'/console/items/{refs[text]}"' in html, text
            shown = {ref for ref in refs.values() if f'/console/items/{ref}"' in html}
            assert shown == {refs[t] for t in INJECTIONS if text in t}, text
            for name in ("unit", "status", "leader", "class", "source", "light", "sort", "page"):
                status, html = await page(
                    http, f"{bench.base_url}/console/items?{name}={quote(text)}"
                )
                assert status in (200, 400), (name, text, status)
                assert "<script>alert" not in html
        status, html = await page(http, f"{bench.base_url}/console/items/{refs[INJECTIONS[-1]]}")
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;" in html
        assert "<script>" not in html
        status, html = await page(http, f"{bench.base_url}/console/items/{ref}")
        token = csrf_of(html)
        reason = INJECTIONS[0] + INJECTIONS[-1]
        async with http.post(
            f"{bench.base_url}/console/items/{ref}/return",
            data={"csrf": token, "reason": reason},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        status, html = await page(http, f"{bench.base_url}/console/items/{ref}")
        assert "&#39;; DROP TABLE items; --" in html and "<script>alert" not in html
        answer = INJECTIONS[1] + INJECTIONS[5]
        async with http.post(
            f"{bench.base_url}/console/complaints/{public_ids[0]}/reject",
            data={"csrf": token, "reason": answer},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        status, html = await page(http, f"{bench.base_url}/console/complaints")
        assert "没有票据。&#39;; DROP TABLE items; --</p>" in html  # listed, escaped
        assert f"{COMPLAINT_TEXT}%&#39; OR 1=1 --" in html and "<script>alert" not in html
    async with bench.rt.db.session() as session:
        events = list(await session.scalars(select(TimelineEvent)))
        assert any(reason in str(event.data) or reason == event.detail for event in events)
        rejected = await session.scalar(
            select(Complaint).where(Complaint.public_id == public_ids[0])
        )
        assert rejected is not None and rejected.reason == answer
        assert await session.scalar(select(func.count()).select_from(Item)) == len(refs) + 1
