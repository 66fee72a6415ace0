"""Files the fake server knows: stored bytes under file ids and download paths, photo size sets,
and the message content built from an upload or a file id."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, Literal

from ..content import Content, image_size, photo_dimensions
from ..models import StoredFile
from ..params import Params, Upload, bad_request

__all__ = ["FileStore"]

JSONDict = dict[str, Any]
FileKind = Literal["photo", "document"]


class FileStore:
    """Every file sent by a user or uploaded by the bot, by file id and by file path."""

    def __init__(self, numbers: Iterator[int]) -> None:
        self._numbers = numbers
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photo_groups: dict[str, list[JSONDict]] = {}

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def at_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def __getitem__(self, file_id: str) -> StoredFile:
        return self._by_id[file_id]

    def store(
        self,
        data: bytes,
        kind: FileKind,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._numbers)
        if kind == "photo":
            path = f"photos/file_{number}.jpg"
            file_id = f"AgACAgIAAxkBAAI{number:08d}"
        else:
            suffix = PurePosixPath(file_name).suffix if file_name else ""
            path = f"documents/file_{number}{suffix}"
            file_id = f"BQACAgIAAxkBAAI{number:08d}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"AQAD{number:08d}",
            file_path=path,
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type or ("image/jpeg" if kind == "photo" else None),
        )
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored

    def photo_sizes(self, data: bytes, size: tuple[int, int]) -> list[JSONDict]:
        """Store a photo in Telegram's sizes and return its PhotoSize list (largest last)."""
        sizes: list[JSONDict] = []
        for width, height in photo_dimensions(*size):
            stored = self.store(data, "photo")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            )
        for entry in sizes:
            self._photo_groups[entry["file_id"]] = sizes
        return sizes

    @staticmethod
    def document_info(stored: StoredFile) -> JSONDict:
        """The Bot API ``Document`` object of a stored file."""
        info: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            info["file_name"] = stored.file_name
        if stored.mime_type:
            info["mime_type"] = stored.mime_type
        return info

    def resolve(self, params: Params, reference: Any, kind: FileKind) -> Upload | StoredFile:
        """The file a call refers to: an upload, an ``attach://`` part or a known file id."""
        if isinstance(reference, Upload):
            return reference
        if not isinstance(reference, str) or not reference:
            raise bad_request(f"there is no {kind} in the request")
        if reference.startswith("attach://"):
            upload = params.files.get(reference.removeprefix("attach://"))
            if upload is None:
                raise bad_request(
                    f"wrong file identifier/HTTP URL specified: {reference} is missing"
                )
            return upload
        stored = self._by_id.get(reference)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request("type of file mismatch")
        return stored

    def photo_content(self, source: Upload | StoredFile) -> Content:
        if isinstance(source, StoredFile):
            sizes = self._photo_groups[source.file_id]
            return Content(photo=source.data, photo_sizes=sizes, file_id=sizes[-1]["file_id"])
        if not source.data:
            raise bad_request("file must be non-empty")
        size = image_size(source.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        sizes = self.photo_sizes(source.data, size)
        return Content(photo=source.data, photo_sizes=sizes, file_id=sizes[-1]["file_id"])

    def document_content(self, source: Upload | StoredFile) -> Content:
        if isinstance(source, Upload):
            if not source.data:
                raise bad_request("file must be non-empty")
            source = self.store(
                source.data,
                "document",
                file_name=source.filename,
                mime_type=source.content_type,
            )
        name = source.file_name or PurePosixPath(source.file_path).name
        return Content(
            document=(source.data, name),
            document_info=self.document_info(source),
            file_id=source.file_id,
        )
