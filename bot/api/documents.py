"""``/api/items/{ref}/documents`` and ``/api/documents/{id}``: an item's official documents
(公文) and one document's .docx (``?format=pdf``: its PDF, when LibreOffice made one)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot.keys import RUNTIME
from services.documents.access import DocumentFile, DocumentNotFound, document_file, list_documents


async def item_documents(request: web.Request) -> web.Response:
    found = await list_documents(request.app[RUNTIME], request.match_info["ref"], None)
    return web.json_response([document.as_json() for document in found])


async def get_document(request: web.Request) -> web.Response:
    typed = request.match_info["id"]
    if not (typed.isascii() and typed.isdigit()):
        raise DocumentNotFound()
    pdf = request.query.get("format") == "pdf"
    return file_response(await document_file(request.app[RUNTIME], int(typed), None, pdf=pdf))


def file_response(found: DocumentFile) -> web.Response:
    """The file as a download, its name in UTF-8 (RFC 6266) and an ASCII fallback."""
    response = web.Response(body=found.data, content_type=found.content_type)
    extension = found.name.rsplit(".", 1)[-1]
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"document.{extension}\"; filename*=UTF-8''{quote(found.name)}"
    )
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/items/{ref}/documents", item_documents)
    app.router.add_get("/api/documents/{id}", get_document)
