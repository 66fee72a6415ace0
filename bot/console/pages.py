"""The console's pages (GET): dashboard, ledger, item, statistics, complaints, units, import."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.api.documents import file_response
from bot.api.stats import parse_period
from bot.console.request import (
    HERE,
    PREFIX,
    Viewer,
    office_viewer,
    render,
    runtime,
    text_for,
    viewer,
)
from domain.assessment import Stats, year_to_date
from domain.errors import InvalidInput, NotFound
from domain.evidence import AttachmentKind, MediaNotFound
from domain.monthly_report import month_key, previous_month
from domain.views import ItemView, TimelineEntry
from domain.vocabulary import Duty, ItemStatus, Light, Source, TimeClass
from services import decisions, work_groups
from services.chases import owed_rows
from services.complaint_triage import list_complaints
from services.documents.access import DocumentNotFound, document_file, list_documents
from services.export import export_bytes
from services.images import display_image
from services.items import Origin
from services.ledger import (
    SORTS,
    FileView,
    LedgerQuery,
    item_file,
    item_reports,
    leader_choices,
    ledger_page,
    overview,
    unit_directory,
    visible_units,
)
from services.media import media_path
from services.rectification import problems_of
from services.stats import compute_stats
from services.talks import item_talks
from services.views import find_item, load_item, timeline
from texts import Text
from texts import chases as chase_texts
from texts import complaints as complaint_texts
from texts import console as texts
from texts import evidence as evidence_texts
from texts import execution as execution_texts
from texts import items as item_texts
from texts import satisfaction as satisfaction_texts
from texts import timeline as timeline_texts

CSS = (HERE / "static" / "console.css").read_bytes()
BAR_WIDTH = 260
BAR_HEIGHT = 22
LABEL_WIDTH = 150


def names(t: Text) -> dict[str, dict[str, str]]:
    """Translated names of the vocabulary, for the templates."""

    def tr(table: dict[str, str]) -> dict[str, str]:
        return {key: t.raw(value) for key, value in table.items()}

    return {
        "status": tr(item_texts.STATUS_NAMES),
        "class": tr(item_texts.CLASS_NAMES),
        "source": tr(item_texts.SOURCE_NAMES),
        "light": tr(texts.LIGHT_NAMES),
        "role": tr(item_texts.ROLE_NAMES),
        "assignment": tr(item_texts.ASSIGNMENT_STATUS_NAMES),
        "event": tr(item_texts.EVENT_NAMES),
        "report": tr(execution_texts.KIND_NAMES),
        "report_status": tr(texts.REPORT_STATUSES),
        "complaint": tr(complaint_texts.STATUS_NAMES),
        "category": tr(complaint_texts.CATEGORY_NAMES),
        "rating": tr(satisfaction_texts.RATING_NAMES),
        "review": tr(satisfaction_texts.REVIEW_NAMES),
        "duty": tr(chase_texts.DUTY_LABELS),
        "owed_state": tr(chase_texts.STATE_NAMES),
    }


def local(request: web.Request) -> Any:
    """A formatter of aware datetimes and dates in the deployment's zone."""
    tz = runtime(request).tz

    def fmt(value: Any, with_time: bool = True) -> str:
        if value is None:
            return ""
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value.isoformat()
        moment = value.astimezone(tz)
        return str(moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d"))

    return fmt


@dataclass(frozen=True)
class Bar:
    name: str
    rate: float | None
    label: str
    width: int
    y: int
    light: str


def chart(t: Text, stats: Stats) -> dict[str, Any]:
    """An on-time-rate bar chart, laid out here and drawn as inline SVG by the template."""
    bars = []
    for index, row in enumerate(stats.units):
        rate = row.on_time_rate
        light = "none"
        if rate is not None:
            light = "green" if rate >= 0.9 else "yellow" if rate >= 0.6 else "red"
        bars.append(
            Bar(
                name=row.name,
                rate=rate,
                label=texts.percent(t, rate) if rate is not None else t.raw(texts.NOTHING_DUE),
                width=round((rate or 0.0) * BAR_WIDTH),
                y=index * (BAR_HEIGHT + 6),
                light=light,
            )
        )
    return {
        "bars": bars,
        "height": max(1, len(bars)) * (BAR_HEIGHT + 6),
        "label_width": LABEL_WIDTH,
        "bar_width": BAR_WIDTH,
        "bar_height": BAR_HEIGHT,
        "width": LABEL_WIDTH + BAR_WIDTH + 60,
        "title": t(texts.CHART_TITLE, start=stats.period.start, end=stats.period.end),
    }


async def css(request: web.Request) -> web.Response:
    response = web.Response(body=CSS, content_type="text/css", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{PREFIX}/")


async def dashboard(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = viewer(request)
    t = text_for(request, who.actor)
    counts = await overview(rt, who.scope)
    today = rt.clock.now().astimezone(rt.tz).date()
    stats = await compute_stats(rt, year_to_date(today), unit_ids=who.scope.units)
    return render(
        request,
        "dashboard.html",
        counts=counts,
        chart=chart(t, stats),
        names=names(t),
        fmt=local(request),
        lights=[str(light) for light in (Light.RED, Light.YELLOW, Light.GREEN)],
        statuses=[str(s) for s in ItemStatus],
    )


def ledger_query(request: web.Request) -> LedgerQuery:
    params = request.query
    try:
        page = int(params.get("page", "1"))
    except ValueError:
        page = 1
    return LedgerQuery(
        status=params.get("status", ""),
        unit=params.get("unit", ""),
        leader=params.get("leader", ""),
        time_class=params.get("class", ""),
        source=params.get("source", ""),
        light=params.get("light", ""),
        q=params.get("q", ""),
        sort=params.get("sort", "code"),
        descending=params.get("dir", "desc") != "asc",
        page=page,
    ).normalized()


def query_params(query: LedgerQuery, **changes: Any) -> str:
    values = {
        "status": query.status,
        "unit": query.unit,
        "leader": query.leader,
        "class": query.time_class,
        "source": query.source,
        "light": query.light,
        "q": query.q,
        "sort": query.sort,
        "dir": "desc" if query.descending else "asc",
        "page": str(query.page),
    }
    values.update({key: str(value) for key, value in changes.items()})
    return urlencode({key: value for key, value in values.items() if value})


async def ledger(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = viewer(request)
    t = text_for(request, who.actor)
    query = ledger_query(request)
    page = await ledger_page(rt, who.scope, query)
    return render(
        request,
        "ledger.html",
        page=page,
        query=page.query,
        params=lambda **changes: query_params(page.query, **changes),
        names=names(t),
        fmt=local(request),
        units=await visible_units(rt, who.scope),
        leaders=await leader_choices(rt, who.scope),
        statuses=[str(s) for s in ItemStatus],
        classes=[str(c) for c in TimeClass],
        sources=[str(s) for s in Source],
        lights=[str(light) for light in Light],
        sorts=SORTS,
    )


async def ledger_xlsx(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = viewer(request)
    query = ledger_query(request)
    data = await export_bytes(rt, scope=who.scope, query=query, locale=who.actor.locale)
    today = rt.clock.now().astimezone(rt.tz).date()
    response = web.Response(
        body=data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="ledger-{today}.xlsx"'
    return response


async def visible_item(request: web.Request, who: Viewer) -> ItemView:
    """The item named in the URL, if the viewer may see it; 404 either way otherwise."""
    rt = runtime(request)
    async with rt.db.session() as session:
        try:
            view = await load_item(session, request.match_info["ref"], rt.clock.now(), rt.policy)
        except NotFound:
            raise web.HTTPNotFound() from None
    if not who.scope.allows(view):
        raise web.HTTPNotFound()
    return view


async def item_page(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = viewer(request)
    t = text_for(request, who.actor)
    view = await visible_item(request, who)
    async with rt.db.session() as session:
        entries = await timeline(session, view.id)
        owed = await owed_rows(session, rt, await find_item(session, view.ref))
        problems = await problems_of(session, view.id)
        talks = await item_talks(session, view.id)
    extension = await decisions.pending_extension(rt, view.ref) if who.office else None
    reports = await item_reports(rt, view.id)
    documents = await list_documents(rt, view.ref, who.actor)
    return render(
        request,
        "item.html",
        item=view,
        entries=entries,
        details=[Markup(timeline_texts.entry_detail(t, e)) for e in entries],
        late={
            i: late_lines(t, e, view.time_class == TimeClass.ANNUAL)
            for i, e in enumerate(entries)
            if isinstance(e.data.get("late"), list)  # a sweep entry's "late" is a flag
        },
        owed=owed,
        problems=problems,
        talks=talks,
        reports=reports,
        documents=documents,
        warnings={
            file.id: warning_lines(t, file, report.unit_name, rt.tz)
            for report in reports
            for file in report.files
        },
        extension=extension,
        may_decide=who.office and view.status == ItemStatus.COMPLETION_SUBMITTED,
        may_move_steps=who.office
        and view.status in (ItemStatus.DISPATCHED, ItemStatus.IN_PROGRESS)
        and (view.plan_by is not None or view.first_feedback_by is not None),
        names=names(t),
        fmt=local(request),
        due=item_texts.due_phrase(t, view, rt.tz, rt.clock.now()),
        notice=request.query.get("done", ""),
    )


def late_lines(t: Text, entry: TimelineEntry, quarterly: bool) -> list[str]:
    """The deadlines a report answered late, as its timeline entry shows them."""
    lines = []
    for one in entry.data.get("late") or []:
        try:
            duty, by = Duty(one["duty"]), date.fromisoformat(one["by"])
        except (KeyError, TypeError, ValueError):
            continue
        lines.append(chase_texts.late_mark(t, duty, by, quarterly))
    return lines


def warning_lines(t: Text, file: FileView, unit: str, tz: ZoneInfo) -> list[str]:
    """The evidence warnings of a file, as the office reads them (DESIGN §4)."""
    lines = []
    for warning in file.warnings:
        kind = warning.get("kind") if isinstance(warning, dict) else None
        if kind == "reused":
            lines.append(
                evidence_texts.reused_detail(
                    t, AttachmentKind(file.kind), unit, list(warning.get("items") or [])
                )
            )
        elif kind == "old_capture":
            try:
                taken = datetime.fromisoformat(str(warning["captured_at"]))
                sent = datetime.fromisoformat(str(warning["dispatched_at"]))
            except (KeyError, ValueError):
                continue
            lines.append(evidence_texts.old_capture_detail(t, unit, taken, sent, tz))
    return lines


RENDERED = frozenset({"image/heic"})
"""Photo types kept as sent but shown in the console as a JPEG."""


async def item_file_download(request: web.Request) -> web.StreamResponse:
    rt = runtime(request)
    who = viewer(request)
    view = await visible_item(request, who)
    typed = request.match_info["file"]
    if not (typed.isascii() and typed.isdigit()) or not 0 < int(typed) < 2**31:
        raise web.HTTPNotFound()  # not an id the database could hold
    attachment_id = int(typed)
    found = await item_file(rt, view.id, attachment_id)
    if found is None:
        raise web.HTTPNotFound()
    relative, mime_type = found
    try:
        path = media_path(rt, relative)
    except MediaNotFound:
        raise web.HTTPNotFound() from None
    body = path.read_bytes()
    name = f"file-{attachment_id}{path.suffix}"
    if mime_type in RENDERED and "original" not in request.query:
        # Browsers cannot show HEIC: a JPEG of it (``?original`` gives the file as sent).
        try:
            body = await asyncio.to_thread(display_image, body)
        except InvalidInput:
            raise web.HTTPNotFound() from None
        mime_type = "image/jpeg"
        name = f"file-{attachment_id}.jpg"
    inline = mime_type in ("image/jpeg", "image/png", "image/webp", "image/gif")
    response = web.Response(
        body=body,
        content_type=mime_type if inline else "application/octet-stream",
    )
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


async def item_document_download(request: web.Request) -> web.Response:
    """One of the item's official documents (``?pdf``: its PDF), for whoever sees the item."""
    who = viewer(request)
    view = await visible_item(request, who)
    typed = request.match_info["document"]
    if not (typed.isascii() and typed.isdigit()):
        raise web.HTTPNotFound()
    try:
        found = await document_file(
            runtime(request), int(typed), who.actor, pdf="pdf" in request.query, item_id=view.id
        )
    except (DocumentNotFound, MediaNotFound):
        raise web.HTTPNotFound() from None
    return file_response(found)


async def stats_page(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = viewer(request)
    t = text_for(request, who.actor)
    today = rt.clock.now().astimezone(rt.tz).date()
    period = parse_period(dict(request.query), today)
    problem = None
    if isinstance(period, str):
        problem = t.raw(texts.BAD_PERIOD)
        period = year_to_date(today)
    leader_ids = None if who.scope.all else frozenset({who.actor.person_id})
    stats = await compute_stats(rt, period, unit_ids=who.scope.units, leader_ids=leader_ids)
    return render(
        request,
        "stats.html",
        stats=stats,
        chart=chart(t, stats),
        problem=problem,
        percent=lambda rate: texts.percent(t, rate),
        points=texts.points,
        signed=texts.signed_points,
        kind_names=texts.kind_names(t),
        last_month=month_key(previous_month(today)),
    )


async def complaints_page(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = office_viewer(request)
    t = text_for(request, who.actor)
    complaints = await list_complaints(rt, Origin(who.actor))
    complaints.sort(key=lambda c: (c.status != "new", -c.id))
    return render(
        request,
        "complaints.html",
        complaints=complaints,
        names=names(t),
        units=await visible_units(rt, who.scope),
        classes=[str(c) for c in TimeClass],
        notice=request.query.get("done", ""),
    )


async def units_page(request: web.Request) -> web.Response:
    rt = runtime(request)
    who = viewer(request)
    bound = await work_groups.groups(rt)
    return render(
        request,
        "units.html",
        units=await unit_directory(rt, who.scope),
        unit_groups={g.unit_id: g for g in bound if g.unit_id is not None},
        other_groups=[g for g in bound if g.unit_id is None] if who.office else [],
        notice=request.query.get("done", ""),
    )


async def import_page(request: web.Request) -> web.Response:
    office_viewer(request)
    return render(request, "import.html", result=None, problems=[])


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/static/console.css", css)
    app.router.add_get(PREFIX, root)
    app.router.add_get(f"{PREFIX}/", dashboard)
    app.router.add_get(f"{PREFIX}/items", ledger)
    app.router.add_get(f"{PREFIX}/items.xlsx", ledger_xlsx)
    app.router.add_get(f"{PREFIX}/items/{{ref}}", item_page)
    app.router.add_get(f"{PREFIX}/items/{{ref}}/files/{{file}}", item_file_download)
    app.router.add_get(f"{PREFIX}/items/{{ref}}/documents/{{document}}", item_document_download)
    app.router.add_get(f"{PREFIX}/stats", stats_page)
    app.router.add_get(f"{PREFIX}/complaints", complaints_page)
    app.router.add_get(f"{PREFIX}/units", units_page)
    app.router.add_get(f"{PREFIX}/import", import_page)
