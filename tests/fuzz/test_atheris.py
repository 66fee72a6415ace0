"""A short coverage-guided run of each atheris harness (``tests/fuzz/atheris_harness.py``).

Each target runs in its own process for ``DUBAN_ATHERIS_RUNS`` inputs (default 2000) or
``DUBAN_ATHERIS_SECONDS`` (default 20), whichever comes first, starting from its seeds. A
crash fails the test with libFuzzer's report; the input is written under the test's tmp
directory. Inputs that once crashed are kept in ``tests/fuzz/regressions`` and checked
without atheris too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.item_import import ItemImportError, parse_items_bytes

ROOT = Path(__file__).resolve().parents[2]
REGRESSIONS = Path(__file__).resolve().parent / "regressions"
TARGETS = [
    "chat_dates",
    "callback_data",
    "receipt_codes",
    "roster_files",
    "item_lists",
    "policy_files",
    "api_bodies",
]
RUNS = int(os.environ.get("DUBAN_ATHERIS_RUNS", "2000"))
SECONDS = int(os.environ.get("DUBAN_ATHERIS_SECONDS", "20"))


@pytest.mark.parametrize("target", TARGETS)
def test_atheris_target(target: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    command = [
        sys.executable,
        "-m",
        "tests.fuzz.atheris_harness",
        target,
        f"-runs={RUNS}",
        f"-max_total_time={SECONDS}",
        f"-artifact_prefix={tmp_path}/",
        "-print_final_stats=1",
    ]
    # No corpus directory given: the harness starts from its seeds.
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 120, check=False
    )
    report = done.stderr[-4000:]
    assert done.returncode == 0, report
    assert "Done " in report and "stat::number_of_executed_units" in report, report


def test_a_workbook_without_sheets_is_an_import_error() -> None:
    """Found by atheris: ``worksheets[0]`` raised IndexError (a 500 on the console)."""
    data = (REGRESSIONS / "item_lists-workbook-without-sheets.xlsx").read_bytes()
    with pytest.raises(ItemImportError) as refused:
        parse_items_bytes(data, "items.xlsx", today=date(2026, 11, 23), tz=ZoneInfo("UTC"))
    assert refused.value.problems


def test_the_harness_names_these_targets() -> None:
    pytest.importorskip("atheris")
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_harness"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    for target in TARGETS:
        assert target in done.stderr
