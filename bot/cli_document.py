"""``duban document REF KIND [-o FILE]``: issue one official document (公文) of an item now —
numbered in its kind's yearly sequence, stored, on the item's timeline — and write its .docx."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType
from typing import Any

from domain.documents import KIND_NAMES, DocumentKind


def cmd_document(args: argparse.Namespace) -> None:
    from domain.errors import DubanError
    from services.documents.access import issue_for_item

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
                info, data = await issue_for_item(rt, args.ref, kind)
            except DubanError as exc:
                fail(str(exc))
        path = target or Path(info.name)
        path.write_bytes(data)
        print(f"{path}: {KIND_NAMES[kind]} {info.number} (sha256 {info.sha256})")

    run_async(main)


def add_document_parser(sub: Any, cli: ModuleType) -> None:
    kinds = ", ".join(f"{kind.value} ({name})" for kind, name in KIND_NAMES.items())
    document = sub.add_parser(
        "document",
        help="issue an official document (公文) of an item as .docx",
        description="Issue an official document of the item REF now, in the layout of "
        "GB/T 9704-2012: it takes the next number of its kind's yearly sequence, is stored with "
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
