"""The assessment's scores where people read them: GET /api/stats, the console's statistics
page and /stats in chat, for the December of ``tests.services.assessment_scenario``."""

from __future__ import annotations

import html

import aiohttp

from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import join, page, signed_in
from tests.services.assessment_scenario import play_december

AUTH = {"Authorization": "Bearer test-api-token"}
DECEMBER = {"from": "2026-12-01", "to": "2026-12-31"}


async def test_the_api_gives_score_rank_and_deductions(bench: Bench) -> None:
    await import_example_county(bench.rt)
    dec = await play_december(bench.rt, bench.clock)
    url = f"{bench.base_url}/api/stats"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, params=DECEMBER, headers=AUTH) as r,
    ):
        assert r.status == 200
        body = await r.json()
    units = {row["key"]: row for row in body["units"]}
    transport, health = units["transport"], units["health"]
    # The existing figures are still there.
    assert transport["due"] == 2 and transport["late_feedbacks"] == 2 and transport["talks"] == 1
    assert units["edu"]["reopenings"] == 1 and units["edu"]["returns"] == 1
    assert transport["score"] == 68.0 and health["score"] == 98.5 and units["edu"]["score"] == 94.5
    idle = sum(1 for row in body["units"] if row["score"] == 100)
    assert (health["rank"], units["edu"]["rank"], transport["rank"]) == (
        idle + 1,
        idle + 2,
        idle + 3,
    )
    t1_ref, t1_code = dec.t1
    assert transport["deductions"][2] == {
        "kind": "day_late",
        "item": t1_ref,
        "code": t1_code,
        "on": "2026-12-11",
        "days_late": 25,
        "points": -12.5,
        "capped": False,
    }
    assert [d["kind"] for d in transport["deductions"]] == [
        "late_feedback",
        "late_feedback",
        "day_late",
        "day_late",
        "talk",
        "criticism",
        "referral",
    ]
    assert transport["deductions"][3]["capped"] is True
    assert health["deductions"][-1] == {
        "kind": "praise",
        "item": None,
        "code": None,
        "on": "2026-12-18",
        "days_late": None,
        "points": 2.0,
        "capped": False,
    }
    chen = next(row for row in body["leaders"] if row["key"] == "chen")
    assert chen["score"] == 68.0 and chen["rank"] >= 1 and len(chen["deductions"]) == 7
    assert "score" not in body["total"]


async def test_the_console_and_the_chat_show_the_scores(bench: Bench) -> None:
    await import_example_county(bench.rt)
    dec = await play_december(bench.rt, bench.clock)
    users = await join(bench, ["qian", "wang"])
    http = await signed_in(bench, users["qian"])
    async with http:
        status, text = await page(http, f"{bench.base_url}/console/stats", params=DECEMBER)
    assert status == 200
    text = html.unescape(text)
    assert "<th>得分</th><th>排名</th>" in text
    assert '<td class="score">68</td>' in text and '<td class="score">98.5</td>' in text
    detail = text[text.index('id="score-transport"') :]
    detail = detail[: detail.index("</details>")]
    t1_ref, t1_code = dec.t1
    t2_ref, t2_code = dec.t2
    assert "县交通运输局: 68 (基础分 100)" in detail
    assert f'<a href="/console/items/{t1_ref}">{t1_code}</a>' in detail
    assert f'<a href="/console/items/{t2_ref}">{t2_code}</a>' in detail
    assert "<td>逾期天数</td>" in detail and "<td>25</td>" in detail
    assert "-7.5 (已达上限)" in detail
    for name, points in (("约谈", "-2"), ("通报批评", "-3"), ("问责建议", "-5")):
        assert f"<td>{name}</td>" in detail and f"<td>{points}</td>" in detail
    health = text[text.index('id="score-health"') :]
    assert "<td>通报表扬</td>" in health[: health.index("</details>")]

    qian = users["qian"]
    await qian.send_text("/stats 2026-12-01 2026-12-31")
    answer = await qian.wait_message(lambda m: "督办统计" in m.plain_text, timeout=10)
    lines = answer.plain_text.splitlines()
    top = next(line for line in lines if line.startswith("🏅 得分最高："))
    assert "1. " in top and "100分" in top
    bottom = next(line for line in lines if line.startswith("得分最低："))
    assert "县卫生健康局 98.5分" in bottom and "县教育局 94.5分" in bottom
    assert bottom.endswith("县交通运输局 68分")
    # 王副县长 sees his own three units, all of them.
    wang = users["wang"]
    await wang.send_text("/stats 2026-12-01 2026-12-31")
    own = await wang.wait_message(lambda m: "督办统计" in m.plain_text, timeout=10)
    scores = next(line for line in own.plain_text.splitlines() if line.startswith("🏅 考核得分："))
    assert "县民政局 100分" in scores and "县卫生健康局 98.5分" in scores
    assert scores.endswith("县教育局 94.5分") and "县交通运输局" not in scores
