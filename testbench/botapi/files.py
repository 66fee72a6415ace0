"""Files as the bot sees them: getFile and the download route ``GET /file/bot{token}/{path}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..params import ApiError, Params, bad_request
from .core import BotApiCore, bot_method

__all__ = ["Files"]


class Files(BotApiCore):
    """Looking up and downloading the files kept in ``self._files``."""

    def file_bytes(self, file_id: str) -> bytes:
        """Bytes of any file known to the server (sent by a user or uploaded by the bot)."""
        stored = self._files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.data

    @bot_method("getFile")
    async def _get_file(self, params: Params) -> Any:
        stored = self._files.get(params.require_str("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        stored = self._files.at_path(request.match_info["file_path"])
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
