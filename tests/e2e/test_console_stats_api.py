"""GET /api/stats and `duban export`, as other systems and operators use them."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from openpyxl import load_workbook

from tests.conftest import EXAMPLES, Bench, import_example_county
from tests.e2e.test_cli import duban
from tests.services.console_scenario import build

AUTH = {"Authorization": "Bearer test-api-token"}


async def test_stats_api_answers_the_period_and_refuses_bad_dates(bench: Bench) -> None:
    await import_example_county(bench.rt)
    await build(bench.rt)
    async with aiohttp.ClientSession() as http:
        url = f"{bench.base_url}/api/stats"
        async with http.get(url, params={"from": "2026-11-01", "to": "2026-11-30"}) as r:
            assert r.status == 401
        async with http.get(
            url, params={"from": "2026-11-01", "to": "2026-11-30"}, headers=AUTH
        ) as r:
            assert r.status == 200
            body = await r.json()
        assert body["from"] == "2026-11-01" and body["to"] == "2026-11-30"
        edu = next(u for u in body["units"] if u["key"] == "edu")
        assert edu["items"] == 2 and edu["due"] == 2 and edu["closed_on_time"] == 1
        assert edu["on_time_rate"] == 0.5 and edu["mean_hours_to_acknowledge"] == 2.0
        assert edu["returns"] == 1
        transport = next(u for u in body["units"] if u["key"] == "transport")
        assert transport["escalations"] == {"1": 1}
        assert body["total"]["items"] == 4
        assert {row["key"] for row in body["leaders"]} >= {"zhao", "wang", "chen", "liu"}
        for params in (
            {"from": "2026-13-01"},
            {"from": "yesterday"},
            {"from": "2026-11-30", "to": "2026-11-01"},
        ):
            async with http.get(url, params=params, headers=AUTH) as r:
                assert r.status == 422
                problem = await r.json()
                assert problem["error"] == "invalid period" and problem["detail"]
        async with http.get(url, headers=AUTH) as r:  # default: this year so far
            assert r.status == 200
            assert (await r.json())["from"] == "2026-01-01"


def test_export_command_writes_the_workbook(tmp_path: Path) -> None:
    env = {"DUBAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'duban.db'}"}
    assert duban("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    imported = duban("roster", "import", str(EXAMPLES / "roster.yaml"), cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    result = duban("export", "ledger.xlsx", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "0 items in 0 rows" in result.stdout
    book = load_workbook(tmp_path / "ledger.xlsx")
    assert book.sheetnames == ["台账", "统计", "考核得分", "扣分明细"]
    assert book["统计"].max_row == 3 + 8 + 1  # title, blank, header, 8 units, total
    bad = duban("export", "ledger.csv", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "must end in .xlsx" in bad.stderr
    assert duban("export", "--help", cwd=tmp_path).returncode == 0
