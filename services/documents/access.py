"""The documents as people reach them: issuing one on demand (CLI, console), an item's list, and
one document's file, for whoever may see the item (``domain.authority.may_view``: the office,
the item's leaders and its units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import Actor, may_view
from domain.documents import DocumentKind, file_name
from domain.errors import NotFound
from domain.i18n import N_
from services.documents.issue import (
    DOCX_TYPE,
    is_items_document,
    issue_document,
    item_documents,
    record_issued,
)
from services.media import media_path
from services.runtime import Runtime
from services.views import find_item
from storage.models import Assignment, Document, Item


class DocumentNotFound(NotFound):
    key = N_("No such document.")


@dataclass(frozen=True)
class DocumentInfo:
    """What the list shows of a document (the API's ``{"id", "kind", "number", ...}``)."""

    id: int
    kind: str
    number: str
    created_at: datetime
    sha256: str
    name: str
    has_pdf: bool

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "number": self.number,
            "created_at": self.created_at.isoformat(),
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class DocumentFile:
    """A stored document's bytes and the name it is downloaded under."""

    name: str
    data: bytes
    content_type: str


def document_info(document: Document) -> DocumentInfo:
    return DocumentInfo(
        document.id,
        document.kind,
        document.number,
        document.created_at,
        document.sha256,
        file_name(document.kind, document.number),
        document.pdf_path is not None,
    )


async def issue_for_item(
    rt: Runtime, ref: str, kind: DocumentKind, *, actor_id: int | None = None
) -> tuple[DocumentInfo, bytes]:
    """Issue a new ``kind`` document of the item ``ref`` now (numbered, stored, on the
    timeline); its summary and its .docx."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        document = await issue_document(session, rt, item, kind, rt.clock.now(), actor_id=actor_id)
        record_issued(session, document)
        await session.commit()
    return document_info(document), media_path(rt, document.path).read_bytes()


async def document_for_item(
    rt: Runtime, ref: str, kind: DocumentKind
) -> tuple[DocumentInfo, bytes, bool]:
    """The ``kind`` document of the item ``ref`` as its act issued it (the latest, when the
    act came more than once), else a new one issued now; its summary, its .docx, and whether it
    was issued now. A copy of a document takes no new number."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        document = await session.scalar(
            select(Document)
            .where(Document.item_id == item.id, Document.kind == kind.value)
            .order_by(Document.id.desc())
            .limit(1)
        )
    if document is None:
        info, data = await issue_for_item(rt, ref, kind)
        return info, data, True
    return document_info(document), media_path(rt, document.path).read_bytes(), False


async def _visible_item(session: AsyncSession, actor: Actor | None, item: Item) -> None:
    """Refuse (as not found) an item ``actor`` may not see; ``None`` is the API's token."""
    if actor is None:
        return
    units = set(
        await session.scalars(select(Assignment.unit_id).where(Assignment.item_id == item.id))
    )
    if not may_view(actor, item.leader_id, units):
        raise DocumentNotFound()


async def list_documents(rt: Runtime, ref: str, actor: Actor | None) -> list[DocumentInfo]:
    """The item's documents, oldest first, for someone who may see the item."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        await _visible_item(session, actor, item)
        return [document_info(document) for document in await item_documents(session, item.id)]


async def document_file(
    rt: Runtime,
    document_id: int,
    actor: Actor | None,
    *,
    pdf: bool = False,
    item_id: int | None = None,
) -> DocumentFile:
    """A document's .docx (or its PDF, when one was made), for someone who may see its item
    (and, given ``item_id``, only a document of that item)."""
    if not 0 < document_id < 2**31:
        raise DocumentNotFound()  # not an id the database could hold
    async with rt.db.session() as session:
        document = await session.get(Document, document_id)
        if document is None:
            raise DocumentNotFound()
        if item_id is not None and not await is_items_document(session, document, item_id):
            raise DocumentNotFound()
        item = await session.get(Item, document.item_id) if document.item_id else None
        if item is not None:
            await _visible_item(session, actor, item)
        elif actor is not None and not actor.is_office:
            raise DocumentNotFound()
    if pdf:
        if document.pdf_path is None:
            raise DocumentNotFound()
        data = media_path(rt, document.pdf_path).read_bytes()
        return DocumentFile(
            file_name(document.kind, document.number, "pdf"), data, "application/pdf"
        )
    data = media_path(rt, document.path).read_bytes()
    return DocumentFile(file_name(document.kind, document.number), data, DOCX_TYPE)
