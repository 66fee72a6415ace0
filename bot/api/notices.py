"""Notices of criticism and praise (通报) through the API, the token acting as the office.

``POST /api/items/{ref}/criticism`` drafts a notice of criticism of the item's open units (201;
200 with ``"already": true`` when one was drafted or sent before); ``POST /api/notices``
``{"unit"}`` drafts a notice of praise; ``GET /api/notices/{id}``; ``POST /api/notices/{id}/edit``
``{"text"}``, ``/confirm`` (sends it, once: 409 after), ``/drop``.
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api.bodies import json_body
from bot.keys import RUNTIME
from domain.notices import TEXT_LIMIT, NoticeView
from services import public_notices
from services.items import Origin

API = Origin(None, via_api=True)


class Praise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Annotated[str, Field(min_length=1, max_length=64)]


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=TEXT_LIMIT)]


def _notice(view: NoticeView, status: int = 200, **extra: Any) -> web.Response:
    return web.json_response({"notice": view.as_json(), **extra}, status=status)


def _id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isdigit() or len(value) > 12:
        raise public_notices.UnknownNotice()
    return int(value)


async def criticism(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    drafted = await public_notices.draft_criticism(rt, API, request.match_info["ref"])
    return _notice(drafted.notice, 200 if drafted.already else 201, already=drafted.already)


async def praise(request: web.Request) -> web.Response:
    body = Praise.model_validate(await json_body(request))
    drafted = await public_notices.draft_praise(request.app[RUNTIME], API, body.unit)
    return _notice(drafted.notice, 201)


async def get_notice(request: web.Request) -> web.Response:
    return _notice(await public_notices.notice_record(request.app[RUNTIME], _id(request)))


async def act(request: web.Request) -> web.Response:
    rt, notice_id, action = request.app[RUNTIME], _id(request), request.match_info["action"]
    if action == "edit":
        body = Edit.model_validate(await json_body(request))
        return _notice(await public_notices.edit_notice(rt, API, notice_id, body.text))
    if action == "confirm":
        sent = await public_notices.confirm_notice(rt, API, notice_id)
        document = {"id": sent.document_id, "number": sent.number}
        return _notice(sent.notice, people=sent.people, document=document)
    if action == "drop":
        return _notice(await public_notices.drop_notice(rt, API, notice_id))
    raise web.HTTPNotFound()


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/items/{ref}/criticism", criticism)
    app.router.add_post("/api/notices", praise)
    app.router.add_get("/api/notices/{id}", get_notice)
    app.router.add_post("/api/notices/{id}/{action}", act)
