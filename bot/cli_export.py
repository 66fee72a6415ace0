"""``duban export FILE.xlsx``: the ledger and this year's statistics as an Excel workbook."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any


def cmd_export(args: argparse.Namespace) -> None:
    from domain.assessment import Period, year_to_date
    from services.export import export_file

    # The CLI module as it runs (``__main__`` under ``python -m bot.cli``): its CliError.
    cli = args.cli
    fail, run_async = cli.fail, cli.run_async
    settings = cli.load_settings()
    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        fail(f"{path}: the file name must end in .xlsx", 2)
    if not path.parent.exists():
        fail(f"{path.parent}: no such directory")

    async def main() -> None:
        async with cli.runtime(settings) as rt:
            today = rt.clock.now().astimezone(rt.tz).date()
            default = year_to_date(today)
            try:
                start = date.fromisoformat(args.start) if args.start else default.start
                end = date.fromisoformat(args.end) if args.end else default.end
            except ValueError as exc:
                fail(f"bad date: {exc}", 2)
            if end < start:
                fail("--from is after --to", 2)
            summary = await export_file(rt, path, period=Period(start, end))
        print(
            f"{path}: {summary.items} items in {summary.rows} rows (one per item and unit); "
            f"statistics {summary.period.start} to {summary.period.end}"
        )

    run_async(main)


def add_export_parser(sub: Any, cli: ModuleType) -> None:
    export = sub.add_parser(
        "export",
        help="write the ledger (台账) as an Excel file",
        description="Write the ledger as an Excel workbook: one row per item and unit, lights "
        "as cell colours, and a statistics sheet per unit (this year so far unless --from/--to).",
    )
    export.add_argument("file", help="FILE.xlsx to write (replaced if it exists)")
    export.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="statistics from")
    export.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="statistics to")
    export.set_defaults(func=cmd_export, cli=cli)
