"""``/api/items`` and ``/api/units``: registering, listing, reading, and approval decisions.

The API token acts as the office. The other decisions (close, reopen, extend) live with the
execution routes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.api.bodies import error_response, item_draft, item_response, json_body
from bot.keys import RUNTIME, TRANSLATOR
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.registration import parse_class, parse_source
from domain.vocabulary import ItemStatus, Light, Source, TimeClass
from services.approval import approve_item, return_item
from services.choices import list_units
from services.item_search import ItemFilter, search_items
from services.items import Origin
from services.load_control import LoadWarned, warning_json
from services.registration import create_item, dispatch_draft
from services.views import item_json

API = Origin(None, via_api=True)
MAX_LIMIT = 200


def _source(value: object) -> object:
    return parse_source(value) or value if isinstance(value, str) else value


def _class(value: object) -> object:
    return parse_class(value) or value if isinstance(value, str) else value


class NewItem(BaseModel):
    """``POST /api/items`` (DESIGN §7)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=5000)] = ""
    source: Annotated[Source, BeforeValidator(_source)]
    time_class: Annotated[TimeClass, BeforeValidator(_class), Field(alias="class")]
    lead_unit: Annotated[str, Field(min_length=1)]
    co_units: list[str] = Field(default_factory=list)
    leader: str | None = None
    due: date | None = None
    dispatch: bool = False
    dispatched_at: datetime | None = None
    confidential: bool = False  # 内部: never sent to any work group
    confirm: bool = False


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Annotated[int, Field(ge=1)] | None = None  # 1-based, as shown; checks it is current
    confirm: bool = False


class Return(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    step: Annotated[int, Field(ge=1)] | None = None


class Dispatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool = False


async def _optional_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    return await json_body(request)


async def post_item(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    body = NewItem.model_validate(await json_body(request))
    dispatched_at = body.dispatched_at
    if dispatched_at is not None and dispatched_at.tzinfo is None:
        dispatched_at = dispatched_at.replace(tzinfo=rt.tz)
    draft = replace(item_draft(body, body.source), confidential=body.confidential)
    try:
        view = await create_item(
            rt,
            API,
            draft,
            dispatch=body.dispatch,
            dispatched_at=dispatched_at,
            confirm_load=body.confirm,
        )
    except LoadWarned as warned:
        return _load_warning(request, warned)
    return await item_response(request, view.ref, status=201)


def _load_warning(request: web.Request, warned: LoadWarned) -> web.Response:
    """409 with the warnings; the same request with ``"confirm": true`` goes ahead."""
    t = request.app[TRANSLATOR].text("en")
    return error_response(
        409, t(warned.key), {"warnings": [warning_json(w) for w in warned.warnings]}
    )


def _query_enum(request: web.Request, name: str, kind: Any) -> Any:
    value = request.query.get(name)
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(
            N_("Unknown {name}: {value}"), name=name, value=value[:40], field=name
        ) from None


def _query_int(request: web.Request, name: str, default: int, top: int | None = None) -> int:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    # ASCII digits only ("²".isdigit() is true, int() refuses it), and no larger than the
    # database's integers.
    if not (value.isascii() and value.isdigit()) or int(value) > (top or 2**31 - 1):
        raise InvalidInput(N_("Unknown {name}: {value}"), name=name, value=value[:40], field=name)
    return int(value)


async def get_items(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    overdue_text = request.query.get("overdue")
    overdue: bool | None = None
    if overdue_text:
        if overdue_text.lower() not in ("true", "false", "1", "0"):
            raise InvalidInput(
                N_("Unknown {name}: {value}"),
                name="overdue",
                value=overdue_text[:40],
                field="overdue",
            )
        overdue = overdue_text.lower() in ("true", "1")
    where = ItemFilter(
        status=_query_enum(request, "status", ItemStatus),
        unit=request.query.get("unit") or None,
        light=_query_enum(request, "light", Light),
        overdue=overdue,
    )
    limit = _query_int(request, "limit", 50, MAX_LIMIT)
    offset = _query_int(request, "offset", 0)
    views, total = await search_items(rt, where, limit=limit, offset=offset)
    return web.json_response(
        {
            "items": [item_json(view) for view in views],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


async def get_item(request: web.Request) -> web.Response:
    return await item_response(request, request.match_info["ref"])


async def approve(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    body = Approval.model_validate(await _optional_body(request))
    step = body.step - 1 if body.step is not None else None
    decided = await approve_item(
        rt, API, request.match_info["ref"], step=step, confirm_load=body.confirm
    )
    return await item_response(
        request,
        decided.item.ref,
        outcome=str(decided.outcome),
        warnings=[warning_json(w) for w in decided.warnings],
    )


async def return_draft(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    body = Return.model_validate(await json_body(request))
    from bot.api.decisions import return_if_completion  # a completion with the office

    returned = await return_if_completion(request, body.reason)
    if returned is not None:
        return returned
    step = body.step - 1 if body.step is not None else None
    view = await return_item(rt, API, request.match_info["ref"], body.reason, step=step)
    return await item_response(request, view.ref)


async def dispatch(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    body = Dispatch.model_validate(await _optional_body(request))
    try:
        view = await dispatch_draft(rt, API, request.match_info["ref"], confirm_load=body.confirm)
    except LoadWarned as warned:
        return _load_warning(request, warned)
    return await item_response(request, view.ref)


async def get_units(request: web.Request) -> web.Response:
    units = await list_units(request.app[RUNTIME])
    return web.json_response(
        {
            "units": [
                {
                    "key": unit.key,
                    "name": unit.name,
                    "leader": unit.leader,
                    "head": unit.head,
                    "contacts": list(unit.contacts),
                }
                for unit in units
            ]
        }
    )


# What the office does with a registered item before it goes out, each
# ``POST /api/items/{ref}/<step>``.
DRAFT_STEPS = {"approve": approve, "return": return_draft, "dispatch": dispatch}


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/items", post_item)
    app.router.add_get("/api/items", get_items)
    app.router.add_get("/api/items/{ref}", get_item)
    for step, route in DRAFT_STEPS.items():
        app.router.add_post(f"/api/items/{{ref}}/{step}", route)
    app.router.add_get("/api/units", get_units)
