"""Batch registration from Excel (all or nothing) and per-year codes under concurrency."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from domain.deadlines import local_date
from domain.item_import import ItemImportError, parse_items
from domain.vocabulary import ItemStatus, Source, TimeClass
from services.item_import import import_items
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from storage.models import Item
from tests.conftest import EXAMPLES, SHANGHAI

API = Origin(None, via_api=True)
ROOT = Path(__file__).resolve().parents[2]


def rows_of(rt: Runtime, path: Path) -> list:  # type: ignore[type-arg]
    return parse_items(path, today=local_date(rt.clock.now(), rt.tz), tz=rt.tz)


def workbook(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def count_items(rt: Runtime) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Item)) or 0)


async def test_example_list_imports(county: Runtime) -> None:
    views = await import_items(
        county, API, rows_of(county, EXAMPLES / "items.xlsx"), file="items.xlsx"
    )
    assert [v.ref for v in views] == ["2026-1", "2026-2", "2026-3", "2026-4"]
    parking = views[1]
    assert parking.lead is not None and parking.lead.unit_key == "housing"
    assert [a.unit_key for a in parking.co_units] == ["transport", "resources"]
    assert parking.status is ItemStatus.DRAFT
    moved_in = views[2]  # dispatched on 8 October: a running ledger moving in
    assert moved_in.status is ItemStatus.DISPATCHED
    assert moved_in.dispatched_at == datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    assert moved_in.acknowledge_by is not None
    assert local_date(moved_in.acknowledge_by, SHANGHAI) == date(2026, 10, 9)
    assert views[3].due == date(2026, 12, 31)


async def test_import_and_dispatch(county: Runtime) -> None:
    views = await import_items(
        county, API, rows_of(county, EXAMPLES / "items.xlsx"), file="items.xlsx", dispatch=True
    )
    assert all(v.status is ItemStatus.DISPATCHED for v in views)
    assert views[0].dispatched_at == county.clock.now()


async def test_bad_rows_are_named_and_nothing_is_parsed(county: Runtime, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "bad.xlsx",
        ["title", "source", "class", "lead_unit", "due"],
        [
            ["好的一行", "会议议定事项", "一般事项", "edu", None],
            ["", "会议议定事项", "不存在的类别", "edu", "明天"],
        ],
    )
    with pytest.raises(ItemImportError) as failed:
        rows_of(county, path)
    problems = {(p.row, p.field) for p in failed.value.problems}
    assert problems == {(3, "title"), (3, "class"), (3, "due")}
    assert "bad.xlsx: row 3, field class: unknown class '不存在的类别'" in str(failed.value)


async def test_unknown_unit_imports_nothing(county: Runtime, tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "list.xlsx",
        ["标题", "来源", "类别", "牵头单位", "配合单位", "交办时间"],
        [
            ["第一项", "上级交办", "一般事项", "edu", "health", "2026-10-08 09:00"],
            ["第二项", "上级交办", "重大复杂事项", "县教育局", "县不存在局", None],
            ["第三项", "上级交办", "一般事项", "transport", None, None],
        ],
    )
    rows = rows_of(county, path)
    assert len(rows) == 3
    with pytest.raises(ItemImportError) as failed:
        await import_items(county, API, rows, file="list.xlsx", dispatch=True)
    [problem] = failed.value.problems
    assert (problem.file, problem.row, problem.field) == ("list.xlsx", 3, "co_units")
    assert "县不存在局" in problem.message
    assert await count_items(county) == 0
    # The rolled-back transaction used no numbers.
    view = await register_item(
        county, API, ItemDraft("之后", "", Source.OTHER, TimeClass.GENERAL, "edu")
    )
    assert view.ref == "2026-1"


async def test_thirty_concurrent_registrations_get_codes_one_to_thirty(county: Runtime) -> None:
    async def one(n: int) -> str:
        draft = ItemDraft(f"并发事项{n}", "", Source.OTHER, TimeClass.GENERAL, "edu")
        return (await register_item(county, API, draft, dispatch=n % 2 == 0)).ref

    refs = await asyncio.gather(*(one(n) for n in range(30)))
    seqs = sorted(int(ref.split("-")[1]) for ref in refs)
    assert seqs == list(range(1, 31))
    async with county.db.session() as session:
        codes = list(await session.scalars(select(Item.code)))
    assert sorted(codes) == sorted(f"督〔2026〕{n}号" for n in range(1, 31))


def test_cli_items_import(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env["PYTHONPATH"] = str(ROOT)
    env["DUBAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'duban.db'}"

    def duban(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert duban("items", "import", "--help").stdout.startswith("usage: duban items import")
    assert duban("db", "upgrade").returncode == 0
    assert duban("roster", "import", str(EXAMPLES / "roster.yaml")).returncode == 0
    bad = workbook(
        tmp_path / "bad.xlsx",
        ["title", "source", "class", "lead_unit"],
        [["一项", "其他", "一般事项", "nowhere"]],
    )
    failed = duban("items", "import", str(bad))
    assert failed.returncode == 1
    assert "bad.xlsx: row 2, field lead_unit: Unknown unit: nowhere" in failed.stderr
    assert "nothing was imported" in failed.stderr
    done = duban("items", "import", str(EXAMPLES / "items.xlsx"), "--by", "wuting")
    assert done.returncode == 0, done.stderr
    assert "items.xlsx: 4 items; registering" in done.stdout
    assert "4 items registered, 1 dispatched, 3 drafts" in done.stdout
