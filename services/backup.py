"""Backups: a consistent online copy of a SQLite database, taken while the bot keeps writing.

SQLite's backup API copies the database page by page and restarts when a writer changes a
page it already copied, so the copy is always one consistent moment. PostgreSQL deployments
use ``pg_dump`` (see :func:`pg_dump_hint`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    pages: int
    integrity: str


def sqlite_backup(source: Path, target: Path, *, progress: Progress | None = None) -> BackupResult:
    """Copy ``source`` to ``target`` (which must not exist) and check the copy's integrity."""
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:

        def step(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=256, progress=step)
        dst.execute("PRAGMA journal_mode=DELETE")
        integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"the copy failed its integrity check: {integrity}")
    partial.rename(target)
    return BackupResult(target, int(pages), str(integrity))


def pg_dump_hint(database_url: str, target: str) -> str:
    """The command that backs up a PostgreSQL deployment (no password in it)."""
    parts = urlsplit(database_url.replace("postgresql+asyncpg", "postgresql", 1))
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    user = parts.username or "postgres"
    name = parts.path.lstrip("/") or "postgres"
    return (
        f"pg_dump --format=custom --no-owner --host={host} --port={port} "
        f"--username={user} --file={target} {name}"
    )
