"""JSON in and out for the API's routes: the request's body, the item draft a body describes,
an item as JSON, and an error as JSON.

Errors are ``{"error": "...", "detail": ...}`` with a fitting status.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.keys import RUNTIME
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft
from services.public_notices import item_notices
from services.rectification import problems_json, problems_of
from services.referrals import item_referrals
from services.talks import item_talks
from services.views import find_item, item_json, load_item, timeline


def error_response(status: int, error: str, detail: Any = None) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status)


async def item_response(
    request: web.Request, ref: str, status: int = 200, **extra: Any
) -> web.Response:
    """The item as ``GET /api/items/{ref}`` shows it: its units, light, timeline, the
    problems of its latest reopening (整改) with the units' answers, and the leaders' measures
    (talks, referrals for accountability, notices of criticism or praise)."""
    rt = request.app[RUNTIME]
    async with rt.db.session() as session:
        view = await load_item(session, ref, rt.clock.now(), rt.policy)
        entries = await timeline(session, view.id)
        problems = await problems_of(session, view.id)
        measures = await measures_json(session, view.id, tuple(MEASURES))
    body = item_json(view, entries) | {"problems": problems_json(problems)} | measures
    return web.json_response(body | extra, status=status)


class _Measure(Protocol):
    def as_json(self) -> dict[str, object]: ...


# The leaders' measures on an item, by the key each kind stands under in JSON: the item's
# talks (约谈), referrals for accountability (问责建议) and notices of criticism or praise.
MEASURES: dict[str, Callable[[AsyncSession, int], Awaitable[Sequence[_Measure]]]] = {
    "talks": item_talks,
    "referrals": item_referrals,
    "notices": item_notices,
}


async def measures_json(
    session: AsyncSession, item_id: int, kinds: tuple[str, ...]
) -> dict[str, list[dict[str, object]]]:
    """The item's measures of these kinds (keys of :data:`MEASURES`), oldest first."""
    return {kind: [m.as_json() for m in await MEASURES[kind](session, item_id)] for kind in kinds}


async def measures_response(request: web.Request, kind: str) -> web.Response:
    """``GET /api/items/{ref}/KIND``: the item's measures of one kind."""
    rt = request.app[RUNTIME]
    async with rt.db.session() as session:
        item = await find_item(session, request.match_info["ref"])
        body = await measures_json(session, item.id, (kind,))
    return web.json_response(body)


async def json_body(request: web.Request) -> Any:
    """The request's JSON body, or a 400 that says why not."""
    if request.content_type != "application/json":
        raise web.HTTPBadRequest(reason="send application/json")
    try:
        return await request.json(loads=json.loads)
    except ValueError:
        raise web.HTTPBadRequest(reason="the body is not valid JSON") from None


class DraftBody(Protocol):
    """A validated body that describes an item to register (``POST /api/items``, or a
    complaint's acceptance)."""

    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def time_class(self) -> TimeClass: ...
    @property
    def lead_unit(self) -> str: ...
    @property
    def co_units(self) -> Sequence[str]: ...
    @property
    def leader(self) -> str | None: ...
    @property
    def due(self) -> date | None: ...


def item_draft(body: DraftBody, source: Source) -> ItemDraft:
    return ItemDraft(
        title=body.title,
        body=body.body,
        source=source,
        time_class=body.time_class,
        lead_unit=body.lead_unit,
        co_units=tuple(body.co_units),
        leader=body.leader,
        due=body.due,
    )
