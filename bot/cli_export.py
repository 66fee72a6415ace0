"""``duban export FILE.xlsx``: the ledger and this year's statistics as an Excel workbook;
``duban export --archive YEAR [-o FILE.zip]``: that year's archive (立卷归档) as one zip."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn


def _target(args: argparse.Namespace, suffix: str, default: str | None) -> Path:
    """The file to write: the FILE argument or -o, which must end in ``suffix`` and sit in a
    directory that exists and can be written to."""
    fail: Callable[[str, int], NoReturn] = args.cli.fail
    if args.file and args.output and args.file != args.output:
        fail(f"two files given ({args.file} and -o {args.output}): give one", 2)
    name: str | None = args.file or args.output or default
    if name is None:
        fail(f"give the file to write (FILE{suffix})", 2)
    path = Path(name)
    if path.suffix.lower() != suffix:
        fail(f"{path}: the file name must end in {suffix}", 2)
    directory = path.parent
    if not directory.is_dir():
        fail(f"{directory}: no such directory", 1)
    if not os.access(directory, os.W_OK | os.X_OK) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        fail(f"{path}: cannot write there (permission denied)", 1)
    return path


def cmd_export(args: argparse.Namespace) -> None:
    if args.archive is not None:
        cmd_export_archive(args)
        return
    from domain.assessment import Period, year_to_date
    from services.export import export_file

    # The CLI module as it runs (``__main__`` under ``python -m bot.cli``): its CliError.
    cli = args.cli
    fail, run_async = cli.fail, cli.run_async
    settings = cli.load_settings()
    path = _target(args, ".xlsx", None)

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


def cmd_export_archive(args: argparse.Namespace) -> None:
    from domain.errors import DubanError
    from services.archive_export import write_archive

    cli = args.cli
    if args.start or args.end:
        cli.fail("--from and --to are for the ledger's statistics, not for --archive", 2)
    text = args.archive.strip()
    if not (text.isdigit() and len(text) == 4):
        cli.fail(f"bad year {args.archive!r}: give four digits, e.g. --archive 2026", 2)
    year = int(text)
    settings = cli.load_settings()
    path = _target(args, ".zip", f"archive-{year}.zip")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    async def main() -> None:
        async with cli.runtime(settings) as rt:
            try:
                summary = await write_archive(rt, year, path, progress)
            except DubanError as exc:
                cli.fail(f"{path} not written: {exc}")
            except OSError as exc:
                cli.fail(f"{path} not written: {exc.strerror or exc}: {exc.filename or path}")
        print(
            f"{path}: {summary.items} items archived in {year}, {summary.files} files "
            f"({summary.bytes} bytes), ledger and manifest"
        )

    cli.run_async(main)


def add_export_parser(sub: Any, cli: ModuleType) -> None:
    export = sub.add_parser(
        "export",
        help="write the ledger (台账) as an Excel file, or a year's archive as a zip",
        description="Write the ledger as an Excel workbook: one row per item and unit, lights "
        "as cell colours, and a statistics sheet per unit (this year so far unless --from/--to). "
        "With --archive YEAR, write the items archived (立卷归档) in that year into one zip "
        "instead: the ledger rows (ledger.xlsx, ledger.json with timelines and reports), every "
        "stored file of those items under files/<ref>/, and manifest.json plus MANIFEST.sha256 "
        "with each file's SHA-256, size, item and report. The date that decides the year is the "
        "day the office archived the item, in the deployment's time zone (DUBAN_TIMEZONE). "
        "Progress goes to stderr.",
    )
    export.add_argument(
        "file", nargs="?", help="FILE.xlsx (or FILE.zip with --archive) to write, replaced"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="the file to write (as FILE)")
    export.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="statistics from")
    export.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="statistics to")
    export.add_argument(
        "--archive",
        metavar="YEAR",
        help="the archive of the items archived in YEAR (default file archive-YEAR.zip)",
    )
    export.set_defaults(func=cmd_export, cli=cli)
