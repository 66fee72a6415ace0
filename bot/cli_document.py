"""``duban document REF KIND [-o FILE]``: write the official document (公文) of an item that its
act issued (the dispatch sheet of its dispatch, the talk notice of its talk, ...), or, when none
was issued yet, issue one now — numbered in its kind's yearly sequence, stored, on the item's
timeline — and write its .docx; ``duban document --report YYYY-MM [-o FILE]``: issue the month's
supervision report (督查专报)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType
from typing import Any

from domain.documents import ITEM_KINDS, KIND_NAMES, DocumentKind
from domain.monthly_report import parse_month


def _what(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, or None."""
    if args.report is not None:
        if args.ref is not None or args.kind is not None:
            return "--report: give either REF KIND or --report YYYY-MM, not both"
        if parse_month(args.report) is None:
            return f"--report: {args.report!r} is not a month; write it as YYYY-MM (2026-11)"
        return None
    if args.ref is None or args.kind is None:
        return "give REF KIND (an item's document) or --report YYYY-MM (the monthly report)"
    return None


def cmd_document(args: argparse.Namespace) -> None:
    from domain.errors import DubanError
    from services.documents.access import document_for_item
    from services.documents.report import report_now

    cli = args.cli
    fail, run_async = cli.fail, cli.run_async
    problem = _what(args)
    if problem is not None:
        args.parser.error(problem)
    settings = cli.load_settings()
    target = Path(args.output) if args.output else None
    if target is not None and not target.parent.exists():
        fail(f"{target.parent}: no such directory")
    month = parse_month(args.report) if args.report is not None else None

    async def main() -> None:
        async with cli.runtime(settings) as rt:
            try:
                if month is not None:
                    today = rt.clock.now().astimezone(rt.tz).date()
                    if month.start > today:
                        fail(f"--report: {args.report} has not begun")
                    info, data = await report_now(rt, month)
                    new = True
                else:
                    kind = DocumentKind(args.kind)
                    info, data, new = await document_for_item(rt, args.ref, kind)
            except DubanError as exc:
                fail(str(exc))
        path = target or Path(info.name)
        path.write_bytes(data)
        issued = "issued now" if new else f"issued {info.created_at:%Y-%m-%d}"
        name = KIND_NAMES[DocumentKind(info.kind)]
        print(f"{path}: {name} {info.number} ({issued}, sha256 {info.sha256})")

    run_async(main)


def add_document_parser(sub: Any, cli: ModuleType) -> None:
    kinds = ", ".join(f"{kind.value} ({KIND_NAMES[kind]})" for kind in ITEM_KINDS)
    document = sub.add_parser(
        "document",
        help="write an official document (公文) of an item, or the monthly report, as .docx",
        usage="duban document REF KIND [-o FILE]\n       duban document --report YYYY-MM [-o FILE]",
        description="Write the official document of the item REF in the layout of "
        "GB/T 9704-2012: the one its act issued (the latest of its kind), or, when none was, "
        "one issued now: it takes the next number of its kind's yearly sequence, is stored with "
        f"its SHA-256 and goes on the item's timeline. KIND: {kinds}. With --report YYYY-MM, "
        "issue the supervision report (督查专报) on that month instead: its figures by unit "
        "and by leader, the on-time-rate chart, the overdue items and what was done about "
        "them, the items made formal inspection items (a month not over yet: so far).",
    )
    document.add_argument("ref", metavar="REF", nargs="?", help="the item's ref (2026-17) or code")
    document.add_argument(
        "kind", metavar="KIND", nargs="?", choices=[kind.value for kind in ITEM_KINDS], help=kinds
    )
    document.add_argument(
        "--report",
        metavar="YYYY-MM",
        help="issue the month's supervision report (督查专报) instead of an item's document",
    )
    document.add_argument(
        "-o", "--output", metavar="FILE", help="where to write the .docx (default: its name)"
    )
    document.set_defaults(func=cmd_document, cli=cli, parser=document)
