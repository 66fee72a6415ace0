"""Referrals for accountability (问责建议) through the API, the token acting as the office.

``POST /api/items/{ref}/referrals`` ``{"to", "reason", "on"}`` records one (201);
``GET /api/items/{ref}/referrals`` lists the item's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.api.bodies import json_body, measures_response
from bot.keys import RUNTIME
from domain.referrals import ReferralRecord
from domain.talks import FIELD_LIMIT
from services import referrals
from services.items import Origin

API = Origin(None, via_api=True)
Text = Annotated[str, Field(min_length=1, max_length=FIELD_LIMIT)]


class Propose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Text
    reason: Text
    on: date


async def propose(request: web.Request) -> web.Response:
    body = Propose.model_validate(await json_body(request))
    record = ReferralRecord(body.to, body.reason, body.on)
    _, made = await referrals.propose_referral(
        request.app[RUNTIME], API, request.match_info["ref"], record
    )
    return web.json_response({"referral": made.as_json()}, status=201)


async def listed(request: web.Request) -> web.Response:
    return await measures_response(request, "referrals")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/items/{ref}/referrals", propose)
    app.router.add_get("/api/items/{ref}/referrals", listed)
