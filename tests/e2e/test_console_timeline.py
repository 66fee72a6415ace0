"""The console's timeline reads as plain Chinese (issue 16, point 6): an item climbs the ladder
to its third level, one office member has not joined, and the item page's timeline says who was
told what, the urging notice's number and the inspection in words, never a level number, an
arrow of codes or a raw value such as ``not_joined`` or ``escalation``."""

from __future__ import annotations

import html
import re

from tests.conftest import Bench
from tests.e2e.console_helpers import page, signed_in
from tests.e2e.measures_helpers import local, overdue_item, step

# 周建 of the office has not joined: what is sent to him is unreachable.
PEOPLE = ["lina", "zhangjun", "wang", "zhao", "qian", "wuting"]
TIMELINE = re.compile(r'<ol class="timeline">(.*?)</ol>', re.S)
RAW = re.compile(
    r"level \d|第\s*\d+\s*级|→|\(late\)|\b[a-z]+_[a-z_]+\b|\b(escalation|urge|remind)\b"
)


async def test_the_timeline_speaks_plain_chinese(bench: Bench) -> None:
    users, view = await overdue_item(bench, PEOPLE, 51_000)
    for day in (4, 7, 11):
        await step(bench, local(12, day, 8))
    http = await signed_in(bench, users["qian"])
    async with http:
        status, body = await page(http, f"{bench.base_url}/console/items/{view.ref}")
    assert status == 200
    found = TIMELINE.search(body)
    assert found is not None
    timeline = html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))
    assert not RAW.findall(timeline), RAW.findall(timeline)
    assert "已通知：王立新、钱丽华、周建、吴婷" in timeline
    assert "逾期未办结，已报县政府主要领导并列入督查事项" in timeline
    assert re.search(r"（[^（）]*催〔2026〕\d+号）", timeline), timeline
    assert "未能送达周建：尚未加入机器人" in timeline
    assert "逾期督办通知" in timeline
