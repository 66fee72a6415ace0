"""``duban items import FILE.xlsx``: batch registration from a list of items (督办事项清单)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.cli_table import Command, add_group, option
from domain.errors import DubanError


def cmd_items_import(args: argparse.Namespace, cli: ModuleType) -> None:
    from sqlalchemy import select

    from domain.deadlines import local_date
    from domain.item_import import parse_items
    from services.actors import load_actor
    from services.item_import import import_items
    from services.items import Origin
    from storage.models import Person

    fail, runtime = cli.fail, cli.runtime
    settings = cli.load_settings()
    path = Path(args.file)
    if not path.exists():
        fail(f"{path}: no such file")

    async def main() -> None:
        async with runtime(settings) as rt:
            try:
                rows = parse_items(path, today=local_date(rt.clock.now(), rt.tz), tz=rt.tz)
            except DubanError as exc:
                fail(str(exc))
            origin = Origin(None, via_api=True)
            if args.by:
                async with rt.db.session() as session:
                    person = await session.scalar(select(Person).where(Person.key == args.by))
                    if person is None:
                        fail(f"--by {args.by}: no such person on the roster")
                    origin = Origin(await load_actor(session, person))
            print(f"{path}: {len(rows)} items; registering…", flush=True)

            def progress(done: int, total: int) -> None:
                if done == total or done % 10 == 0:
                    print(f"  checked {done}/{total}", flush=True)

            try:
                views = await import_items(
                    rt,
                    origin,
                    rows,
                    file=path.name,
                    dispatch=args.dispatch,
                    confirm_load=args.confirm_load,
                    progress=progress,
                )
            except DubanError as exc:
                print(str(exc), file=sys.stderr)
                fail("nothing was imported")
        for view in views:
            print(f"{view.ref}\t{view.code}\t{view.status}\t{view.title}")
        sent = sum(1 for v in views if v.dispatched_at is not None)
        print(f"{len(views)} items registered, {sent} dispatched, {len(views) - sent} drafts")

    cli.run_async(main)


def add_items_parser(sub: Any, cli: ModuleType) -> None:
    """Add ``items import``; ``cli`` is the running CLI module (its helpers and its errors)."""
    add_group(sub, "items", "items (督办事项)", "Work with items.", (_import_command(cli),))


def _import_command(cli: ModuleType) -> Command:
    return Command(
        "import",
        "register a list of items from Excel",
        "Register every row of an Excel list of items (督办事项清单; template: "
        "examples/items.xlsx). Columns: title/标题, body/内容, source/来源, class/类别, "
        "lead_unit/牵头单位, co_units/配合单位, leader/责任领导, due/办结时限, "
        "dispatched_at/交办时间. All or nothing: a file with any problem registers nothing and "
        "names each row and field. Rows with dispatched_at were sent earlier and are imported "
        "as dispatched then (deadlines count from that moment).",
        lambda args: cmd_items_import(args, cli),
        (
            option("file", help="the list, an .xlsx workbook (first sheet)"),
            option(
                "--dispatch",
                action="store_true",
                help="dispatch the other rows now, bypassing approval (default: register as "
                "drafts)",
            ),
            option(
                "--confirm-load",
                action="store_true",
                help="dispatch even when load control warns (a unit with many or similar open "
                "items)",
            ),
            option("--by", metavar="KEY", help="the supervisor registering them (roster key)"),
        ),
    )
