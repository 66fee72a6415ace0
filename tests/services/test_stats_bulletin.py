"""The weekly bulletin: its text, a real PNG chart, scope per leader, once per ISO week."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select, update

from services.bulletin import send_weekly_bulletin
from services.runtime import Runtime
from storage.models import Notification, Person
from tests.services.console_scenario import build

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
