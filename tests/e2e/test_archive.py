"""Archiving (立卷归档) in chat and through the API, and ``duban export --archive`` as a user runs
it: the office files a closed item from the follow-up question, the item is read-only after,
and the command's bad input is one clear line."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import Bench, import_example_county
from tests.e2e.test_cli import duban
from tests.e2e.test_lifecycle_api import complete
from tests.e2e.test_whole_loop import api, has, join_people


async def test_the_office_archives_in_chat_then_the_item_is_read_only(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, ["qian", "lina", "zhangjun"], 51_000)
    qian, lina = users["qian"], users["lina"]
    status, item = await api(
        bench,
        "POST",
        "/api/items",
        {
            "title": "整治农村人居环境",
            "source": "decision",
            "class": "general",
            "lead_unit": "edu",
            "dispatch": True,
        },
    )
    assert status == 201, item
    ref = item["ref"]
    status, body = await api(bench, "POST", f"/api/items/{ref}/archive")
    assert status == 409, body  # not closed yet

    await complete(bench.rt, ref)
    completion = await qian.wait_message(has("办结报告", "已核签"), timeout=10)
    await qian.press(completion, "✅ 销号")
    question = await qian.wait_message(has("是否安排回头看"), timeout=10)
    await qian.press(question, "不回头看")
    offer = await qian.wait_message(has("不安排回头看", "立卷归档"), timeout=10)
    assert offer.button_texts == ["📁 立卷归档"]

    # A unit contact cannot archive, even with the office's button data.
    notice = await lina.wait_message(has("交办"), timeout=10)
    await lina.press_data(notice, f"arc:{ref}")
    refused = await lina.wait_callback_answer()
    assert refused.text and "督查室" in refused.text, refused.text

    await qian.press(offer, "📁 立卷归档")
    done = await qian.wait_message(has("已立卷归档"), timeout=10)
    assert item["code"] in done.plain_text and f"/item {ref}" in done.plain_text
    status, body = await api(bench, "GET", f"/api/items/{ref}")
    assert status == 200 and body["status"] == "archived" and body["archived_at"]
    assert body["timeline"][-1]["kind"] == "archived"
    assert body["timeline"][-1]["data"]["via"] == "chat"

    # Read-only: the API's decisions and the unit's report are refused, plainly.
    for action, payload in (
        ("archive", None),
        ("extend", {"due": "2027-03-01", "reason": "统筹"}),
        ("reopen", {"due": "2027-03-01", "reason": "反弹"}),
        ("withdraw", {"reason": "撤销"}),
        ("close", {}),
    ):
        status, body = await api(bench, "POST", f"/api/items/{ref}/{action}", payload)
        assert status == 409 and "归档" in body["error"], (action, body)
    await lina.send_text(f"/report {ref}")
    answer = await lina.wait_message(has("归档"), timeout=10)
    assert "只能查看" in answer.plain_text
    # Off the working lists, still found by its status.
    await qian.send_text("/items")
    # (the deputy leader never joined: the office may be handed their copy of the dispatch)
    listing = await qian.wait_message(lambda m: not m.plain_text.startswith("↪️"), timeout=10)
    assert "整治农村人居环境" not in listing.plain_text
    status, body = await api(bench, "GET", "/api/items?status=archived")
    assert [i["ref"] for i in body["items"]] == [ref]


async def test_archiving_through_the_api(bench: Bench) -> None:
    await import_example_county(bench.rt)
    status, item = await api(
        bench,
        "POST",
        "/api/items",
        {
            "title": "推进校园安全隐患排查整治",
            "source": "meeting",
            "class": "general",
            "lead_unit": "edu",
            "dispatch": True,
        },
    )
    ref = item["ref"]
    status, body = await api(bench, "POST", f"/api/items/{ref}/withdraw", {})
    assert status == 422, body  # a reason is required
    status, body = await api(
        bench, "POST", f"/api/items/{ref}/withdraw", {"reason": "已并入县级统一部署"}
    )
    assert status == 200 and body["status"] == "withdrawn", body
    status, body = await api(bench, "POST", f"/api/items/{ref}/archive", {"note": "x"})
    assert status == 422, body  # no body fields are taken
    status, body = await api(bench, "POST", f"/api/items/{ref}/archive")
    assert status == 200 and body["status"] == "archived", body
    kinds = [e["kind"] for e in body["timeline"] if e["kind"] in ("withdrawn", "archived")]
    assert kinds == ["withdrawn", "archived"]


def test_export_archive_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    migrated = duban("db", "upgrade", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    help_text = duban("export", "--help", cwd=tmp_path)
    assert help_text.returncode == 0 and "--archive YEAR" in help_text.stdout
    assert "the day the office archived the item" in " ".join(help_text.stdout.split())

    bad_year = duban("export", "--archive", "26", cwd=tmp_path)
    assert bad_year.returncode == 2
    assert bad_year.stderr.strip().splitlines() == [
        "duban: bad year '26': give four digits, e.g. --archive 2026"
    ]
    future = duban("export", "--archive", "2999", "-o", "a.zip", cwd=tmp_path)
    assert future.returncode == 1 and "No archive for 2999" in future.stderr
    assert not (tmp_path / "a.zip").exists()
    wrong_suffix = duban("export", "--archive", "2026", "-o", "a.xlsx", cwd=tmp_path)
    assert wrong_suffix.returncode == 2 and "must end in .zip" in wrong_suffix.stderr
    missing_dir = duban("export", "--archive", "2026", "-o", "no/such/a.zip", cwd=tmp_path)
    assert missing_dir.returncode == 1 and "no/such: no such directory" in missing_dir.stderr
    (tmp_path / "taken.zip").mkdir()  # a directory where the file should go
    unwritable = duban("export", "--archive", "2026", "-o", "taken.zip", cwd=tmp_path)
    assert unwritable.returncode == 1, unwritable.stdout
    assert "taken.zip not written: Is a directory" in unwritable.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["duban.db", "taken.zip"]
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        denied = duban("export", "--archive", "2026", "-o", "locked/a.zip", cwd=tmp_path)
        assert denied.returncode == 1 and "cannot write there" in denied.stderr

    empty = duban("export", "--archive", "2026", cwd=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert "0 items archived in 2026" in empty.stdout and "0 items archived in 2026" in empty.stderr
    assert (tmp_path / "archive-2026.zip").is_file()
