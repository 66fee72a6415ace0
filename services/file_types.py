"""What a file's bytes are, never what its name or declared type says: a photo we take, a
PDF, an Office Open XML document without macros, or plain text; and their hashes.

Decoding and hashing are slow: the callers run :func:`analyze` in a worker thread.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from domain.evidence import (
    EVIDENCE_MAX_PIXELS,
    AttachmentKind,
    NotAnImage,
    UnsupportedFile,
)
from services.images import IMAGE_FORMATS, capture_time_tags, open_image, phash

_IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}
)
# Office Open XML: the part that makes a package a document, workbook or presentation.
_OFFICE_PARTS = (
    (
        "word/document.xml",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xl/workbook.xml",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "ppt/presentation.xml",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
)
_CONTENT_TYPES_MAX = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Sniffed:
    kind: AttachmentKind
    extension: str
    mime_type: str


@dataclass(frozen=True)
class Analysis:
    sniffed: Sniffed
    sha256: str
    phash: str | None
    exif_value: object = None
    exif_offset: object = None


def _sniff_document(data: bytes) -> Sniffed | None:
    if data.startswith(b"%PDF-"):
        return Sniffed(AttachmentKind.DOCUMENT, "pdf", "application/pdf")
    if data.startswith(b"PK\x03\x04"):
        return _sniff_office(data)
    return _sniff_text(data)


def _sniff_office(data: bytes) -> Sniffed | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return None
            content_types = package.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        return None
    if b"macroEnabled" in content_types:  # .docm/.xlsm/.pptm: macros are not evidence
        return None
    for part, extension, mime_type in _OFFICE_PARTS:
        if part in names:
            return Sniffed(AttachmentKind.DOCUMENT, extension, mime_type)
    return None


def _sniff_text(data: bytes) -> Sniffed | None:
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return Sniffed(AttachmentKind.DOCUMENT, "txt", "text/plain")
        return None
    return None


def analyze(data: bytes, *, claimed_image: bool) -> Analysis:
    """What the bytes are, their SHA-256 and (images) perceptual hash and EXIF capture time.

    Raises :class:`NotAnImage` when a claimed image is none, :class:`UnsupportedFile` for
    anything else we do not accept.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    image = open_image(data, EVIDENCE_MAX_PIXELS)
    if image is not None:
        extension, mime_type = IMAGE_FORMATS[str(image.format)]
        value, offset = capture_time_tags(image)
        try:
            found_phash = phash(image)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt pixels
            raise NotAnImage() from exc
        sniffed = Sniffed(AttachmentKind.PHOTO, extension, mime_type)
        return Analysis(sniffed, sha256, found_phash, value, offset)
    if claimed_image:
        raise NotAnImage()
    document = _sniff_document(data)
    if document is None:
        raise UnsupportedFile()
    return Analysis(document, sha256, None)


def claims_image(filename: str | None, mime_type: str | None) -> bool:
    if mime_type and mime_type.strip().lower().startswith("image/"):
        return True
    return bool(filename) and PurePosixPath(str(filename).lower()).suffix in _IMAGE_SUFFIXES
