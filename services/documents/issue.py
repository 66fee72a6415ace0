"""Issuing an official document: the number from the kind's yearly counter, taken in the
caller's transaction (the act that issues it), the .docx rendered in a worker thread and kept
under the media directory by its SHA-256, the ``documents`` row and the timeline entry.

The caller commits: a rollback takes the number back with the act, so the sequence has no gap;
a crash after the commit leaves the document issued, to be delivered by the outbox.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import documents as rules
from domain.deadlines import local_date
from domain.documents import DocumentFacts, DocumentKind
from domain.evidence import content_path
from services.documents.facts import ItemPapers, facts_for, load_papers
from services.media import write_content
from services.numbering import next_number
from services.runtime import Runtime
from services.timeline import Kind, record
from storage.models import Counter, Document, Item, TimelineEvent

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def counter_name(kind: DocumentKind) -> str:
    """The ``counters`` row of a kind's yearly sequence (``urging`` is the ladder's own; a 通报
    of praise takes the 通报 sequence, ``rules.SEQUENCES``)."""
    return rules.SEQUENCES.get(kind, kind).value


async def issue_document(
    session: AsyncSession,
    rt: Runtime,
    item: Item,
    kind: DocumentKind,
    now: datetime,
    *,
    actor_id: int | None = None,
    papers: ItemPapers | None = None,
    fields: dict[str, Any] | None = None,
    listed: Sequence[Item] = (),
    addressed_to: str | None = None,
) -> Document:
    """Issue the ``kind`` document of ``item`` at ``now`` in the caller's transaction.

    An act that issues a document as part of itself (a dispatch, a ladder level) names it in
    its own timeline entry (``document``, ``number``); a document issued on its own (the CLI,
    the console) gets one of its own, :func:`record_issued`. ``fields``: what the act itself
    says, over the facts read from the item (a notice of criticism's confirmed text). An urging
    notice to one unit about several items lists them (``listed``, ``item`` the first;
    ``addressed_to`` the unit)."""
    assert kind in rules.ITEM_KINDS, kind  # the monthly report and praise are no item's

    async def facts(number: str) -> DocumentFacts:
        found = papers or await load_papers(session, item)
        read = await facts_for(session, rt, found, kind, number, now, listed, addressed_to)
        return replace(read, extra={**read.extra, **fields}) if fields else read

    return await issue_numbered(session, rt, kind, now, facts, item_id=item.id, actor_id=actor_id)


async def issue_numbered(
    session: AsyncSession,
    rt: Runtime,
    kind: DocumentKind,
    now: datetime,
    facts: Callable[[str], Awaitable[DocumentFacts]],
    *,
    item_id: int | None,
    actor_id: int | None = None,
) -> Document:
    """Take the kind's next number, render ``facts(number)`` in a worker thread, keep the
    .docx by its SHA-256 and add the ``documents`` row, all in the caller's transaction."""
    year = local_date(now, rt.tz).year
    seq = await next_number(session, counter_name(kind), year)
    number = rt.policy.codes.document_number(kind.value, year, seq)
    try:
        data = await asyncio.to_thread(rt.templates.render, await facts(number))
        sha256 = hashlib.sha256(data).hexdigest()
        relative = content_path(sha256, "docx")
        await asyncio.to_thread(write_content, rt.media_dir, relative, data)
    except Exception:
        # The counter row stays locked by this transaction, so no later number was taken:
        # giving this one back keeps the sequence whole even if the caller commits.
        await session.execute(
            update(Counter)
            .where(Counter.name == counter_name(kind), Counter.year == year, Counter.value == seq)
            .values(value=seq - 1)
        )
        raise
    document = Document(
        item_id=item_id,
        kind=kind.value,
        year=year,
        seq=seq,
        number=number,
        path=relative,
        sha256=sha256,
        size=len(data),
        created_by_id=actor_id,
        created_at=now,
    )
    session.add(document)
    await session.flush()
    return document


def record_issued(session: AsyncSession, document: Document) -> None:
    """The timeline entry of a document issued on its own."""
    kind = DocumentKind(document.kind)
    assert document.item_id is not None
    record(
        session,
        item_id=document.item_id,
        at=document.created_at,
        kind=Kind.DOCUMENT_ISSUED,
        actor_id=document.created_by_id,
        detail=document.number,
        data={
            "document": document.id,
            "kind": kind.value,
            "number": document.number,
            "title": rules.KIND_NAMES[kind],
            "sha256": document.sha256,
        },
    )


async def item_documents(session: AsyncSession, item_id: int) -> list[Document]:
    """The item's documents, oldest first: its own, and the urging notices to one of its units
    that list it with the unit's other overdue items (kept under the first item listed; each
    listed item's timeline names the notice)."""
    listed = await _listed_in(session, item_id)
    mine = Document.item_id == item_id
    rows = await session.scalars(
        select(Document)
        .where(or_(mine, Document.id.in_(listed)) if listed else mine)
        .order_by(Document.id)
    )
    return list(rows)


async def is_items_document(session: AsyncSession, document: Document, item_id: int) -> bool:
    """Whether ``document`` is one of the item's (its own, or a notice listing it)."""
    return document.item_id == item_id or document.id in await _listed_in(session, item_id)


async def _listed_in(session: AsyncSession, item_id: int) -> set[int]:
    """The documents of the urging notices the item's timeline says it is listed in."""
    entries = await session.scalars(
        select(TimelineEvent.data).where(
            TimelineEvent.item_id == item_id, TimelineEvent.kind == Kind.NOTICE_ISSUED
        )
    )
    found = ((data or {}).get("document") for data in entries)
    return {document for document in found if isinstance(document, int)}
