"""The public web channel for complaints: ``/complain`` and ``/track``, plain HTML, no script.

The pages work without JavaScript, carry a CSRF token (a random cookie and, in the form, its
HMAC under a per-process key), stream uploads with limits (a clear 413 page, never a
traceback), and send security headers: a Content-Security-Policy without scripts, no
sniffing, no referrer, and no caching (the receipt code page must not be kept anywhere).

The client address is used only inside :class:`services.complaint_limits.Tracker`, as a keyed
hash under the deployment secret with the day in its label; it is not logged, and is stored
only as that hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import BodyPartReader, web

from bot.api.middleware import Handler
from bot.console.request import is_https
from bot.keys import RUNTIME, TRANSLATOR
from domain import complaints as limits  # the limits the chat and the web form share
from domain.complaints import format_code, normalize_code
from domain.errors import DubanError
from domain.evidence import megabytes
from domain.satisfaction import REASON_MAX, Rating, parse_rating
from domain.vocabulary import ComplaintCategory
from services import choices, complaints
from services.complaint_limits import Tracker, TrackResult
from services.complaints import ComplaintDraft
from services.satisfaction import rate_answer
from texts import Text
from texts import complaints as texts
from texts import satisfaction as satisfaction_texts

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSRF_COOKIE = "duban_csrf"
PAGE_LOCALE = "zh_CN"  # the public pages are in Chinese

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

STYLE = """body {
  margin: 0;
  font: 17px/1.6 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif;
  color: #1a1a1a;
  background: #f6f6f4;
}
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
header { margin-bottom: 1rem; } header a { color: #8b0000; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
label.choice { font-weight: normal; margin-top: .4rem; }
input, textarea, button { font: inherit; box-sizing: border-box; width: 100%; }
input[type=radio] { width: auto; }
input, textarea {
  padding: .5rem;
  border: 1px solid #999;
  border-radius: 4px;
  background: #fff;
}
fieldset { border: 1px solid #ccc; border-radius: 4px; margin-top: 1rem; }
button {
  margin-top: 1.2rem;
  padding: .7rem;
  border: 0;
  border-radius: 4px;
  background: #8b0000;
  color: #fff;
}
.error { color: #8b0000; background: #fdecec; padding: .6rem; border-radius: 4px; }
.warning { background: #fff6d6; padding: .6rem; border-radius: 4px; }
.code {
  font: 1.5rem/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace;
  letter-spacing: .08em;
  word-break: break-all;
  background: #fff;
  padding: .6rem;
  border: 2px dashed #8b0000;
}
.answer {
  white-space: pre-wrap;
  background: #fff;
  padding: .6rem;
  border-left: 4px solid #8b0000;
}
.hint, footer { color: #555; font-size: .9rem; } footer { margin-top: 2rem; }"""


@dataclass
class WebChannel:
    """What the complaint pages hold for the life of the process (nothing persisted); the CSRF
    key comes from the deployment secret, so a form may be posted to any instance."""

    csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    tracker: Tracker = field(default_factory=Tracker)
    pages: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
    )

    def csrf_field(self, token: str) -> str:
        return hmac.new(self.csrf_key, token.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, token: str | None, given: str | None) -> bool:
        if not token or not given or not token.isascii():
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a forged field),
        # and undecodable bytes arrive as surrogates, which only surrogateescape encodes.
        given_bytes = given.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(self.csrf_field(token).encode(), given_bytes)


CHANNEL = web.AppKey("complaint_web", WebChannel)


# --- plumbing -------------------------------------------------------------------------------


@web.middleware
async def page_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(("/complain", "/track")):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _message(request, "出错了", "无法处理这个请求。", status=exc.status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store, max-age=0"
    response.headers["Pragma"] = "no-cache"
    return response


def _t(request: web.Request) -> Text:
    return request.app[TRANSLATOR].text(PAGE_LOCALE)


def _render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    channel = request.app[CHANNEL]
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100 or not token.isascii():
        token = secrets.token_urlsafe(32)
    body = channel.pages.get_template(template).render(csrf=channel.csrf_field(token), **values)
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/", secure=is_https(request)
    )
    return response


def _message(
    request: web.Request,
    heading: str,
    message: str,
    *,
    status: int = 200,
    back: str = "/complain",
    error: bool = True,
) -> web.Response:
    return _render(
        request,
        "complaint_message.html",
        status=status,
        heading=heading,
        message=message,
        back=back,
        error=error,
    )


def _error_text(request: web.Request, exc: DubanError) -> str:
    # Jinja escapes; the chat's HTML-escaping formatter is not used for pages.
    return _t(request).raw(exc.key).format(**exc.params)


class TooLarge(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadForm(Exception):
    pass


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def _photo_limit() -> str:
    return f"每张照片不超过 {megabytes(limits.PHOTO_BYTES_MAX)} MB，最多 {limits.PHOTOS_MAX} 张。"


async def read_form(request: web.Request) -> Form:
    """The posted form, read as a stream with limits; urlencoded or multipart."""
    if request.content_length is not None and request.content_length > limits.UPLOAD_BYTES_MAX:
        raise TooLarge(f"上传的内容太大。{_photo_limit()}")
    form = Form()
    if request.content_type == "application/x-www-form-urlencoded":
        if request.content_length is None or request.content_length > limits.FIELD_BYTES_MAX * 4:
            raise TooLarge("提交的内容太长。")
        posted = await request.post()
        form.fields = {k: v for k, v in posted.items() if isinstance(v, str)}
        return form
    if request.content_type != "multipart/form-data":
        raise BadForm()
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError) as exc:
        raise BadForm() from exc
    total = 0
    while True:
        try:
            part = await reader.next()
        except ValueError as exc:
            raise BadForm() from exc
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise BadForm()
        is_file = part.filename is not None
        limit = limits.PHOTO_BYTES_MAX if is_file else limits.FIELD_BYTES_MAX
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            data += chunk
            total += len(chunk)
            if len(data) > limit:
                raise TooLarge(f"照片太大。{_photo_limit()}" if is_file else "提交的内容太长。")
            if total > limits.UPLOAD_BYTES_MAX:
                raise TooLarge(f"上传的内容太大。{_photo_limit()}")
        if is_file:
            if part.name != "photos" or not data:
                continue  # an empty file input sends an empty part
            form.photos.append(bytes(data))
            if len(form.photos) > limits.PHOTOS_MAX:
                raise TooLarge(f"照片太多。{_photo_limit()}")
        elif part.name:
            form.fields[part.name] = data.decode("utf-8", errors="replace")
    return form


async def _posted(request: web.Request) -> Form | web.Response:
    """The form if it is acceptable (size, CSRF), else the page that says why not."""
    try:
        form = await read_form(request)
    except TooLarge as exc:
        return _message(request, "上传内容过大", exc.message, status=413, back=request.path)
    except BadForm:
        return _message(request, "无法读取表单", "请返回重新填写后提交。", status=400)
    channel = request.app[CHANNEL]
    if not channel.csrf_ok(request.cookies.get(CSRF_COOKIE), form.fields.get("csrf")):
        return _message(
            request,
            "表单已失效",
            "页面已过期或不是从本站打开的。请返回，重新打开页面后再提交。",
            status=403,
            back=request.path,
        )
    return form


def _with_form(
    route: Callable[[web.Request, Form], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A POST route given the posted form once it is acceptable (size, CSRF); else the page
    that says why not."""

    async def posted_route(request: web.Request) -> web.Response:
        posted = await _posted(request)
        if isinstance(posted, web.Response):
            return posted
        return await route(request, posted)

    return posted_route


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


def _too_often(request: web.Request) -> web.Response:
    return _message(request, "请稍后再试", "短时间内提交次数过多，请稍后再试。", status=429)


# --- /complain ------------------------------------------------------------------------------


async def _form_page(
    request: web.Request, *, form: Form | None = None, error: str | None = None, status: int = 200
) -> web.Response:
    t = _t(request)
    units = [u.name for u in await choices.unit_choices(request.app[RUNTIME])]
    return _render(
        request,
        "complaint_form.html",
        status=status,
        error=error,
        form={
            "category": form.get("category") if form else "",
            "place": form.get("place") if form else "",
            "text": form.get("text") if form else "",
        },
        categories=[(c.value, texts.category(t, c)) for c in ComplaintCategory],
        units=units,
        place_max=limits.PLACE_MAX,
        text_min=limits.TEXT_MIN,
        text_max=limits.TEXT_MAX,
        photos_max=limits.PHOTOS_MAX,
        photo_mb=megabytes(limits.PHOTO_BYTES_MAX),
    )


async def complain_form(request: web.Request) -> web.Response:
    return await _form_page(request)


@_with_form
async def complain_submit(request: web.Request, form: Form) -> web.Response:
    rt = request.app[RUNTIME]
    channel = request.app[CHANNEL]
    try:
        category = ComplaintCategory(form.get("category"))
    except ValueError:
        return await _form_page(request, form=form, error="请选择问题类别。", status=400)
    if not await channel.tracker.may_file(rt, _client(request)):
        return _too_often(request)
    try:
        filed = await complaints.file_complaint(
            rt, ComplaintDraft(category, form.get("place"), form.get("text"), tuple(form.photos))
        )
    except DubanError as exc:
        return await _form_page(
            request, form=form, error=_error_text(request, exc), status=exc.status
        )
    await channel.tracker.filed(rt, _client(request))
    return _render(
        request, "complaint_filed.html", public_id=filed.public_id, code=format_code(filed.code)
    )


# --- /track ---------------------------------------------------------------------------------


async def track_form(request: web.Request) -> web.Response:
    return _render(request, "complaint_track.html", error=None)


def _track_refusal(request: web.Request, result: TrackResult) -> web.Response | None:
    """The same refusal for every code that opens nothing (or after too many wrong codes)."""
    t = _t(request)
    if result.refused:
        return _render(request, "complaint_track.html", status=429, error=texts.refused(t))
    if result.status is None:
        return _render(request, "complaint_track.html", status=404, error=texts.wrong_code(t))
    return None


async def _status_page(request: web.Request, code: str) -> web.Response:
    """The status for a code, or the same refusal for every code that opens nothing."""
    rt = request.app[RUNTIME]
    t = _t(request)
    result = await request.app[CHANNEL].tracker.check(rt, _client(request), code)
    if (refusal := _track_refusal(request, result)) is not None:
        return refusal
    status = result.status
    assert status is not None
    feedback = status.feedback
    return _render(
        request,
        "complaint_status.html",
        complaint=status,
        code=format_code(normalize_code(code) or ""),
        category=texts.category(t, status.category),
        status_name=t.raw(texts.STATUS_NAMES[status.status]),
        feedback=feedback,
        rating_name=t.raw(satisfaction_texts.RATING_NAMES[feedback.rating]) if feedback else "",
        ratings=[(r.value, t.raw(satisfaction_texts.RATING_NAMES[r])) for r in Rating],
        reason_max=REASON_MAX,
        note_max=limits.NOTE_MAX,
        photos_max=limits.PHOTOS_MAX,
        photo_mb=megabytes(limits.PHOTO_BYTES_MAX),
    )


@_with_form
async def track_submit(request: web.Request, form: Form) -> web.Response:
    return await _status_page(request, form.get("code"))


@_with_form
async def track_add(request: web.Request, form: Form) -> web.Response:
    rt = request.app[RUNTIME]
    channel = request.app[CHANNEL]
    t = _t(request)
    result = await channel.tracker.check(rt, _client(request), form.get("code"))
    if (refusal := _track_refusal(request, result)) is not None:
        return refusal
    if not await channel.tracker.may_file(rt, _client(request)):
        return _too_often(request)
    try:
        await complaints.add_information(rt, form.get("code"), form.get("text"), tuple(form.photos))
    except DubanError as exc:
        return _message(
            request, "未能补充", _error_text(request, exc), status=exc.status, back="/track"
        )
    await channel.tracker.filed(rt, _client(request))
    return _message(request, "已补充", texts.added(t), back="/track", error=False)


@_with_form
async def track_rate(request: web.Request, form: Form) -> web.Response:
    """The complainant's rating of the answer; 不满意 with its reason asks for review."""
    rt = request.app[RUNTIME]
    t = _t(request)
    result = await request.app[CHANNEL].tracker.check(rt, _client(request), form.get("code"))
    if (refusal := _track_refusal(request, result)) is not None:
        return refusal
    try:
        rating = parse_rating(form.get("rating"))
        await rate_answer(rt, form.get("code"), rating, form.get("reason"))
    except DubanError as exc:
        return _message(
            request, "未能评价", _error_text(request, exc), status=exc.status, back="/track"
        )
    done = (
        satisfaction_texts.review_sent
        if rating is Rating.DISSATISFIED
        else satisfaction_texts.thanks
    )
    return _message(request, "已评价", done(t), back="/track", error=False)


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=STYLE, content_type="text/css", charset="utf-8")


def add_complaint_routes(app: web.Application, csrf_key: bytes) -> None:
    """The public complaint pages; uploads are streamed, so ``client_max_size`` stays small.
    ``csrf_key`` keys the forms' CSRF fields: the same on every instance of a deployment."""
    app[CHANNEL] = WebChannel(csrf_key=csrf_key)
    app.middlewares.append(page_headers)
    app.router.add_get("/complain", complain_form)
    app.router.add_post("/complain", complain_submit)
    app.router.add_get("/complain/style.css", stylesheet)
    app.router.add_get("/track", track_form)
    app.router.add_post("/track", track_submit)
    app.router.add_post("/track/add", track_add)
    app.router.add_post("/track/rate", track_rate)
