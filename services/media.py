"""The media directory: files kept by content, written atomically, and read back only from
inside it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from domain.evidence import MediaNotFound
from services.runtime import Runtime


def write_content(
    media_dir: Path, relative: str, data: bytes, *, mtime: float | None = None
) -> bool:
    """Write ``data`` at ``relative`` (a :func:`content_path`) atomically; False when it is
    already there. A temporary file in the same directory is renamed into place, so a reader
    never sees half a file."""
    target = media_dir / relative
    if target.is_file() and target.stat().st_size == len(data):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o640)
        if mtime is not None:
            os.utime(temporary, (mtime, mtime))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def media_path(rt: Runtime, relative: str) -> Path:
    """The stored file at ``relative`` under the media directory.

    Raises :class:`MediaNotFound` for anything that is not a file inside it: absolute paths,
    ``..``, backslashes, symlinks leading out, missing files.
    """
    if not relative or "\x00" in relative or "\\" in relative:
        raise MediaNotFound()
    candidate = PurePosixPath(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise MediaNotFound()
    root = rt.media_dir.resolve()
    try:
        full = (root / candidate).resolve(strict=True)
    except (OSError, RuntimeError):
        raise MediaNotFound() from None
    if not full.is_relative_to(root) or not full.is_file():
        raise MediaNotFound()
    return full
