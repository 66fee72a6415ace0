"""Complainants rate their complaint's answer (满意度); 不满意 is a request for review (异议复核)
that the office decides: reopen the item with the reason as its problem (复核不通过), or uphold
the answer with a reason of its own (维持原答复). The complainant reads the outcome with their
receipt code (:func:`services.complaints.status_by_code`).

Nothing here receives or keeps who the complainant is: the rating is reached through the
code's hash, and only its day is kept. The rules are in :mod:`domain.satisfaction`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button
from domain.complaints import (
    SETTLED,
    ComplaintNotFound,
    answer_text,
    hash_code,
    normalize_code,
    title_from_text,
)
from domain.deadlines import local_date
from domain.satisfaction import (
    AlreadyRated,
    HasItem,
    NothingToReopen,
    Rating,
    Review,
    ReviewDecided,
    ReviewNotFound,
    check_may_rate,
    reason_text,
)
from domain.views import ItemView
from domain.vocabulary import AssignmentRole, Source, TimeClass
from services import complaint_triage
from services.complaint_ratings import Feedback, feedback_of, latest_rating
from services.complaints import PublicStatus, status_by_code, tell_office
from services.follow_up import reopen_item
from services.items import ItemDraft, Origin, register_item, require_office
from services.runtime import Runtime
from storage.models import Assignment, Complaint, ComplaintNote, ComplaintRating, Item
from texts import Text
from texts import satisfaction as texts

log = logging.getLogger("duban.complaints")


# --- the complainant ------------------------------------------------------------------------


async def rate_answer(
    rt: Runtime, code: str, rating: Rating, reason: str | None = None
) -> PublicStatus:
    """The complainant's rating of the answer; 不满意 (with its reason) goes to the office as a
    request for review. Refused when there is no answer yet or it was rated already."""
    kept = reason_text(rating, reason)
    normalized = normalize_code(code)
    today = local_date(rt.clock.now(), rt.tz)
    try:
        async with rt.db.session() as session:
            complaint = await _by_code(session, normalized)
            latest = await latest_rating(session, complaint.id)
            rated = latest is not None and not latest.superseded
            check_may_rate(complaint.public_id, complaint.status in SETTLED, rated)
            row = ComplaintRating(
                complaint_id=complaint.id,
                round=await _next_round(session, complaint.id),
                rating=rating,
                rated_on=today,
                answer=complaint.answer or "",
                unit_id=await _answering_unit(session, complaint.item_id),
                reason=kept,
                review=Review.PENDING if kept is not None else None,
            )
            session.add(row)
            await session.flush()
            if kept is not None:
                await _ask_for_review(rt, session, complaint, row)
            await session.commit()
    except IntegrityError:  # the same answer rated at the same moment elsewhere
        raise AlreadyRated(id=complaint.public_id) from None
    if kept is not None:
        rt.wake_outbox()
    log.info("complaint_rated", extra={"complaint": complaint.public_id, "rating": str(rating)})
    status = await status_by_code(rt, code)
    assert status is not None
    return status


async def _by_code(session: AsyncSession, normalized: str | None) -> Complaint:
    digest = hash_code(normalized) if normalized else "0" * 64
    complaint = await session.scalar(select(Complaint).where(Complaint.code_hash == digest))
    if complaint is None or normalized is None:
        raise ComplaintNotFound(id="")
    return complaint


async def _next_round(session: AsyncSession, complaint_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ComplaintRating)
        .where(ComplaintRating.complaint_id == complaint_id)
    )
    return int(count or 0) + 1


async def _answering_unit(session: AsyncSession, item_id: int | None) -> int | None:
    """The unit that answered: the lead unit of the complaint's item (none without one)."""
    if item_id is None:
        return None
    return await session.scalar(
        select(Assignment.unit_id).where(
            Assignment.item_id == item_id, Assignment.role == AssignmentRole.LEAD
        )
    )


async def _ask_for_review(
    rt: Runtime, session: AsyncSession, complaint: Complaint, row: ComplaintRating
) -> None:
    """The request for review to the office (its group, or each supervisor): the complaint,
    the answer, the reason, and the two decisions as buttons."""
    item = await session.get(Item, complaint.item_id) if complaint.item_id else None
    item_code, title = (item.code, item.title) if item is not None else (None, None)
    public_id, answer, reason = complaint.public_id, row.answer, row.reason or ""

    def render(t: Text) -> str:
        return texts.office_review(t, public_id, item_code, title, answer, reason)

    def buttons(t: Text) -> list[list[Button]]:
        rows = texts.review_buttons(t, row.id, can_reopen=item is not None)
        return [[Button(label, data) for label, data in line] for line in rows]

    await tell_office(
        rt, session, complaint, f"review-{row.id}", render, buttons=buttons, kind="complaint_review"
    )


# --- the office -----------------------------------------------------------------------------


async def pending_review(
    rt: Runtime, origin: Origin, rating_id: int, *, reopen: bool = False, assign: bool = False
) -> str:
    """The complaint whose request for review is still to be decided (its public id); refused
    when it was decided, when (``reopen``) the complaint has no item to reopen, or when
    (``assign``) it has one already."""
    require_office(origin)
    async with rt.db.session() as session:
        _, complaint = await _review(session, rating_id)
        if reopen and complaint.item_id is None:
            raise NothingToReopen(id=complaint.public_id)
        if assign and complaint.item_id is not None:
            raise HasItem(id=complaint.public_id)
        return complaint.public_id


async def _review(session: AsyncSession, rating_id: int) -> tuple[ComplaintRating, Complaint]:
    row = await session.get(ComplaintRating, rating_id)
    if row is None or row.review is None:
        raise ReviewNotFound(id=rating_id)
    if row.review is not Review.PENDING:
        raise ReviewDecided()
    return row, await session.get_one(Complaint, row.complaint_id)


async def reopen_for_review(
    rt: Runtime, origin: Origin, rating_id: int, due: date, problems: list[str]
) -> ItemView:
    """复核不通过: the complaint's item is reopened (整改) with the complainant's reason as its
    first problem; its complaints are being handled again, and their next answer may be rated."""
    require_office(origin)
    async with rt.db.session() as session:
        row, complaint = await _review(session, rating_id)
        if complaint.item_id is None:
            raise NothingToReopen(id=complaint.public_id)
        ref = await session.scalar(select(Item.ref).where(Item.id == complaint.item_id))
        reason = row.reason or ""
    assert ref is not None
    settle = partial(_settle_reopened, rating_id=rating_id, origin=origin, tz=rt.tz)
    view = await reopen_item(rt, origin, ref, due, [reason, *problems], also=settle)
    log.info("complaint_review_reopened", extra={"complaint": complaint.public_id})
    return view


async def assign_for_review(
    rt: Runtime, origin: Origin, rating_id: int, draft: ItemDraft
) -> ItemView:
    """复核不通过, for a complaint the office answered itself (it has no item): the complaint
    becomes an item (``draft``, source 群众投诉) dispatched to its unit; the complaint (and those
    merged into it) are being handled, and the next answer may be rated. A complaint with an
    item is reopened instead (:func:`reopen_for_review`)."""
    require_office(origin)
    async with rt.db.session() as session:
        _, complaint = await _review(session, rating_id)
        if complaint.item_id is not None:
            raise HasItem(id=complaint.public_id)
    view = await register_item(rt, origin, replace(draft, source=Source.COMPLAINT), dispatch=True)
    now = rt.clock.now()
    async with rt.db.session() as session:
        # Decided meanwhile (another instance, a second press): refused; the item stands and
        # the office sees it in its lists, as when two people accept one complaint.
        await _decide(session, rating_id, Review.REOPENED, None, origin, local_date(now, rt.tz))
        complaint = await session.get_one(Complaint, complaint.id)
        complaint.item_id = view.id
        await session.flush()
        await complaint_triage.adopt_item(session, complaint, now)
        await session.commit()
    log.info("complaint_review_assigned", extra={"complaint": complaint.public_id})
    return view


async def review_draft(rt: Runtime, rating_id: int, unit_key: str) -> ItemDraft:
    """The item a review assigns in chat, in the deployment's language: the complaint's words,
    the office's answer and the complainant's reason for not being satisfied (nothing that
    names them), to the chosen unit."""
    async with rt.db.session() as session:
        row, complaint = await _review(session, rating_id)
    body = texts.review_item_body(rt.text(None), complaint.text, row.answer, row.reason or "")
    return ItemDraft(
        title=title_from_text(complaint.text) or complaint.public_id,
        body=body,
        source=Source.COMPLAINT,
        time_class=TimeClass.GENERAL,
        lead_unit=unit_key,
    )


async def _settle_reopened(
    session: AsyncSession,
    item: Item,
    now: datetime,
    *,
    rating_id: int,
    origin: Origin,
    tz: ZoneInfo,
) -> None:
    await _decide(session, rating_id, Review.REOPENED, None, origin, local_date(now, tz))


async def _decide(
    session: AsyncSession,
    rating_id: int,
    outcome: Review,
    reply: str | None,
    origin: Origin,
    today: date,
) -> None:
    """The review decided, once: a second decision (another instance, a second press) is
    refused."""
    done = await session.execute(
        update(ComplaintRating)
        .where(ComplaintRating.id == rating_id, ComplaintRating.review == Review.PENDING)
        .values(review=outcome, reply=reply, decided_by_id=origin.person_id, decided_on=today)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise ReviewDecided()


async def uphold_answer(rt: Runtime, origin: Origin, rating_id: int, reason: str) -> Feedback:
    """维持原答复: the answer stands, with the office's reason, which the complainant reads."""
    require_office(origin)
    cleaned = answer_text(reason)
    today = local_date(rt.clock.now(), rt.tz)
    async with rt.db.session() as session:
        _, complaint = await _review(session, rating_id)
        await _decide(session, rating_id, Review.UPHELD, cleaned, origin, today)
        session.add(
            ComplaintNote(
                complaint_id=complaint.id, from_office=True, text=cleaned, created_on=today
            )
        )
        await session.commit()
        feedback, _ = await feedback_of(session, complaint)
    assert feedback is not None
    log.info("complaint_review_upheld", extra={"complaint": complaint.public_id})
    return feedback
