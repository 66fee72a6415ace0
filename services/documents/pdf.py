"""A document's PDF, for reading on a phone: converted from the .docx by LibreOffice (headless)
where it is installed, once per document, in a worker thread; kept beside the .docx under the
media directory. Without LibreOffice, or when a conversion fails (logged), there is no PDF and
the .docx goes alone."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import update

from domain.evidence import content_path
from services.media import media_path, write_content
from services.runtime import Runtime
from storage.models import Document

log = logging.getLogger(__name__)

CONVERT_TIMEOUT_SECONDS = 120


def find_soffice() -> str | None:
    """LibreOffice's ``soffice`` on the PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(soffice: str, docx: bytes) -> bytes:
    """The PDF of ``docx``; raises when LibreOffice fails. Each call has its own profile, so
    conversions may run at once."""
    with tempfile.TemporaryDirectory(prefix="duban-pdf-") as folder:
        work = Path(folder)
        source = work / "document.docx"
        source.write_bytes(docx)
        subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=CONVERT_TIMEOUT_SECONDS,
        )
        result = work / "document.pdf"
        if not result.is_file():
            raise RuntimeError("LibreOffice wrote no PDF")
        return result.read_bytes()


async def pdf_of(rt: Runtime, document_id: int, docx_path: str, known: str | None) -> str | None:
    """The stored PDF of the document (made now if need be), or None: no LibreOffice, or the
    conversion failed (logged)."""
    if known is not None or rt.soffice is None:
        return known
    try:
        docx = media_path(rt, docx_path).read_bytes()
        data = await asyncio.to_thread(convert, rt.soffice, docx)
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        log.warning("document_pdf_failed", extra={"document": document_id, "error": str(exc)})
        return None
    relative = content_path(hashlib.sha256(data).hexdigest(), "pdf")
    await asyncio.to_thread(write_content, rt.media_dir, relative, data)
    async with rt.db.session() as session:
        await session.execute(
            update(Document).where(Document.id == document_id).values(pdf_path=relative)
        )
        await session.commit()
    return relative
