"""The office's decisions on a dispatched item through the API (DESIGN §7).

``POST /api/items/{ref}/close`` ``{"answer"?, "follow_up_on"?}`` closes (销号) after the lead
unit's confirmed completion; ``/reopen`` ``{"due", "problems": [...]}`` (or ``"reason"``, one
problem per line) reopens a closed item for rectification (整改); ``/extend`` ``{"due",
"reason"?}`` approves the pending extension request or moves the due date directly;
``/return`` ``{"reason"}`` on an item whose completion is with the office returns it for rework
(registration's route calls :func:`return_if_completion` first; for a draft pending approval it
returns the draft); ``/archive`` (no body) files a closed item whose follow-up found nothing, or
a withdrawn one (立卷归档); ``/withdraw`` ``{"reason"}`` takes an open item back (撤销督办). The
API token acts as the office.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api.bodies import json_body
from bot.keys import RUNTIME
from domain.vocabulary import ItemStatus
from services import archive, decisions, follow_up
from services.items import Origin
from services.rectification import problems_json, problems_of
from services.views import find_item, item_json, load_item, timeline

API = Origin(None, via_api=True)


class Close(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Annotated[str, Field(max_length=4000)] | None = None
    follow_up_on: date | None = None


class Reopen(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due: date
    reason: Annotated[str, Field(max_length=4000)] = ""  # the problems, one per line
    problems: list[Annotated[str, Field(min_length=1, max_length=500)]] | None = None


class Extend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due: date
    reason: Annotated[str, Field(max_length=4000)] = ""


class Withdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class Archive(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    return await json_body(request)


async def item_response(request: web.Request, ref: str) -> web.Response:
    rt = request.app[RUNTIME]
    async with rt.db.session() as session:
        view = await load_item(session, ref, rt.clock.now(), rt.policy)
        entries = await timeline(session, view.id)
        problems = await problems_of(session, view.id)
    return web.json_response(item_json(view, entries) | {"problems": problems_json(problems)})


async def close(request: web.Request) -> web.Response:
    body = Close.model_validate(await _body(request))
    view = await decisions.close_item(
        request.app[RUNTIME],
        API,
        request.match_info["ref"],
        answer=body.answer,
        follow_up_on=body.follow_up_on,
    )
    return await item_response(request, view.ref)


async def reopen(request: web.Request) -> web.Response:
    body = Reopen.model_validate(await json_body(request))
    view = await follow_up.reopen_item(
        request.app[RUNTIME],
        API,
        request.match_info["ref"],
        body.due,
        body.problems if body.problems is not None else body.reason,
    )
    return await item_response(request, view.ref)


async def extend(request: web.Request) -> web.Response:
    body = Extend.model_validate(await json_body(request))
    view = await decisions.extend_item(
        request.app[RUNTIME], API, request.match_info["ref"], body.due, body.reason
    )
    return await item_response(request, view.ref)


async def archive_route(request: web.Request) -> web.Response:
    Archive.model_validate(await _body(request))
    view = await archive.archive_item(request.app[RUNTIME], API, request.match_info["ref"])
    return await item_response(request, view.ref)


async def withdraw(request: web.Request) -> web.Response:
    body = Withdraw.model_validate(await json_body(request))
    view = await archive.withdraw_item(
        request.app[RUNTIME], API, request.match_info["ref"], body.reason
    )
    return await item_response(request, view.ref)


async def return_if_completion(request: web.Request, reason: str) -> web.Response | None:
    """``/return`` on an item whose completion is with the office: returned for rework.

    None when the item is in another state (the caller then handles drafts).
    """
    rt = request.app[RUNTIME]
    ref = request.match_info["ref"]
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        status = item.status
    if status is not ItemStatus.COMPLETION_SUBMITTED:
        return None
    view = await decisions.return_completion(rt, API, ref, reason)
    return await item_response(request, view.ref)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/items/{ref}/close", close)
    app.router.add_post("/api/items/{ref}/reopen", reopen)
    app.router.add_post("/api/items/{ref}/extend", extend)
    app.router.add_post("/api/items/{ref}/archive", archive_route)
    app.router.add_post("/api/items/{ref}/withdraw", withdraw)
