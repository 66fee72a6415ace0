"""/stats [FROM TO]: statistics in the asker's own scope, as text and a chart."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import Update

from domain.assessment import Period, year_to_date
from handlers.context import DubanContext
from handlers.web import console_member
from services.bulletin import render_chart, stats_for
from services.ledger import Scope
from services.people import unit_names
from services.web_auth import may_use_console
from texts import console as texts
from texts.console import stats_text


def period_from(args: list[str], today: date) -> Period | None:
    """This year so far, or ``FROM TO`` (YYYY-MM-DD); None when they are not dates."""
    if not args:
        return year_to_date(today)
    try:
        start = date.fromisoformat(args[0])
        end = date.fromisoformat(args[1]) if len(args) > 1 else today
    except ValueError:
        return None
    return Period(start, end) if start <= end else None


async def stats_command(update: Update, context: DubanContext) -> None:
    asked = await console_member(update, context)
    if asked is None:
        return
    message, actor, t = asked
    if not may_use_console(actor):
        await message.reply_text(t(texts.STATS_REFUSED))
        return
    rt = context.rt
    today = rt.clock.now().astimezone(rt.tz).date()
    period = period_from(list(context.args or []), today)
    if period is None:
        await message.reply_text(t(texts.STATS_USAGE))
        return
    stats = await stats_for(rt, actor, period)
    scope = Scope.of(actor)
    units = None if scope.all else await unit_names(rt, scope.units or frozenset())
    await message.reply_text(stats_text(t, stats, units))
    chart = await asyncio.to_thread(render_chart, t, stats)
    await message.reply_photo(chart)
