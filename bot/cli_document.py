"""``duban document REF KIND [-o FILE]``: write the official document (公文) of an item that its
act issued (the dispatch sheet of its dispatch, the talk notice of its talk, ...), or, when none
was issued yet, issue one now — numbered in its kind's yearly sequence, stored, on the item's
timeline — and write its .docx."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType
from typing import Any

from domain.documents import KIND_NAMES, DocumentKind


def cmd_document(args: argparse.Namespace) -> None:
    from domain.errors import DubanError
    from services.documents.access import document_for_item

    cli = args.cli
    fail, run_async = cli.fail, cli.run_async
    settings = cli.load_settings()
    kind = DocumentKind(args.kind)
    target = Path(args.output) if args.output else None
    if target is not None and not target.parent.exists():
        fail(f"{target.parent}: no such directory")

    async def main() -> None:
        async with cli.runtime(settings) as rt:
            try:
                info, data, new = await document_for_item(rt, args.ref, kind)
            except DubanError as exc:
                fail(str(exc))
        path = target or Path(info.name)
        path.write_bytes(data)
        issued = "issued now" if new else f"issued {info.created_at:%Y-%m-%d}"
        print(f"{path}: {KIND_NAMES[kind]} {info.number} ({issued}, sha256 {info.sha256})")

    run_async(main)


def add_document_parser(sub: Any, cli: ModuleType) -> None:
    kinds = ", ".join(f"{kind.value} ({name})" for kind, name in KIND_NAMES.items())
    document = sub.add_parser(
        "document",
        help="write an official document (公文) of an item as .docx",
        description="Write the official document of the item REF in the layout of "
        "GB/T 9704-2012: the one its act issued (the latest of its kind), or, when none was, "
        "one issued now: it takes the next number of its kind's yearly sequence, is stored with "
        f"its SHA-256 and goes on the item's timeline. KIND: {kinds}.",
    )
    document.add_argument("ref", metavar="REF", help="the item's ref (2026-17) or code")
    document.add_argument(
        "kind", metavar="KIND", choices=[kind.value for kind in DocumentKind], help=kinds
    )
    document.add_argument(
        "-o", "--output", metavar="FILE", help="where to write the .docx (default: its name)"
    )
    document.set_defaults(func=cmd_document, cli=cli)
