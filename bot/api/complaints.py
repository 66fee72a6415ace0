"""``/api/complaints``: the office's list and triage (accept, merge, reject, answer).

``{id}`` is the complaint's public id (``T2026-3``). Nothing in these answers identifies a
complainant: there is nothing to identify them by.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api.bodies import error_response, item_draft, json_body
from bot.keys import RUNTIME
from domain.complaints import ANSWER_MAX
from domain.vocabulary import ComplaintStatus, Source, TimeClass
from services import complaint_triage
from services.complaint_triage import complaint_json
from services.items import Origin
from services.views import item_json

API = Origin(None, via_api=True)


class Accept(BaseModel):
    """What the unit will see: the office writes it; nothing of the sender goes along."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=5000)] = ""
    lead_unit: Annotated[str, Field(min_length=1)]
    co_units: list[str] = Field(default_factory=list)
    leader: str | None = None
    time_class: Annotated[TimeClass, Field(alias="class")] = TimeClass.GENERAL
    due: date | None = None
    dispatch: bool = True


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: Annotated[str, Field(min_length=1, max_length=40)]


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=ANSWER_MAX)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Annotated[str, Field(min_length=1, max_length=ANSWER_MAX)]


async def list_route(request: web.Request) -> web.Response:
    status_param = request.query.get("status")
    status = None
    if status_param:
        try:
            status = ComplaintStatus(status_param)
        except ValueError:
            return error_response(
                422, "unknown status", {"allowed": [s.value for s in ComplaintStatus]}
            )
    found = await complaint_triage.list_complaints(request.app[RUNTIME], API, status)
    return web.json_response([complaint_json(view) for view in found])


async def get_route(request: web.Request) -> web.Response:
    view = await complaint_triage.get_complaint(request.app[RUNTIME], API, request.match_info["id"])
    return web.json_response(complaint_json(view))


async def decide_route(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    public_id = request.match_info["id"]
    action = request.match_info["action"]
    body: Any = await json_body(request)
    if action == "accept":
        accept = Accept.model_validate(body)
        draft = item_draft(accept, Source.COMPLAINT)
        view, item = await complaint_triage.accept_complaint(
            rt, API, public_id, draft, dispatch=accept.dispatch
        )
        return web.json_response({**complaint_json(view), "item_detail": item_json(item)})
    if action == "merge":
        view = await complaint_triage.merge_complaint(
            rt, API, public_id, Merge.model_validate(body).into
        )
    elif action == "reject":
        view = await complaint_triage.reject_complaint(
            rt, API, public_id, Reject.model_validate(body).reason
        )
    elif action == "answer":
        view = await complaint_triage.answer_complaint(
            rt, API, public_id, Answer.model_validate(body).answer
        )
    else:
        return error_response(
            404, "unknown action", {"allowed": ["accept", "merge", "reject", "answer"]}
        )
    return web.json_response(complaint_json(view))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/complaints", list_route)
    app.router.add_get("/api/complaints/{id}", get_route)
    app.router.add_post("/api/complaints/{id}/{action}", decide_route)
