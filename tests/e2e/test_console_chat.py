"""/stats in chat: a leader's own scope as text and a chart photo; units are refused."""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import join
from tests.services.console_scenario import build


async def test_stats_on_demand_in_a_leaders_scope(bench: Bench) -> None:
    await import_example_county(bench.rt)
    await build(bench.rt)
    users = await join(bench, ["wang", "lina"])
    wang = users["wang"]
    await wang.send_text("/stats 2026-11-01 2026-11-30")
    text = await wang.wait_message(lambda m: "督办统计" in m.plain_text, timeout=10)
    assert text.plain_text.startswith("📊 督办统计 2026-11-01 – 2026-11-30")
    assert "分管单位：县教育局、县卫生健康局、县民政局" in text.plain_text
    assert "县教育局：到期 2 件，按期办结 1 件，按期办结率 50%" in text.plain_text
    assert "县交通运输局" not in text.plain_text
    chart = await wang.wait_message(lambda m: m.is_photo, timeout=20)
    assert chart.is_photo and chart.photo is not None
    image = Image.open(io.BytesIO(chart.photo))
    assert image.format == "PNG" and image.width >= 600
    await wang.send_text("/stats yesterday")
    usage = await wang.wait_message(lambda m: "/stats" in m.plain_text, timeout=10)
    assert "/stats 起始日期 截止日期" in usage.plain_text
    await users["lina"].send_text("/stats")
    # Other messages (dispatch notices of the scenario's items) may arrive first.
    refused = await users["lina"].wait_message(lambda m: "统计" in m.plain_text, timeout=10)
    assert refused.plain_text == "统计仅供督查室和领导查看。"
