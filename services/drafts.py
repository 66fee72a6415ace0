"""A report being composed in chat (反馈草稿): the menu of kinds a unit may report, then text,
photos and files gathered over several messages into one draft per person and item, until the
person submits it (:func:`services.reports.submit_draft`) or cancels it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import Actor
from domain.dates import date_in
from domain.deadlines import local_date
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.lifecycle import ItemAction, apply
from domain.rectification import Problem
from domain.reports import MAX_FILES, TEXT_MAX, report_kinds
from domain.text import check_length
from domain.views import ItemView
from domain.vocabulary import ReportKind
from services.assignments import own_assignment
from services.execution_errors import StaleButton
from services.rectification import problems_of
from services.runtime import Runtime
from services.views import ShareRow, find_item, in_item_order, item_view, share_rows
from storage.models import Item, ReportDraft


@dataclass(frozen=True)
class ReportMenu:
    item: ItemView
    kinds: tuple[ReportKind, ...]


@dataclass(frozen=True)
class DraftView:
    id: int
    item: ItemView
    kind: str | None
    text: str
    photos: int
    documents: int
    files: tuple[dict[str, Any], ...]
    requested_due: date | None
    media_group_id: str | None
    prompt_message_id: int | None
    continued_album: bool = False
    problems: tuple[Problem, ...] = ()  # 整改: the problems its numbered lines answer

    @property
    def ready(self) -> bool:
        has_content = bool(self.text.strip() or self.files)
        if self.kind is None or not has_content:
            return False
        return self.kind != ReportKind.EXTENSION or self.requested_due is not None


async def report_menu(rt: Runtime, actor: Actor, ref: str) -> ReportMenu:
    """What the actor may report on this item (a contact or head of one of its units)."""
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        rows = await share_rows(session, [item.id])
        own_assignment(actor, in_item_order(rows))
        _check_open_for_reports(item)
        view = await item_view(session, item, rt.clock.now(), rt.policy, rows=rows)
    return ReportMenu(view, report_kinds(item.time_class))


async def choose_kind(rt: Runtime, actor: Actor, ref: str, kind: str) -> DraftView:
    """Start (or continue) a report of this kind on the item."""
    try:
        chosen = ReportKind(kind)
    except ValueError:
        raise StaleButton() from None
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        if chosen not in report_kinds(item.time_class):
            raise StaleButton()
        draft, rows = await _open_draft(rt, session, actor, item)
        draft.kind = str(chosen)
        draft.updated_at = rt.clock.now()
        await session.commit()
        return await _draft_view(rt, session, draft, rows)


async def add_content(
    rt: Runtime,
    actor: Actor,
    item_id: int,
    *,
    text: str,
    file: dict[str, Any] | None,
    media_group_id: str | None,
    message_id: int,
) -> DraftView:
    """Add text and/or one file (a Telegram file id) to the actor's draft report on the item.

    An album's photos arrive one update at a time; they all join the same draft, and the
    result says when this update continues an album already shown (so the chat edits its
    preview instead of sending another).
    """
    async with rt.db.session() as session:
        item = await session.get(Item, item_id)
        if item is None:
            raise StaleButton()
        draft, rows = await _open_draft(rt, session, actor, item)
        continued = media_group_id is not None and draft.media_group_id == media_group_id
        if text.strip():
            combined = f"{draft.text}\n{text.strip()}" if draft.text else text.strip()
            draft.text = check_length(combined, TEXT_MAX)
        if file is not None:
            files = list(draft.files or [])
            if len(files) >= MAX_FILES:
                raise InvalidInput(N_("A report can carry at most {max} files."), max=MAX_FILES)
            files.append(file)
            draft.files = files
        if media_group_id is not None:
            draft.media_group_id = media_group_id
        if draft.first_message_id is None:
            draft.first_message_id = message_id
        draft.updated_at = rt.clock.now()
        await session.commit()
        return await _draft_view(rt, session, draft, rows, continued)


async def draft_files(rt: Runtime, actor: Actor, draft_id: int) -> tuple[dict[str, Any], ...]:
    """The files (Telegram file ids) of the actor's draft, to download before submitting it."""
    async with rt.db.session() as session:
        draft = await own_draft(session, actor, draft_id)
        return tuple(dict(f) for f in draft.files or [])


async def set_draft_prompt(rt: Runtime, actor: Actor, draft_id: int, message_id: int) -> None:
    """Remember the message that shows the draft (a draft gone or not the actor's: nothing)."""
    async with rt.db.session() as session:
        await session.execute(
            update(ReportDraft)
            .where(ReportDraft.id == draft_id, ReportDraft.person_id == actor.person_id)
            .values(prompt_message_id=message_id)
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def cancel_draft(rt: Runtime, actor: Actor, draft_id: int) -> None:
    async with rt.db.session() as session:
        result = await session.execute(
            delete(ReportDraft).where(
                ReportDraft.id == draft_id, ReportDraft.person_id == actor.person_id
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise StaleButton()
        await session.commit()


async def recent_draft_item(rt: Runtime, actor: Actor, within: timedelta) -> int | None:
    """The item of this person's draft report touched within ``within``, if any (for photos
    sent without replying to the prompt)."""
    since = rt.clock.now() - within
    async with rt.db.session() as session:
        return await session.scalar(
            select(ReportDraft.item_id)
            .where(ReportDraft.person_id == actor.person_id, ReportDraft.updated_at >= since)
            .order_by(ReportDraft.updated_at.desc(), ReportDraft.id.desc())
            .limit(1)
        )


async def own_draft(session: AsyncSession, actor: Actor, draft_id: int) -> ReportDraft:
    """The actor's draft, or StaleButton when it is gone (submitted or cancelled)."""
    draft = await session.get(ReportDraft, draft_id)
    if draft is None or draft.person_id != actor.person_id:
        raise StaleButton()
    return draft


def _check_open_for_reports(item: Item) -> None:
    apply(item.status, ItemAction.REPORT)


async def _open_draft(
    rt: Runtime, session: AsyncSession, actor: Actor, item: Item
) -> tuple[ReportDraft, list[ShareRow]]:
    """The actor's draft on the item (started if none), with the item's shares as loaded."""
    rows = await share_rows(session, [item.id])
    assignment = own_assignment(actor, in_item_order(rows))
    _check_open_for_reports(item)
    draft = await session.scalar(
        select(ReportDraft).where(
            ReportDraft.person_id == actor.person_id, ReportDraft.item_id == item.id
        )
    )
    if draft is None:
        now = rt.clock.now()
        draft = ReportDraft(
            person_id=actor.person_id,
            item_id=item.id,
            assignment_id=assignment.id,
            text="",
            files=[],
            created_at=now,
            updated_at=now,
        )
        session.add(draft)
        await session.flush()
    return draft, rows


async def _draft_view(
    rt: Runtime,
    session: AsyncSession,
    draft: ReportDraft,
    rows: list[ShareRow],
    continued: bool = False,
) -> DraftView:
    item = await session.get_one(Item, draft.item_id)
    files = tuple(dict(f) for f in draft.files or [])
    return DraftView(
        id=draft.id,
        item=await item_view(session, item, rt.clock.now(), rt.policy, rows=rows),
        kind=draft.kind,
        text=draft.text,
        photos=sum(1 for f in files if f.get("type") == "photo"),
        documents=sum(1 for f in files if f.get("type") != "photo"),
        files=files,
        requested_due=date_in(draft.text, local_date(rt.clock.now(), rt.tz))
        if draft.kind == ReportKind.EXTENSION
        else None,
        media_group_id=draft.media_group_id,
        prompt_message_id=draft.prompt_message_id,
        continued_album=continued,
        problems=await problems_of(session, item.id) if item.reopened_at else (),
    )
