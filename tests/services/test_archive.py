"""Archiving (立卷归档) and withdrawing (撤销督办): who may, when, what stays read-only, and that an
item which ends (closed, archived, withdrawn) cancels everything still queued for it."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain.clock import FakeClock
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.lifecycle import ItemArchived
from domain.vocabulary import ItemStatus, NotificationStatus, ReportKind
from services import archive, decisions, escalation, execution, follow_up, reports, talks
from services.archive_export import ArchiveFileChanged, write_archive
from services.items import Origin
from services.ledger import LedgerQuery, Scope, ledger_views
from services.outbox import claims
from services.outbox.queue import enqueue
from services.reports import EvidenceFile
from services.runtime import Runtime
from services.sweep import run_sweep
from services.views import find_item
from storage.models import Attachment, Document, Notification, TimelineEvent
from tests.conftest import SHANGHAI
from tests.e2e.test_lifecycle_api import actor
from tests.e2e.test_whole_loop import photo
from tests.services.test_sweep import new_item

API = Origin(None, via_api=True)


async def completed(rt: Runtime, title: str = "整治县城背街小巷环境卫生") -> str:
    """A dispatched item whose lead unit's completion, with a photo, is with the office."""
    ref = await new_item(rt, title)
    done = await reports.submit_report(
        rt,
        await actor(rt, "lina"),
        ref,
        ReportKind.COMPLETION,
        "已办结",
        [EvidenceFile(photo(hash(title) % 1000), "site.jpg", "image/jpeg")],
    )
    await decisions.confirm_completion(rt, await actor(rt, "zhangjun"), done.report_id)
    return ref


async def statuses(rt: Runtime, ref: str) -> list[tuple[str, NotificationStatus]]:
    """(kind, status) of the item's notifications, oldest first."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        rows = await session.execute(
            select(Notification.kind, Notification.status)
            .where(Notification.item_id == item.id)
            .order_by(Notification.id)
        )
        return [(kind, status) for kind, status in rows]


async def archived(rt: Runtime, title: str = "整治县城背街小巷环境卫生") -> str:
    ref = await completed(rt, title)
    await decisions.close_item(rt, API, ref)
    await archive.archive_item(rt, API, ref)
    return ref


# --- archiving: when, by whom ----------------------------------------------------------------


async def test_only_the_office_archives_and_only_a_closed_item(county: Runtime) -> None:
    rt = county
    ref = await completed(rt)
    with pytest.raises(Conflict):
        await archive.archive_item(rt, API, ref)  # not closed yet
    await decisions.close_item(rt, API, ref, follow_up_on=date(2027, 1, 15))
    with pytest.raises(archive.FollowUpPending):
        await archive.archive_item(rt, API, ref)  # the follow-up check is still ahead
    with pytest.raises(Forbidden):
        await archive.archive_item(rt, Origin(await actor(rt, "lina")), ref)
    await follow_up.follow_up_ok(rt, Origin(await actor(rt, "qian")), ref)
    view = await archive.archive_item(rt, Origin(await actor(rt, "qian")), ref)
    assert view.status is ItemStatus.ARCHIVED and view.archived_at == rt.clock.now()
    # its registration sheet is issued with it, numbered, and named on the timeline
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        sheets = list(
            await session.scalars(
                select(Document).where(Document.item_id == item.id, Document.kind == "register")
            )
        )
        filed = await session.scalar(
            select(TimelineEvent).where(
                TimelineEvent.item_id == item.id, TimelineEvent.kind == "archived"
            )
        )
    assert len(sheets) == 1 and sheets[0].number
    assert filed is not None and filed.data["number"] == sheets[0].number
    with pytest.raises(ItemArchived):
        await archive.archive_item(rt, API, ref)  # once


async def test_an_archived_item_refuses_every_write(county: Runtime) -> None:
    rt = county
    ref = await archived(rt)
    lina, wang = await actor(rt, "lina"), await actor(rt, "wang")
    writes = [
        reports.submit_report(rt, lina, ref, ReportKind.PROGRESS, "补充材料"),
        reports.submit_report(rt, lina, ref, ReportKind.EXTENSION, "申请延期至2027-03-01"),
        execution.instruct(rt, wang, ref, "务必巩固成效"),
        escalation.urge(rt, wang, ref),
        talks.order_talk(rt, Origin(await actor(rt, "chen")), ref),
        decisions.extend_item(rt, API, ref, date(2027, 3, 1), "统筹"),
        follow_up.reopen_item(rt, API, ref, date(2027, 3, 1), "回头看发现反弹"),
        follow_up.set_follow_up(rt, API, ref, date(2027, 3, 1)),
        decisions.return_completion(rt, API, ref, "材料不全"),
        decisions.close_item(rt, API, ref),
        archive.withdraw_item(rt, API, ref, "撤销"),
    ]
    for write in writes:
        with pytest.raises(ItemArchived) as refused:
            await write
        assert "归档" in rt.text("zh_CN")(refused.value.key)
    # Still there to read.
    card = await execution.item_card(rt, await actor(rt, "qian"), ref)
    assert card.item.status is ItemStatus.ARCHIVED and not card.may_archive
    assert not card.may_report and not card.may_decide


async def test_archived_items_leave_the_working_lists_but_stay_findable(county: Runtime) -> None:
    rt = county
    kept = await archived(rt, "整治农村人居环境")
    working = await new_item(rt, "推进校园安全隐患排查整治")
    everything = Scope.everything()
    default = [v.ref for v in await ledger_views(rt, everything, LedgerQuery())]
    assert working in default and kept not in default
    by_status = await ledger_views(rt, everything, LedgerQuery(status="archived"))
    assert [v.ref for v in by_status] == [kept]
    searched = await ledger_views(rt, everything, LedgerQuery(q="人居环境"))
    assert [v.ref for v in searched] == [kept]
    listed = await execution.list_items(rt, await actor(rt, "qian"))
    assert [v.ref for v in listed.items] == [working]


# --- nothing more is sent ------------------------------------------------------------------------


async def test_no_reminder_after_archiving(county: Runtime, clock: FakeClock) -> None:
    rt = county
    ref = await archived(rt)
    before = await statuses(rt, ref)
    for days in (1, 11, 20, 40):  # past the receipt, the due date and the whole ladder
        clock.set(datetime(2026, 11, 23, 9, tzinfo=SHANGHAI) + timedelta(days=days))
        await run_sweep(rt)
    assert await statuses(rt, ref) == before
    assert all(status is not NotificationStatus.PENDING for _, status in before)


async def test_closing_cancels_what_is_queued(county: Runtime) -> None:
    rt = county
    ref = await completed(rt)
    queued = await statuses(rt, ref)  # the dispatch notices, the completion to the office
    assert {kind for kind, _ in queued} >= {"dispatch", "completion"}
    assert all(status is NotificationStatus.PENDING for _, status in queued)
    await decisions.close_item(rt, API, ref, follow_up_on=date(2027, 1, 15))
    after = await statuses(rt, ref)
    assert after[: len(queued)] == [(kind, NotificationStatus.CANCELLED) for kind, _ in queued]
    # What the closing itself says (to the units, and the follow-up day's notice) still goes.
    assert {kind for kind, _ in after[len(queued) :]} == {"closed", "follow_up"}
    assert all(status is NotificationStatus.PENDING for _, status in after[len(queued) :])


async def test_archiving_cancels_what_is_queued(county: Runtime) -> None:
    rt = county
    ref = await completed(rt)
    await decisions.close_item(rt, API, ref)
    assert ("closed", NotificationStatus.PENDING) in await statuses(rt, ref)
    await archive.archive_item(rt, API, ref)
    after = await statuses(rt, ref)
    assert after and all(status is NotificationStatus.CANCELLED for _, status in after)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        # Something queued about it afterwards (a race) is dropped when the sender claims it.
        await enqueue(
            session,
            key="late-notice",
            person_id=(await actor(rt, "lina")).person_id,
            item_id=item.id,
            kind="closed",
            text="x",
            not_before=rt.clock.now(),
            created_at=rt.clock.now(),
        )
        await session.commit()
    assert await claims.claim(rt, limit=50, lease=timedelta(minutes=1)) == []
    assert (await statuses(rt, ref))[-1] == ("closed", NotificationStatus.CANCELLED)


async def test_withdrawing_cancels_what_is_queued_and_tells_the_units(
    county: Runtime, clock: FakeClock
) -> None:
    rt = county
    ref = await new_item(rt)
    clock.advance(timedelta(days=1))
    await run_sweep(rt)  # the receipt nobody confirmed is chased
    assert ("receipt_chase", NotificationStatus.PENDING) in await statuses(rt, ref)
    with pytest.raises(InvalidInput):
        await archive.withdraw_item(rt, API, ref, " ")  # a reason is required
    with pytest.raises(Forbidden):
        await archive.withdraw_item(rt, Origin(await actor(rt, "lina")), ref, "撤销")
    queued = await statuses(rt, ref)
    assert queued and all(status is NotificationStatus.PENDING for _, status in queued)
    view = await archive.withdraw_item(rt, API, ref, "上级已统一部署，本事项撤销")
    assert view.status is ItemStatus.WITHDRAWN
    after = await statuses(rt, ref)
    assert after[: len(queued)] == [(kind, NotificationStatus.CANCELLED) for kind, _ in queued]
    assert {kind for kind, _ in after[len(queued) :]} == {"withdrawn"}
    with pytest.raises(Conflict):
        await reports.submit_report(rt, await actor(rt, "lina"), ref, ReportKind.PROGRESS, "x")
    archived_view = await archive.archive_item(rt, API, ref)  # a withdrawn item is filed too
    assert archived_view.status is ItemStatus.ARCHIVED


# --- the year's archive as a zip -----------------------------------------------------------------


async def test_the_archive_zip_holds_that_years_items_their_files_and_hashes(
    county: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    rt = county
    first = await archived(rt, "整治农村人居环境")
    second = await archived(rt, "推进校园安全隐患排查整治")
    await decisions.close_item(rt, API, await completed(rt, "只销号未归档"))
    clock.set(datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI))  # 2026-12-31 16:30 UTC
    next_year = await archived(rt, "明年归档的事项")
    target = tmp_path / "archive-2026.zip"
    lines: list[str] = []
    summary = await write_archive(rt, 2026, target, lines.append)
    assert summary.items == 2 and summary.files == 2 and lines

    with zipfile.ZipFile(target) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        assert manifest["year"] == 2026 and manifest["items"] == [first, second]
        for entry in manifest["files"]:
            data = zipped.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["size"]
        evidence = [e for e in manifest["files"] if e["path"].startswith("files/")]
        assert sorted(e["item"] for e in evidence) == [first, second]
        assert all(e["report"] and e["kind"] == "photo" for e in evidence)
        assert names == {e["path"] for e in manifest["files"]} | {
            "manifest.json",
            "MANIFEST.sha256",
        }
        sums = zipped.read("MANIFEST.sha256").decode().splitlines()
        assert sorted(sums) == sorted(f"{e['sha256']}  {e['path']}" for e in manifest["files"])
        records = json.loads(zipped.read("ledger.json"))
        assert [r["ref"] for r in records] == [first, second]
        assert records[0]["timeline"][-1]["kind"] == "archived" and records[0]["reports"]
        (tmp_path / "ledger.xlsx").write_bytes(zipped.read("ledger.xlsx"))
    sheet = load_workbook(tmp_path / "ledger.xlsx").active
    assert sheet is not None
    refs = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert refs == [first, second]
    assert next_year not in refs

    # A stored file that changed since it came stops the export; nothing is written.
    async with rt.db.session() as session:
        path = (await session.scalars(select(Attachment.path).order_by(Attachment.id))).first()
    assert path is not None
    (rt.media_dir / path).write_bytes(b"tampered")
    with pytest.raises(ArchiveFileChanged):
        await write_archive(rt, 2026, tmp_path / "again.zip")
    assert not (tmp_path / "again.zip").exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".archive-")]
    with pytest.raises(InvalidInput):
        await write_archive(rt, 2030, tmp_path / "future.zip")
