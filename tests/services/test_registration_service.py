"""Registering, approving, returning and load control through the services (real database)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from domain.approval import AlreadyDecided, NotApprover, NotReturnable
from domain.clock import FakeClock
from domain.errors import Forbidden, InvalidInput
from domain.policy import Approval, Dispatch, Load, Policy
from domain.vocabulary import ItemStatus, Source, TimeClass
from services.actors import Actor, load_actor
from services.approval import approve_item, return_item
from services.choices import list_leaders, list_units
from services.items import ItemDraft, NotOffice, Origin
from services.load_control import LoadWarned
from services.registration import (
    Outcome,
    create_item,
    dispatch_draft,
    resubmit_item,
    submit_item,
)
from services.runtime import Runtime
from services.views import load_item, timeline
from storage.models import Item, Notification, Person
from tests.conftest import SHANGHAI

API = Origin(None, via_api=True)


async def actor(rt: Runtime, key: str) -> Actor:
    async with rt.db.session() as session:
        person = await session.scalar(select(Person).where(Person.key == key))
        assert person is not None
        return await load_actor(session, person)


async def origin(rt: Runtime, key: str) -> Origin:
    return Origin(await actor(rt, key))


def draft(title: str = "推进校园安全隐患排查整治", **changes: object) -> ItemDraft:
    base = ItemDraft(
        title=title,
        body="全面排查全县中小学校舍安全隐患。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        co_units=("health",),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def with_policy(rt: Runtime, **parts: object) -> Runtime:
    return dataclasses.replace(rt, policy=Policy(**parts))


async def kinds(rt: Runtime, ref: str) -> list[str]:
    async with rt.db.session() as session:
        view = await load_item(session, ref, rt.clock.now(), rt.policy)
        return [entry.kind for entry in await timeline(session, view.id)]


async def notified(rt: Runtime, kind: str) -> list[str]:
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Person.key)
            .join(Notification, Notification.person_id == Person.id)
            .where(Notification.kind == kind)
            .order_by(Person.key)
        )
        return [key for (key,) in rows]


async def test_submit_without_approval_dispatches(county: Runtime) -> None:
    wuting = await origin(county, "wuting")
    result = await submit_item(county, wuting, draft())
    assert result.outcome is Outcome.DISPATCHED
    assert result.item.status is ItemStatus.DISPATCHED
    assert result.item.code == "督〔2026〕1号"
    assert result.item.leader is not None and result.item.leader.key == "wang"
    assert result.item.due == date(2026, 12, 3)  # general: 10 days from 23 Nov
    assert await kinds(county, "2026-1") == ["registered", "dispatched"]
    assert await notified(county, "dispatch") == ["caomin", "lina", "pengqiang"]
    assert await notified(county, "dispatch_copy") == ["huangwei", "zhangjun"]
    assert await notified(county, "dispatch_leader_copy") == ["wang"]  # 同时报分管领导


async def test_the_leader_copy_is_a_policy_switch(county: Runtime) -> None:
    rt = with_policy(county, dispatch=Dispatch(copy_to_leader=False))
    result = await submit_item(rt, await origin(rt, "wuting"), draft())
    assert result.outcome is Outcome.DISPATCHED
    assert await notified(rt, "dispatch_leader_copy") == []
    assert await notified(rt, "dispatch") == ["caomin", "lina", "pengqiang"]


async def test_only_the_office_registers(county: Runtime) -> None:
    for key in ("lina", "zhangjun", "wang", "zhao"):
        with pytest.raises(NotOffice):
            await submit_item(county, await origin(county, key), draft())
    with pytest.raises(NotOffice):
        await submit_item(county, Origin(None), draft())
    async with county.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Item)) == 0


async def test_unknown_unit_and_leader_name_the_field(county: Runtime) -> None:
    wuting = await origin(county, "wuting")
    with pytest.raises(InvalidInput) as bad_unit:
        await submit_item(county, wuting, draft(co_units=("nowhere",)))
    assert bad_unit.value.params["field"] == "co_units"
    with pytest.raises(InvalidInput) as bad_leader:
        await submit_item(county, wuting, draft(leader="lina"))
    assert bad_leader.value.params["field"] == "leader"
    with pytest.raises(InvalidInput) as no_due:
        await submit_item(county, wuting, draft(time_class=TimeClass.CUSTOM))
    assert no_due.value.params["field"] == "due"
    # Nothing kept, and no number used up.
    result = await submit_item(county, wuting, draft())
    assert result.item.ref == "2026-1"


async def test_two_step_approval(county: Runtime) -> None:
    rt = with_policy(county, approval=Approval(steps=(("supervisor",), ("zhao",))))
    wuting = await origin(rt, "wuting")
    submitted = await submit_item(rt, wuting, draft())
    assert submitted.outcome is Outcome.PENDING_APPROVAL
    assert submitted.item.status is ItemStatus.PENDING_APPROVAL
    assert await notified(rt, "approval") == ["qian", "wuting", "zhoujian"]
    assert await notified(rt, "dispatch") == []
    ref = submitted.item.ref

    zhao = await origin(rt, "zhao")
    with pytest.raises(NotApprover):
        await approve_item(rt, zhao, ref, step=0)  # not his step yet
    for key in ("lina", "wang"):
        with pytest.raises(NotApprover):
            await approve_item(rt, await origin(rt, key), ref)
    first = await approve_item(rt, await origin(rt, "zhoujian"), ref, step=0)
    assert first.outcome is Outcome.PENDING_APPROVAL
    assert await notified(rt, "approval") == ["qian", "wuting", "zhao", "zhoujian"]
    with pytest.raises(AlreadyDecided):  # a second approver's old button
        await approve_item(rt, await origin(rt, "qian"), ref, step=0)
    with pytest.raises(NotApprover):
        await approve_item(rt, await origin(rt, "qian"), ref, step=1)

    last = await approve_item(rt, zhao, ref, step=1)
    assert last.outcome is Outcome.DISPATCHED
    assert last.item.status is ItemStatus.DISPATCHED
    assert await notified(rt, "dispatch") == ["caomin", "lina", "pengqiang"]
    assert await notified(rt, "approved") == ["wuting"]
    assert await kinds(rt, ref) == [
        "registered",
        "submitted_for_approval",
        "approved",
        "approved",
        "dispatched",
    ]
    with pytest.raises(AlreadyDecided):
        await approve_item(rt, zhao, ref, step=1)


async def test_return_and_resubmit(county: Runtime, clock: FakeClock) -> None:
    rt = with_policy(county, approval=Approval(steps=(("qian",),)))
    wuting = await origin(rt, "wuting")
    ref = (await submit_item(rt, wuting, draft())).item.ref
    qian = await origin(rt, "qian")
    with pytest.raises(InvalidInput):
        await return_item(rt, qian, ref, "   ")
    with pytest.raises(NotApprover):
        await return_item(rt, wuting, ref, "不行")
    returned = await return_item(rt, qian, ref, "请明确整改时限", step=0)
    assert returned.status is ItemStatus.DRAFT
    assert await notified(rt, "returned_draft") == ["wuting"]
    async with rt.db.session() as session:
        text = await session.scalar(
            select(Notification.text).where(Notification.kind == "returned_draft")
        )
    assert text is not None and "请明确整改时限" in text
    with pytest.raises(AlreadyDecided):
        await approve_item(rt, qian, ref, step=0)
    with pytest.raises(NotOffice):
        await resubmit_item(rt, await origin(rt, "lina"), ref)
    again = await resubmit_item(rt, wuting, ref)
    assert again.status is ItemStatus.PENDING_APPROVAL
    # The second round asks the approver again (a new notification, not the old key).
    assert await notified(rt, "approval") == ["qian", "qian"]
    done = await approve_item(rt, qian, ref)
    assert done.item.status is ItemStatus.DISPATCHED
    with pytest.raises(NotReturnable):
        await resubmit_item(rt, wuting, ref)
    assert (await kinds(rt, ref))[:5] == [
        "registered",
        "submitted_for_approval",
        "returned_draft",
        "submitted_for_approval",
        "approved",
    ]


async def test_load_control_too_many_open_items(county: Runtime) -> None:
    rt = with_policy(county, load=Load(open_items_per_unit=2, title_similarity=0.95))
    wuting = await origin(rt, "wuting")
    await submit_item(rt, wuting, draft("农村饮水安全巩固提升", co_units=()))
    await submit_item(rt, wuting, draft("中小学食堂食品安全检查", co_units=()))
    third = await submit_item(rt, wuting, draft("校车安全专项整治", co_units=()))
    assert third.outcome is Outcome.LOAD_WARNING
    assert third.item.status is ItemStatus.DRAFT
    [warning] = third.warnings
    assert warning.unit_key == "edu" and warning.too_many and warning.open_items == 2
    assert await notified(rt, "dispatch") == ["lina", "lina"]  # the third did not go out
    with pytest.raises(NotOffice):
        await dispatch_draft(rt, await origin(rt, "lina"), third.item.ref)
    sent = await dispatch_draft(rt, wuting, third.item.ref)
    assert sent.status is ItemStatus.DISPATCHED
    async with rt.db.session() as session:
        entries = await timeline(session, sent.id)
    assert entries[-1].kind == "dispatched" and entries[-1].data["load_confirmed"] is True
    with pytest.raises(AlreadyDecided):
        await dispatch_draft(rt, wuting, third.item.ref)


async def test_load_control_similar_title_and_api_409(county: Runtime) -> None:
    wuting = await origin(county, "wuting")
    first = await submit_item(
        county, wuting, draft("开展城区燃气管道安全隐患排查", lead_unit="housing", co_units=())
    )
    with pytest.raises(LoadWarned) as warned:
        await create_item(
            county,
            API,
            draft("开展城区燃气管道安全隐患排查整治", lead_unit="transport", co_units=("housing",)),
            dispatch=True,
        )
    [warning] = warned.value.warnings
    assert warning.unit_key == "housing" and warning.similar_ref == first.item.ref
    assert not warning.too_many and warning.similarity >= 0.8
    async with county.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Item)) == 1
    confirmed = await create_item(
        county,
        API,
        draft("开展城区燃气管道安全隐患排查整治", lead_unit="transport", co_units=("housing",)),
        dispatch=True,
        confirm_load=True,
    )
    assert confirmed.ref == "2026-2" and confirmed.status is ItemStatus.DISPATCHED
    # A different title for the same unit is fine.
    other = await create_item(
        county, API, draft("推进老旧小区改造", lead_unit="housing", co_units=()), dispatch=True
    )
    assert other.status is ItemStatus.DISPATCHED


async def test_api_draft_and_ledger_move_in(county: Runtime) -> None:
    held = await create_item(county, API, draft())
    assert held.status is ItemStatus.DRAFT
    earlier = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    moved = await create_item(county, API, draft("老项目"), dispatched_at=earlier)
    assert moved.status is ItemStatus.DISPATCHED
    assert moved.due == date(2026, 10, 18)
    assert moved.overdue
    rt = with_policy(county, approval=Approval(steps=(("zhao",),)))
    pending = await create_item(rt, API, draft("需要审核"))
    assert pending.status is ItemStatus.PENDING_APPROVAL
    bypassed = await create_item(rt, API, draft("直接交办"), dispatch=True)
    assert bypassed.status is ItemStatus.DISPATCHED


async def test_choices_for_the_conversation(county: Runtime) -> None:
    units = await list_units(county)
    edu = next(u for u in units if u.key == "edu")
    assert (edu.leader, edu.head, edu.contacts) == ("wang", "zhangjun", ("lina",))
    leaders = await list_leaders(county)
    assert [leader.key for leader in leaders] == ["wang", "chen", "liu", "zhao"]
    assert leaders[-1].principal


async def test_refused_actions_change_nothing(county: Runtime) -> None:
    rt = with_policy(county, approval=Approval(steps=(("supervisor",),)))
    ref = (await submit_item(rt, await origin(rt, "qian"), draft())).item.ref
    for key in ("lina", "zhangjun", "wang", "zhao"):
        someone = await origin(rt, key)
        with pytest.raises(Forbidden):
            await approve_item(rt, someone, ref)
        with pytest.raises(Forbidden):
            await return_item(rt, someone, ref, "no")
        with pytest.raises(Forbidden):
            await dispatch_draft(rt, someone, ref)
    async with rt.db.session() as session:
        view = await load_item(session, ref, rt.clock.now(), rt.policy)
    assert view.status is ItemStatus.PENDING_APPROVAL
    assert await kinds(rt, ref) == ["registered", "submitted_for_approval"]
