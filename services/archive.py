"""The end of an item's life: archiving (立卷归档) and withdrawing (撤销督办).

The office archives a closed item once its follow-up check (回头看) found nothing or was not
needed, or an item it withdrew, with its registration sheet (登记表, a numbered .docx); an
archived item is read-only (``domain.lifecycle`` refuses every
move), leaves the working lists, and nothing more is sent about it. Withdrawing takes an open
item back with a reason and tells its units. Both cancel what is still queued about the item.
"""

from __future__ import annotations

from domain.documents import DocumentKind
from domain.errors import Conflict
from domain.i18n import N_
from domain.lifecycle import ItemAction
from domain.views import ItemView
from services.deciding import office_decision, reason_text, via
from services.documents.issue import issue_document
from services.items import Origin, require_office
from services.notices import Notice, details_only
from services.recipients import item_people
from services.runtime import Runtime
from services.timeline import Kind, record
from texts import archive as texts


class FollowUpPending(Conflict):
    key = N_("A follow-up check (回头看) is set for {date}: record its result before archiving.")


async def archive_item(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """立卷归档: the closed (or withdrawn) item is filed, read-only from now on."""
    require_office(origin)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.ARCHIVE)
        item = decision.item
        if item.follow_up_on is not None:
            raise FollowUpPending(date=item.follow_up_on.isoformat())
        item.archived_at = decision.now
        item.updated_at = decision.now
        cancelled = await decision.cancel_queued()
        # The registration sheet (督办事项办理情况登记表) goes into the file with it.
        sheet = await issue_document(
            session, rt, item, DocumentKind.REGISTER, decision.now, actor_id=origin.person_id
        )
        record(
            session,
            item_id=item.id,
            at=decision.now,
            kind=Kind.ARCHIVED,
            actor_id=origin.person_id,
            data={
                "via": via(origin),
                "cancelled": cancelled,
                "document": sheet.id,
                "number": sheet.number,
            },
        )
        return await decision.done()


async def withdraw_item(rt: Runtime, origin: Origin, ref: str, reason: str) -> ItemView:
    """撤销督办: the office takes an open item back, with the reason; its units are told."""
    require_office(origin)
    text = reason_text(reason, required=True)
    async with rt.db.session() as session:
        decision = await office_decision(rt, session, origin, ref, ItemAction.WITHDRAW)
        item = decision.item
        cancelled = await decision.cancel_queued()
        await decision.announce(
            Kind.WITHDRAWN,
            await item_people(session, item.id),
            Notice(
                "withdrawn",
                lambda t, view: texts.withdrawn_notice(t, view, reason=text),
                details_only,
            ),
            detail=text,
            data={"via": via(origin), "cancelled": cancelled},
        )
        return await decision.done()
