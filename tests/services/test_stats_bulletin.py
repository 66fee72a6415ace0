"""The weekly bulletin: its text, a real PNG chart, scope per leader, once per ISO week."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select, update

from domain.text import MESSAGE_MAX, visible_len
from services.bulletin import OVERDUE_LINES, send_weekly_bulletin
from services.runtime import Runtime
from storage.models import Notification, Person
from tests.services.console_scenario import _register, build, local

PNG = b"\x89PNG\r\n\x1a\n"


async def joined(rt: Runtime, *keys: str) -> dict[str, int]:
    async with rt.db.session() as session:
        ids = {}
        for number, key in enumerate(keys):
            await session.execute(
                update(Person).where(Person.key == key).values(telegram_chat_id=5000 + number)
            )
            person = await session.scalar(select(Person).where(Person.key == key))
            assert person is not None
            ids[key] = person.id
        await session.commit()
    return ids


async def notes(rt: Runtime, person_id: int) -> dict[str, Notification]:
    async with rt.db.session() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.person_id == person_id)
        )
        return {n.kind: n for n in rows if n.kind.startswith("bulletin")}


async def test_bulletin_text_chart_scope_and_once_a_week(county: Runtime) -> None:
    scenario = await build(county)
    ids = await joined(county, "zhao", "wang", "qian")
    # Monday 08:00: not yet.
    county.clock.set(county.clock.now() - timedelta(hours=1))  # type: ignore[attr-defined]
    early = await send_weekly_bulletin(county)
    assert early.queued == 0 and await notes(county, ids["zhao"]) == {}
    county.clock.set(county.clock.now() + timedelta(hours=1))  # type: ignore[attr-defined]
    run = await send_weekly_bulletin(county)
    assert run.week == "2026-W48" and run.queued == 6  # text and chart for three people

    zhao = await notes(county, ids["zhao"])
    text = zhao["bulletin"].text
    assert text.startswith("📣 <b>督办工作周通报</b> 2026-11-16 – 2026-11-22")
    assert "在办事项 2 件（🔴 1 · 🟡 1 · 🟢 0）；上周办结 1 件。" in text
    assert "上周按期办结率" not in text  # nothing fell due 16–22 Nov (C was due 15 Nov)
    assert "表现较好：县卫生健康局 100%" in text
    assert "需要关注：县交通运输局 0%" in text
    assert "逾期事项（1 件）：" in text
    assert "🔴 督〔2026〕2号 农村公路危桥改造 — 县交通运输局，逾期 11 天" in text
    chart = zhao["bulletin_chart"]
    assert chart.photo_path is not None and chart.photo_path.endswith(".png")
    assert len(chart.text) <= 1024 and "各单位按期办结率" in chart.text
    data = (county.media_dir / chart.photo_path).read_bytes()
    assert data[:8] == PNG
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG" and image.width >= 600 and 200 <= image.height <= 2000
    # Not a blank canvas: bars in several colours.
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 10

    # wang leads edu, health and civil: transport's overdue item is not his.
    wang = (await notes(county, ids["wang"]))["bulletin"].text
    assert "农村公路危桥改造" not in wang and "无逾期事项。" in wang
    assert "县交通运输局" not in wang
    wang_chart = (await notes(county, ids["wang"]))["bulletin_chart"].photo_path
    assert wang_chart != chart.photo_path
    assert scenario.b

    again = await send_weekly_bulletin(county)
    assert again.already and again.queued == 0
    forced = await send_weekly_bulletin(county, force=True)
    assert forced.queued == 0  # the same week's keys: nothing twice
    county.clock.set(county.clock.now() + timedelta(days=7))  # type: ignore[attr-defined]
    next_week = await send_weekly_bulletin(county)
    assert next_week.week == "2026-W49" and next_week.queued == 6


async def test_a_bulletin_of_many_long_overdue_titles_fits_one_message(county: Runtime) -> None:
    """Twelve overdue items with titles at the 200-unit limit, half emoji: the bulletin lists
    ten, each title shortened to a line a phone shows, then says how many more there are."""
    await build(county)
    ids = await joined(county, "zhao")
    title = "🚧" * 49 + "道路" * 50  # 200 UTF-16 units with the two digits in front
    for day in range(1, 12):
        await _register(county, f"{day:02d}{title}", "transport", (), local(day))
    await send_weekly_bulletin(county)
    text = (await notes(county, ids["zhao"]))["bulletin"].text
    assert visible_len(text) <= MESSAGE_MAX // 2
    assert "逾期事项（12 件）：" in text
    listed = [line for line in text.splitlines() if line.startswith("🔴 督〔2026〕")]
    assert len(listed) == OVERDUE_LINES
    long = [line for line in listed if "🚧" in line]
    assert len(long) == OVERDUE_LINES - 1  # and B's
    assert all(visible_len(line) < 120 and "🚧… — 县交通运输局" in line for line in long), long
    assert "督〔2026〕2号" in text  # the oldest first
    assert text.rstrip().endswith("另有 2 件，请在控制台查看。"), text[-200:]
