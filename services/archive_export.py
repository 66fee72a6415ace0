"""A year's archive (立卷归档) as one zip: the ledger of the items archived that year, every file
kept for them, and a manifest of hashes.

The year is the year of ``archived_at`` in the deployment's time zone. The zip holds
``ledger.xlsx`` (the ledger's columns, one row per item and unit), ``ledger.json`` (each item as
the API shows it, with its whole timeline and its reports), the files under
``files/<ref>/…`` and two manifests: ``manifest.json`` (each file's path, SHA-256, size, item and
report or complaint) and ``MANIFEST.sha256`` (``sha256sum -c`` reads it). Each stored file is
checked against the hash recorded when it was received; a missing or changed file stops the
export, and the zip is written to a temporary file first, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import DubanError, InvalidInput
from domain.evidence import MediaNotFound
from domain.i18n import N_
from domain.views import ItemView
from domain.vocabulary import ItemStatus
from services.export import ledger_sheet
from services.ledger import item_reports
from services.media import media_path
from services.runtime import Runtime
from services.views import item_json, timeline, views_of
from storage.models import Attachment, Complaint, Item, Report
from texts import console as texts

Progress = Callable[[str], None]
CHUNK = 1 << 20
FIRST_YEAR = 2000


class ArchiveFileMissing(DubanError):
    key = N_("A stored file of {ref} is missing: {path}.")


class ArchiveFileChanged(DubanError):
    key = N_("A stored file of {ref} no longer matches the hash recorded when it came: {path}.")


@dataclass(frozen=True)
class StoredFile:
    """One file to put in the archive: where it is kept, where it goes, whose it is."""

    source: Path
    name: str  # its path inside the zip
    item: str  # the item's ref
    recorded_sha256: str
    mime_type: str
    kind: str
    report: int | None = None
    complaint: str | None = None


@dataclass
class ArchiveSummary:
    year: int
    items: int
    files: int
    bytes: int
    refs: list[str] = field(default_factory=list)


def check_year(year: int, today: date) -> None:
    """A year an archive can be asked for: not before the product, not after this year."""
    if not FIRST_YEAR <= year <= today.year:
        raise InvalidInput(
            N_("No archive for {year}: give a year from {first} to {last}."),
            year=year,
            first=FIRST_YEAR,
            last=today.year,
        )


def year_bounds(rt: Runtime, year: int) -> tuple[datetime, datetime]:
    """The year's first and the next year's first moment, local time."""
    return (
        datetime.combine(date(year, 1, 1), time(0), tzinfo=rt.tz),
        datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=rt.tz),
    )


async def archived_in(session: AsyncSession, rt: Runtime, year: int) -> list[Item]:
    """The items archived in ``year`` (local time), by code."""
    start, end = year_bounds(rt, year)
    return list(
        await session.scalars(
            select(Item)
            .where(
                Item.status == ItemStatus.ARCHIVED,
                Item.archived_at >= start,
                Item.archived_at < end,
            )
            .order_by(Item.year, Item.seq)
        )
    )


async def _files_of(rt: Runtime, session: AsyncSession, item: Item) -> list[StoredFile]:
    """The item's stored files: its reports' evidence, then its complaints' photos."""
    rows = await session.execute(
        select(Attachment, Report.id, Complaint.public_id)
        .outerjoin(Report, Report.id == Attachment.report_id)
        .outerjoin(Complaint, Complaint.id == Attachment.complaint_id)
        .where((Report.item_id == item.id) | (Complaint.item_id == item.id))
        .order_by(Attachment.id)
    )
    files = []
    for attachment, report_id, complaint_id in rows:
        try:
            source = media_path(rt, attachment.path)
        except MediaNotFound:
            raise ArchiveFileMissing(ref=item.ref, path=attachment.path) from None
        owner = f"report-{report_id}" if report_id is not None else f"complaint-{complaint_id}"
        files.append(
            StoredFile(
                source=source,
                name=f"files/{item.ref}/{owner}/{attachment.id}-{PurePosixPath(attachment.path).name}",
                item=item.ref,
                recorded_sha256=attachment.sha256,
                mime_type=attachment.mime_type,
                kind=attachment.kind,
                report=report_id,
                complaint=complaint_id,
            )
        )
    return files


async def _record(rt: Runtime, session: AsyncSession, view: ItemView) -> dict[str, Any]:
    """The item as the API shows it, with its whole timeline and its reports."""
    body = item_json(view, await timeline(session, view.id))
    body["archived_at"] = view.archived_at.isoformat() if view.archived_at else None
    body["reports"] = [
        {
            "id": report.id,
            "kind": report.kind,
            "status": report.status,
            "unit": report.unit_name,
            "author": report.author,
            "created_at": report.created_at.isoformat(),
            "text": report.text,
            "decision_reason": report.decision_reason,
            "files": [file.id for file in report.files],
        }
        for report in await item_reports(rt, view.id)
    ]
    return body


def _ledger_xlsx(rt: Runtime, views: list[ItemView]) -> bytes:
    from openpyxl import Workbook  # imported here: ~30 MB few processes need

    t = rt.text(None)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t.raw(texts.LEDGER_SHEET)
    ledger_sheet(sheet, t, views, rt.tz)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def write_archive(
    rt: Runtime, year: int, target: Path, progress: Progress = lambda _: None
) -> ArchiveSummary:
    """Write the zip of ``year``'s archived items at ``target`` (replaced if it exists)."""
    check_year(year, rt.clock.now().astimezone(rt.tz).date())
    now = rt.clock.now()
    async with rt.db.session() as session:
        items = await archived_in(session, rt, year)
        progress(f"{len(items)} items archived in {year}")
        views = await views_of(session, items, now, rt.policy)
        records = [await _record(rt, session, view) for view in views]
        files = [file for item in items for file in await _files_of(rt, session, item)]
    ledger = {
        "ledger.xlsx": _ledger_xlsx(rt, views),
        "ledger.json": json.dumps(records, ensure_ascii=False, indent=2).encode(),
    }
    summary = ArchiveSummary(year, len(items), len(files), 0, [view.ref for view in views])
    header = {"year": year, "archived_between": [m.isoformat() for m in year_bounds(rt, year)]}
    header["generated_at"] = now.isoformat()
    await asyncio.to_thread(_write_zip, target, header, ledger, files, summary, progress)
    return summary


def _write_zip(
    target: Path,
    header: dict[str, Any],
    ledger: dict[str, bytes],
    files: list[StoredFile],
    summary: ArchiveSummary,
    progress: Progress,
) -> None:
    """Write the zip through a temporary file in the target's directory, then move it there."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".archive-", suffix=".part")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            entries = [_put_bytes(archive, name, data) for name, data in ledger.items()]
            for number, stored in enumerate(files, start=1):
                entries.append(_put_file(archive, stored))
                summary.bytes += entries[-1]["size"]
                progress(f"[{number}/{len(files)}] {stored.item} {stored.name}")
            manifest = {**header, "items": summary.refs, "files": entries}
            archive.writestr(
                "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            )
            sums = "".join(f"{entry['sha256']}  {entry['path']}\n" for entry in entries)
            archive.writestr("MANIFEST.sha256", sums.encode())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _put_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict[str, Any]:
    archive.writestr(name, data)
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _put_file(archive: zipfile.ZipFile, stored: StoredFile) -> dict[str, Any]:
    """Copy one stored file into the zip, hashing it on the way; refuse a changed file."""
    digest = hashlib.sha256()
    size = 0
    with stored.source.open("rb") as source, archive.open(stored.name, "w") as sink:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            sink.write(chunk)
            size += len(chunk)
    if digest.hexdigest() != stored.recorded_sha256:
        raise ArchiveFileChanged(ref=stored.item, path=str(stored.source))
    entry = asdict(stored)
    del entry["source"], entry["name"], entry["recorded_sha256"]
    return {"path": stored.name, "sha256": digest.hexdigest(), "size": size, **entry}
