"""Talks (约谈) through the API; the API token acts as the office, on the principal's behalf.

``POST /api/items/{ref}/talks`` (no body) orders a talk with the heads of the item's open units
(201; 200 with ``"already": true`` when it had been ordered); ``GET /api/items/{ref}/talks``
lists the item's talks; ``POST /api/items/{ref}/talks/{id}`` ``{"held_on", "held_time"?,
"place", "attendees", "commitment", "commit_by"}`` records a talk once held.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api.bodies import json_body, measures_response
from bot.keys import RUNTIME
from domain.talks import FIELD_LIMIT, TalkRecord
from services import talks
from services.items import Origin

API = Origin(None, via_api=True)
Text = Annotated[str, Field(min_length=1, max_length=FIELD_LIMIT)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: date
    held_time: time | None = None
    place: Text
    attendees: Text
    commitment: Text
    commit_by: date


async def order(request: web.Request) -> web.Response:
    ordered = await talks.order_talk(request.app[RUNTIME], API, request.match_info["ref"])
    body = {"talk": ordered.talk.as_json(), "already": ordered.already}
    return web.json_response(body, status=200 if ordered.already else 201)


async def listed(request: web.Request) -> web.Response:
    return await measures_response(request, "talks")


async def record(request: web.Request) -> web.Response:
    body = Record.model_validate(await json_body(request))
    rt = request.app[RUNTIME]
    talk_id = request.match_info["id"]
    if not talk_id.isdigit():
        raise talks.UnknownTalk()
    held = await talks.talk_record(rt, int(talk_id))
    if held.item_ref != request.match_info["ref"]:
        raise talks.UnknownTalk()
    fields = body.model_dump()
    recorded = await talks.record_talk(rt, API, int(talk_id), TalkRecord(**fields))
    return web.json_response({"talk": recorded.talk.as_json()})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/items/{ref}/talks", order)
    app.router.add_get("/api/items/{ref}/talks", listed)
    app.router.add_post("/api/items/{ref}/talks/{id}", record)
