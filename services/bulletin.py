"""The weekly bulletin (通报) to the leaders and the office, and the on-time-rate chart.

Every week at the policy's weekday and time (default Monday 09:00 local), each principal
leader, deputy leader and supervisor gets, through the outbox:

1. a short text: open items by light, items closed last week, last week's on-time rate, the
   best and the worst units and the overdue list (a deputy's covers only the units they lead);
2. a chart image (PNG, drawn with matplotlib's Agg backend and a Chinese-capable font found at
   run time) of the on-time rate by unit this year, with a short caption.

The notifications' keys carry the ISO week, so a re-run, a restart or a second instance never
sends a week's bulletin twice; a process that was down at 09:00 sends it when it comes back
the same week.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import callbacks
from domain.assessment import Period, Stats, week_before
from domain.buttons import Button
from domain.text import shorten
from domain.views import ItemView
from domain.vocabulary import GroupTopic, Light, Role
from services.actors import Actor, load_actor
from services.group_notices import GroupMessage, to_groups
from services.ledger import LedgerQuery, Scope, ledger_views
from services.outbox.queue import enqueue, notification_key
from services.runtime import Runtime
from services.stats import compute_stats
from services.views import OPEN_STATUSES
from storage.models import Person, PersonRole, Setting
from texts import Text
from texts import console as texts
from texts import notices as notice_texts

log = logging.getLogger("duban.bulletin")

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "SimHei",
    "Microsoft YaHei",
    "AR PL UMing CN",
)
CJK_FILES = ("wqy-microhei", "wqy-zenhei", "notosanscjk", "notoserifcjk", "sourcehansans")
OVERDUE_LINES = 10
OVERDUE_TITLE = 60
"""UTF-16 units of each overdue title shown: ten full titles (200 characters, emoji count
twice) would pass Telegram's 4,096 and the message would be cut mid-list."""
BEST_WORST = 3
LAST_WEEK_SENT = "bulletin_week"


# --- the chart ----------------------------------------------------------------------------------


def cjk_font() -> Any:
    """A font that draws Chinese, found among the installed ones; None (with a warning) if none.

    Debian's ``fonts-wqy-microhei`` or ``fonts-noto-cjk`` provide one (``.ci/run`` installs it).
    """
    from matplotlib import font_manager

    by_name = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in by_name:
            return font_manager.FontProperties(fname=by_name[name])
    # Installed after matplotlib built its font cache: look at the files themselves.
    for path in sorted(font_manager.findSystemFonts()):
        lowered = Path(path).name.lower()
        if any(mark in lowered for mark in CJK_FILES):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path)
    log.warning("no_cjk_font", extra={"tried": ",".join(CJK_FONTS)})
    return None


def render_chart(t: Text, stats: Stats) -> bytes:
    """A horizontal bar chart of the on-time rate by unit, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font()
    rows = list(stats.units)
    names = [row.name for row in rows]
    rates = [(row.on_time_rate or 0.0) * 100 for row in rows]
    colours = [
        "#bfc5cc"
        if row.on_time_rate is None
        else "#2e9d5b"
        if row.on_time_rate >= 0.9
        else "#d9a400"
        if row.on_time_rate >= 0.6
        else "#d64541"
        for row in rows
    ]
    height = max(2.6, 0.45 * len(rows) + 1.4)
    figure = Figure(figsize=(8, height), dpi=110)
    axes = figure.subplots()
    positions = list(range(len(rows)))
    axes.barh(positions, rates, color=colours, height=0.6)
    axes.set_yticks(positions)
    axes.set_yticklabels(names, fontproperties=font)
    axes.invert_yaxis()
    axes.set_xlim(0, 115)
    axes.set_xticks([0, 20, 40, 60, 80, 100])
    axes.set_xticklabels([f"{tick}%" for tick in (0, 20, 40, 60, 80, 100)])
    for position, row, rate in zip(positions, rows, rates, strict=True):
        label = texts.percent(t, row.on_time_rate) if row.on_time_rate is not None else "—"
        axes.text(rate + 1.5, position, label, va="center", fontproperties=font, fontsize=9)
    title = t(texts.CHART_TITLE, start=stats.period.start, end=stats.period.end)
    axes.set_title(title, fontproperties=font)
    if not any(row.on_time_rate is not None for row in rows):
        axes.text(
            50,
            max(len(rows) - 1, 0) / 2,
            t.raw(texts.CHART_NO_DATA),
            ha="center",
            fontproperties=font,
            color="#5f6b78",
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# --- the text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulletinContent:
    text: str
    caption: str
    chart: bytes
    best: tuple[tuple[str, str], ...] = ()  # (key, name) of the best units, offered praise


PRAISE_OFFERED = 3  # how many of the year's best units the bulletin offers to praise (通报表扬)


def praise_buttons(t: Text, actor: Actor, best: tuple[tuple[str, str], ...]) -> list[list[Button]]:
    """For the office and the principal leader: 通报表扬 of each of the best units."""
    if not (actor.is_office or actor.has(Role.PRINCIPAL)):
        return []
    return [
        [Button(t(notice_texts.PRAISE_UNIT, unit=name), callbacks.make(callbacks.PRAISE, key))]
        for key, name in best
    ]


def _days_overdue(view: ItemView, today: date) -> int:
    return (today - view.due).days if view.due else 0


def bulletin_text(
    t: Text, week: Stats, year: Stats, views: list[ItemView], today: date, tz: Any
) -> str:
    low, high = week.period.bounds(tz)
    open_views = [v for v in views if v.status in OPEN_STATUSES]
    lights = {light: sum(1 for v in open_views if v.light == light) for light in Light}
    closed = sum(1 for v in views if v.closed_at is not None and low <= v.closed_at < high)
    lines = [
        t(texts.BULLETIN_TITLE, start=week.period.start, end=week.period.end),
        t(
            texts.BULLETIN_COUNTS,
            open=len(open_views),
            red=lights[Light.RED],
            yellow=lights[Light.YELLOW],
            green=lights[Light.GREEN],
            closed=closed,
        ),
    ]
    if week.total.due:
        lines.append(
            t(
                texts.BULLETIN_RATE,
                rate=texts.percent(t, week.total.on_time_rate),
                on_time=week.total.closed_on_time,
                due=week.total.due,
            )
        )
    ranked = year.ranked_units()
    if len(ranked) >= 2:
        count = min(BEST_WORST, len(ranked) // 2)
        separator = t.raw(texts.SEPARATOR)

        def names(rows: list[Any]) -> str:
            return separator.join(
                t.raw(texts.BULLETIN_UNIT_RATE).format(
                    name=row.name, rate=texts.percent(t, row.on_time_rate)
                )
                for row in rows
            )

        lines.append(t(texts.BULLETIN_BEST, units=names(ranked[:count])))
        lines.append(t(texts.BULLETIN_WORST, units=names(list(reversed(ranked[-count:])))))
    overdue = sorted((v for v in views if v.overdue), key=lambda v: v.due_at or datetime.max)
    lines.append("")
    if overdue:
        lines.append(t(texts.BULLETIN_OVERDUE, count=len(overdue)))
        for view in overdue[:OVERDUE_LINES]:
            lines.append(
                t(
                    texts.BULLETIN_OVERDUE_LINE,
                    code=view.code,
                    title=shorten(view.title, OVERDUE_TITLE),
                    unit=view.lead.unit_name if view.lead else "",
                    days=_days_overdue(view, today),
                )
            )
        if len(overdue) > OVERDUE_LINES:
            lines.append(t(texts.BULLETIN_MORE, count=len(overdue) - OVERDUE_LINES))
    else:
        lines.append(t(texts.BULLETIN_NO_OVERDUE))
    return "\n".join(lines)


async def bulletin_content(rt: Runtime, scope: Scope, t: Text, today: date) -> BulletinContent:
    """The bulletin for a scope as of ``today``: last full week, and this year for the chart."""
    week = week_before(today)
    year_period = Period(date(week.end.year, 1, 1), week.end)
    leaders = None if scope.all else frozenset({scope.leader_id or -1})
    week_stats = await compute_stats(rt, week, unit_ids=scope.units, leader_ids=leaders)
    year_stats = await compute_stats(rt, year_period, unit_ids=scope.units, leader_ids=leaders)
    views = await ledger_views(rt, scope, LedgerQuery(sort="due", descending=False))
    text = bulletin_text(t, week_stats, year_stats, views, today, rt.tz)
    chart = await asyncio.to_thread(render_chart, t, year_stats)
    caption = t(texts.BULLETIN_CAPTION, start=week.start, end=week.end)
    best = tuple((row.key, row.name) for row in year_stats.ranked_units()[:PRAISE_OFFERED])
    return BulletinContent(text, caption, chart, best)


# --- sending -------------------------------------------------------------------------------------


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def bulletin_moment(rt: Runtime, today: date) -> datetime:
    """This week's bulletin time (local), as an aware datetime."""
    monday = today - timedelta(days=today.weekday())
    day = monday + timedelta(days=rt.policy.bulletin.weekday_number)
    return datetime.combine(day, rt.policy.bulletin.time, tzinfo=rt.tz)


async def bulletin_recipients(rt: Runtime) -> list[Actor]:
    """Principal and deputy leaders and the office, each once, who have joined."""
    async with rt.db.session() as session:
        people = list(
            await session.scalars(
                select(Person)
                .join(PersonRole, PersonRole.person_id == Person.id)
                .where(
                    PersonRole.role.in_([Role.PRINCIPAL, Role.DEPUTY, Role.SUPERVISOR]),
                    Person.active,
                )
                .distinct()
                .order_by(Person.id)
            )
        )
        # Someone who has not joined the bot cannot read a bulletin; nothing is queued for them.
        return [await load_actor(session, p) for p in people if p.telegram_chat_id is not None]


@dataclass(frozen=True)
class BulletinRun:
    week: str
    queued: int
    already: bool


async def send_weekly_bulletin(rt: Runtime, *, force: bool = False) -> BulletinRun:
    """Queue this week's bulletin if its time has come (or ``force``); idempotent per week."""
    now = rt.clock.now()
    today = now.astimezone(rt.tz).date()
    week = iso_week(today)
    if not force and now < bulletin_moment(rt, today):
        return BulletinRun(week, 0, False)
    async with rt.db.session() as session:
        done = await session.get(Setting, LAST_WEEK_SENT)
        if done is not None and done.value == week:
            return BulletinRun(week, 0, True)
    recipients = await bulletin_recipients(rt)
    contents: dict[tuple[str, Scope], BulletinContent] = {}
    folder = Path("bulletins")
    queued = 0
    # Every content (statistics, ledger, chart) before the writing transaction begins: computed
    # between its writes, they would hold the write lock (on SQLite, every writer's turn).
    for actor in recipients:
        t = rt.text(actor.locale)
        cache_key = (t.locale, Scope.of(actor))
        if cache_key not in contents:
            contents[cache_key] = await bulletin_content(rt, cache_key[1], t, today)
    group_t = rt.text(None)
    county = contents.get((group_t.locale, Scope.everything()))
    if county is None:
        county = await bulletin_content(rt, Scope.everything(), group_t, today)
    async with rt.db.session() as session:
        if not await _to_leaders_group(rt, session, county, week):
            recipients = []  # the leaders' group has it; nobody privately
        for actor in recipients:
            scope = Scope.of(actor)
            t = rt.text(actor.locale)
            content = contents[(t.locale, scope)]
            name = "all" if scope.all else actor.key
            relative = folder / f"{week}-{name}-{t.locale}.png"
            target = rt.media_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(target.write_bytes, content.chart)
            praise = praise_buttons(t, actor, content.best)
            for kind, text, photo, buttons in (
                ("bulletin", content.text, None, praise),
                ("bulletin_chart", content.caption, relative.as_posix(), []),
            ):
                added = await enqueue(
                    session,
                    key=notification_key("bulletin", week, actor.person_id, kind),
                    person_id=actor.person_id,
                    kind=kind,
                    text=text,
                    photo_path=photo,
                    buttons=buttons,
                    not_before=now,
                    created_at=now,
                )
                queued += int(added)
        marker = await session.get(Setting, LAST_WEEK_SENT)
        if marker is None:
            session.add(Setting(name=LAST_WEEK_SENT, value=week, updated_at=now))
        else:
            marker.value = week
            marker.updated_at = now
        await session.commit()
    rt.wake_outbox()
    log.info("bulletin_queued", extra={"week": week, "notifications": queued})
    return BulletinRun(week, queued, False)


async def _to_leaders_group(
    rt: Runtime, session: AsyncSession, content: BulletinContent, week: str
) -> bool:
    """The whole county's bulletin and chart to the leaders' group; whether each leader still
    gets their own privately."""
    relative = Path("bulletins") / f"{week}-group.png"
    target = rt.media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(target.write_bytes, content.chart)
    base = notification_key("bulletin", week)
    private = await to_groups(
        rt,
        session,
        GroupTopic.BULLETIN,
        GroupMessage("bulletin", f"{base}|bulletin", lambda t: content.text),
    )
    chart = GroupMessage(
        "bulletin_chart",
        f"{base}|chart",
        lambda t: content.caption,
        photo_path=relative.as_posix(),
    )
    await to_groups(rt, session, GroupTopic.BULLETIN, chart)
    return private


async def stats_for(rt: Runtime, actor: Actor, period: Period) -> Stats:
    """Statistics in an actor's own scope (``/stats``)."""
    scope = Scope.of(actor)
    leaders = None if scope.all else frozenset({actor.person_id})
    return await compute_stats(rt, period, unit_ids=scope.units, leader_ids=leaders)
