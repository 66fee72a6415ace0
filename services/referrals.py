"""Referrals for accountability (问责建议, ``domain.referrals``): the principal leader, or the
office on their behalf, records that an item still undone after a talk is referred (to whom, the
reason, the date). On the timeline, told to the principal leaders and the office, counted in
the statistics; :func:`item_referrals` is the read model (item page, API, documents)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.authority import may_order
from domain.deadlines import local_date
from domain.errors import Forbidden
from domain.i18n import N_
from domain.referrals import ReferralRecord, ReferralView, check_referral
from domain.views import ItemView
from domain.vocabulary import Role
from services.escalation import open_item
from services.items import Origin
from services.notices import Notice, commit_and_view, details_only, notify
from services.outbox.kinds import REFERRAL
from services.recipients import office_people, role_people
from services.runtime import Runtime
from services.timeline import Kind, record_change
from services.views import item_view
from storage.models import Person, Referral
from texts import referrals as texts


class MayNotRefer(Forbidden):
    key = N_("Only the principal leader and the supervision office can propose accountability.")


def _check(origin: Origin) -> None:
    if origin.actor is not None and not may_order(origin.actor):
        raise MayNotRefer()


async def item_to_refer(rt: Runtime, origin: Origin, ref: str) -> ItemView:
    """The item, when ``origin`` may propose accountability on it now (before asking)."""
    _check(origin)
    async with rt.db.session() as session:
        item = await open_item(session, ref)
        return await item_view(session, item, rt.clock.now(), rt.policy)


async def propose_referral(
    rt: Runtime, origin: Origin, ref: str, record: ReferralRecord
) -> tuple[ItemView, ReferralView]:
    """提出问责建议: record the referral, tell the principal leaders and the office."""
    _check(origin)
    now = rt.clock.now()
    check_referral(record, local_date(now, rt.tz))
    async with rt.db.session() as session:
        item = await open_item(session, ref)
        referral = Referral(
            item_id=item.id,
            to_whom=record.to_whom,
            reason=record.reason,
            on=record.on,
            by_id=origin.person_id,
            at=now,
        )
        session.add(referral)
        await session.flush()
        entry = record_change(
            session,
            item,
            now,
            Kind.REFERRED,
            actor_id=origin.person_id,
            detail=record.to_whom,
            data={"referral": referral.id, "reason": record.reason, "on": record.on.isoformat()},
        )
        await session.flush()
        made = (await _views(session, [referral]))[0]
        people = {p.id: p for p in await role_people(session, Role.PRINCIPAL)}
        people |= {p.id: p for p in await office_people(session)}
        told = Notice(REFERRAL, lambda t, v: texts.referred(t, v, made), details_only)
        await notify(
            rt,
            session,
            people.values(),
            told,
            item=item,
            occasion=f"event{entry.id}",
            exclude=origin.person_id,
        )
        view = await commit_and_view(rt, session, item)
    return view, made


async def _views(session: AsyncSession, referrals: list[Referral]) -> list[ReferralView]:
    ids = [r.by_id for r in referrals if r.by_id is not None]
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    names: dict[int, str] = {person_id: name for person_id, name in rows}
    return [
        ReferralView(r.id, r.to_whom, r.reason, r.on, names.get(r.by_id or 0), r.at)
        for r in referrals
    ]


async def item_referrals(session: AsyncSession, item_id: int) -> list[ReferralView]:
    """The item's referrals for accountability, oldest first."""
    rows = await session.scalars(
        select(Referral).where(Referral.item_id == item_id).order_by(Referral.id)
    )
    return await _views(session, list(rows))
