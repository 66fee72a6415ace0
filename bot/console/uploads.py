"""Batch registration from the console: the same importer as ``duban items import``."""

from __future__ import annotations

from aiohttp import web

from bot.console.request import PREFIX, form, office_viewer, render, runtime, text_for
from domain.item_import import ItemImportError, parse_items_bytes
from services.item_import import import_items
from services.items import Origin
from texts import console as texts

MAX_BYTES = 5 * 1024 * 1024


async def upload(request: web.Request) -> web.Response:
    who = office_viewer(request)
    rt = runtime(request)
    t = text_for(request, who.actor)
    field = form(request).get("file")
    if not isinstance(field, web.FileField):
        raise web.HTTPBadRequest()
    data = field.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BYTES, actual_size=len(data))
    filename = field.filename or "items.xlsx"
    today = rt.clock.now().astimezone(rt.tz).date()
    try:
        rows = parse_items_bytes(data, filename, today=today, tz=rt.tz)
        views = await import_items(
            rt,
            Origin(who.actor),
            rows,
            file=filename,
            dispatch=form(request).get("dispatch") == "1",
        )
    except ItemImportError as exc:
        return render(
            request,
            "import.html",
            status=422,
            result=None,
            problems=[str(problem) for problem in exc.problems],
        )
    return render(request, "import.html", result=t(texts.IMPORTED, count=len(views)), problems=[])


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/import", upload)
