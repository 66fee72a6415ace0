"""The office's decisions on a dispatched item through the API (DESIGN §7).

``POST /api/items/{ref}/close`` ``{"answer"?, "follow_up_on"?}`` closes (销号) after the lead
unit's confirmed completion; ``/reopen`` ``{"due", "problems": [...]}`` (or ``"reason"``, one
problem per line) reopens a closed item for rectification (整改); ``/extend`` ``{"due",
"reason"?}`` approves the pending extension request or moves the due date directly; ``/steps``
``{"plan_by"?, "first_feedback_by"?, "reason"?}`` sets new dates for the plan (研究部署) and the
first feedback (首次反馈), which an extension leaves as they are;
``/return`` ``{"reason"}`` on an item whose completion is with the office returns it for rework
(registration's route calls :func:`return_if_completion` first; for a draft pending approval it
returns the draft); ``/archive`` (no body) files a closed item whose follow-up found nothing, or
a withdrawn one (立卷归档); ``/withdraw`` ``{"reason"}`` takes an open item back (撤销督办);
``/answer`` ``{"class": "A"|"B"|"C", "text", "unit"?, "person"?}`` records a proposal's answer
to the proposer (答复建议提案) on the unit's behalf. The API token acts as the office.

An answer recorded through the API is the unit's report like one sent in chat: it belongs to
``unit`` (a roster key; default the lead unit) and its author is ``person`` (a roster key of
that unit's contact or head; default its first contact, else its head), so that the chat, the
console and the statistics show who answered for the unit; its timeline entry carries ``"via":
"api"``, which says the office recorded it. It is dated when recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api.bodies import item_response, json_body
from bot.keys import RUNTIME
from domain.proposals import ANSWER_KIND
from domain.views import ItemView
from domain.vocabulary import ItemStatus
from services import archive, decisions, follow_up, reports, step_dates
from services.items import Origin
from services.runtime import Runtime
from services.views import find_item

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


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_by: date | None = None
    first_feedback_by: date | None = None
    reason: Annotated[str, Field(max_length=4000)] = ""


class Withdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    answer: Annotated[Literal["A", "B", "C"], Field(alias="class")]
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    unit: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    person: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class Archive(BaseModel):
    model_config = ConfigDict(extra="forbid")


BodyT = TypeVar("BodyT", bound=BaseModel)
# An office decision on the item ``ref`` as a validated body asks it: the item afterwards.
Decide = Callable[[Runtime, str, BodyT], Awaitable[ItemView]]


async def _body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    return await json_body(request)


def _decision(
    model: type[BodyT], decide: Decide[BodyT], *, body_optional: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A route that reads the body as ``model``, makes the office's decision on the item
    ``{ref}`` with it and answers with the item as ``GET /api/items/{ref}`` shows it."""

    async def route(request: web.Request) -> web.Response:
        raw = await _body(request) if body_optional else await json_body(request)
        body = model.model_validate(raw)
        view = await decide(request.app[RUNTIME], request.match_info["ref"], body)
        return await item_response(request, view.ref)

    return route


async def _record_answer(rt: Runtime, ref: str, body: Answer) -> ItemView:
    kind = ANSWER_KIND[body.answer]
    done = await reports.record_answer(
        rt, ref, kind, body.text, unit_key=body.unit, person_key=body.person
    )
    return done.item


close = _decision(
    Close,
    lambda rt, ref, body: decisions.close_item(
        rt, API, ref, answer=body.answer, follow_up_on=body.follow_up_on
    ),
    body_optional=True,
)
reopen = _decision(
    Reopen,
    lambda rt, ref, body: follow_up.reopen_item(
        rt, API, ref, body.due, body.problems if body.problems is not None else body.reason
    ),
)
extend = _decision(
    Extend, lambda rt, ref, body: decisions.extend_item(rt, API, ref, body.due, body.reason)
)
steps = _decision(
    Steps,
    lambda rt, ref, body: step_dates.move_steps(
        rt,
        API,
        ref,
        plan_by=body.plan_by,
        first_feedback_by=body.first_feedback_by,
        reason=body.reason,
    ),
)
archive_route = _decision(
    Archive, lambda rt, ref, body: archive.archive_item(rt, API, ref), body_optional=True
)
withdraw = _decision(
    Withdraw, lambda rt, ref, body: archive.withdraw_item(rt, API, ref, body.reason)
)
answer = _decision(Answer, _record_answer)


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


# The office's decisions on an item, each ``POST /api/items/{ref}/<decision>``.
DECISIONS = {
    "close": close,
    "reopen": reopen,
    "extend": extend,
    "steps": steps,
    "archive": archive_route,
    "withdraw": withdraw,
    "answer": answer,
}


def add_routes(app: web.Application) -> None:
    for decision, route in DECISIONS.items():
        app.router.add_post(f"/api/items/{{ref}}/{decision}", route)
