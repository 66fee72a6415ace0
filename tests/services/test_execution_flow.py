"""The execution services on a real database: receipt, reports, head sign-off, the office's
decisions, extensions, follow-up and rectification, instructions, lists."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from domain.dates import date_in
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.views import ItemView
from domain.vocabulary import AssignmentStatus, ItemStatus, ReportKind, Source, TimeClass
from services import decisions, execution, follow_up, reports
from services.actors import Actor, load_actor
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from services.views import load_item, timeline
from storage.models import Attachment, Notification, Person, Report

API = Origin(None, via_api=True)


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 64))
    image.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(4096)]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def actor(rt: Runtime, key: str) -> Actor:
    async with rt.db.session() as session:
        person = await session.scalar(select(Person).where(Person.key == key))
        assert person is not None
        return await load_actor(session, person)


async def new_item(rt: Runtime, *, co: tuple[str, ...] = ("health",)) -> ItemView:
    draft = ItemDraft(
        title="推进校园安全隐患排查整治",
        body="全面排查全县中小学校舍安全隐患。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        co_units=co,
    )
    return await register_item(rt, API, draft, dispatch=True)


async def kinds(rt: Runtime, ref: str) -> list[str]:
    async with rt.db.session() as session:
        item = await load_item(session, ref, rt.clock.now(), rt.policy)
        return [entry.kind for entry in await timeline(session, item.id)]


async def notices(rt: Runtime, kind: str) -> list[Notification]:
    async with rt.db.session() as session:
        return list(await session.scalars(select(Notification).where(Notification.kind == kind)))


async def test_acknowledge_moves_item_and_is_idempotent(county: Runtime) -> None:
    view = await new_item(county)
    lina = await actor(county, "lina")
    lead = view.lead
    assert lead is not None
    done = await execution.acknowledge(county, lina, lead.id)
    assert not done.already and done.item.status is ItemStatus.IN_PROGRESS
    assert done.assignment.acknowledged_by is not None
    assert done.assignment.acknowledged_by.key == "lina"
    again = await execution.acknowledge(county, lina, lead.id)
    assert again.already
    assert (await kinds(county, view.ref)).count("acknowledged") == 1
    with pytest.raises(Forbidden):
        await execution.acknowledge(county, await actor(county, "caomin"), lead.id)


async def test_report_with_photos_reaches_the_office(county: Runtime) -> None:
    view = await new_item(county)
    lina = await actor(county, "lina")
    files = [reports.EvidenceFile(photo(i), f"p{i}.png", "image/png") for i in range(3)]
    done = await reports.submit_report(
        county, lina, view.ref, ReportKind.PROGRESS, "已完成 12 所学校排查", files
    )
    assert done.item.status is ItemStatus.IN_PROGRESS  # the report was also the receipt
    async with county.db.session() as session:
        assert await session.scalar(select(func.count(Report.id))) == 1
        count = await session.scalar(
            select(func.count(Attachment.id)).where(Attachment.report_id == done.report_id)
        )
        assert count == 3
    office = await notices(county, "report")
    assert sorted(n.person_id or 0 for n in office) == sorted(
        [p.person_id for p in [await actor(county, k) for k in ("qian", "zhoujian", "wuting")]]
    )
    assert "12 所学校" in office[0].text
    assert await kinds(county, view.ref) == ["registered", "dispatched", "acknowledged", "reported"]


async def test_whole_loop_with_co_unit(county: Runtime) -> None:
    view = await new_item(county)
    lina, caomin = await actor(county, "lina"), await actor(county, "caomin")
    zhangjun, qian = await actor(county, "zhangjun"), await actor(county, "qian")
    office = Origin(qian)
    await reports.submit_report(county, caomin, view.ref, ReportKind.PROGRESS, "配合完成体检")
    # Extension: the date must be later than the current due date.
    with pytest.raises(InvalidInput):
        await reports.submit_report(county, lina, view.ref, ReportKind.EXTENSION, "无日期")
    new_due = (view.due or date.today()) + timedelta(days=20)
    ext = await reports.submit_report(
        county,
        lina,
        view.ref,
        ReportKind.EXTENSION,
        f"申请延期至 {new_due.isoformat()}，计划分三步",
    )
    approved = await decisions.decide_extension(county, office, ext.report_id, approve=True)
    assert approved.due == new_due
    with pytest.raises(Conflict):
        await decisions.decide_extension(county, office, ext.report_id, approve=False, reason="x")
    done = await reports.submit_report(county, lina, view.ref, ReportKind.COMPLETION, "全部整改")
    assert (await notices(county, "confirm_request"))[0].person_id == zhangjun.person_id
    with pytest.raises(Forbidden):
        await decisions.confirm_completion(county, lina, done.report_id)
    confirmed = await decisions.confirm_completion(county, zhangjun, done.report_id)
    assert confirmed.status is ItemStatus.COMPLETION_SUBMITTED
    returned = await decisions.return_completion(county, office, view.ref, "照片不清")
    assert returned.status is ItemStatus.IN_PROGRESS
    again = await reports.submit_report(county, lina, view.ref, ReportKind.COMPLETION, "补充")
    await decisions.confirm_completion(county, zhangjun, again.report_id)
    follow = county.clock.now().astimezone(county.tz).date() + timedelta(days=30)
    closed = await decisions.close_item(county, office, view.ref, follow_up_on=follow)
    assert closed.status is ItemStatus.CLOSED and closed.follow_up_on == follow
    assert all(a.status is AssignmentStatus.COMPLETED for a in closed.assignments)
    (check,) = [n for n in await notices(county, "follow_up") if n.person_id == qian.person_id]
    assert check.not_before.astimezone(county.tz).date() == follow
    assert check.not_before.astimezone(county.tz).hour == 9
    reopened = await follow_up.reopen_item(
        county, office, view.ref, follow + timedelta(days=30), "回潮"
    )
    assert reopened.status is ItemStatus.IN_PROGRESS and reopened.closed_at is None
    assert all(a.status is AssignmentStatus.IN_PROGRESS for a in reopened.assignments)
    assert reopened.due == follow + timedelta(days=30)
    steps = await kinds(county, view.ref)
    for step in (
        "extension_requested",
        "extension_approved",
        "completion_submitted",
        "confirmed",
        "returned",
        "closed",
        "follow_up_set",
        "reopened",
    ):
        assert step in steps


async def test_instruction_and_lists(county: Runtime) -> None:
    view = await new_item(county)
    await new_item(county, co=())
    wang, chen = await actor(county, "wang"), await actor(county, "chen")
    await execution.instruct(county, wang, view.ref, "抓紧落实")
    with pytest.raises(Forbidden):
        await execution.instruct(county, chen, view.ref, "越权")
    with pytest.raises(Forbidden):
        await execution.instruct(county, await actor(county, "lina"), view.ref, "越权")
    recipients = {n.person_id for n in await notices(county, "instruction")}
    assert (await actor(county, "lina")).person_id in recipients
    assert (await actor(county, "huangwei")).person_id in recipients
    assert (await execution.list_items(county, wang)).total == 2
    assert (await execution.list_items(county, chen)).total == 0
    assert (await execution.list_items(county, await actor(county, "caomin"))).total == 1
    assert (await execution.list_items(county, await actor(county, "qian"))).total == 2
    assert (await execution.list_items(county, wang, overdue=True)).total == 0
    county.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    assert (await execution.list_items(county, wang, overdue=True)).total == 2
    with pytest.raises(Forbidden):
        await execution.item_card(county, chen, view.ref)


async def test_head_declines_then_reports_completion_itself(county: Runtime) -> None:
    view = await new_item(county)
    lina, zhangjun = await actor(county, "lina"), await actor(county, "zhangjun")
    caomin, huangwei = await actor(county, "caomin"), await actor(county, "huangwei")
    done = await reports.submit_report(county, lina, view.ref, ReportKind.COMPLETION, "办结")
    with pytest.raises(InvalidInput):
        await decisions.decline_completion(county, zhangjun, done.report_id, "  ")
    declined = await decisions.decline_completion(county, zhangjun, done.report_id, "数据不全")
    assert declined.lead is not None and declined.lead.status is AssignmentStatus.IN_PROGRESS
    (back,) = await notices(county, "declined")
    assert back.person_id == lina.person_id and "数据不全" in back.text
    # A co-unit's completion is confirmed but does not move the item.
    co = await reports.submit_report(county, caomin, view.ref, ReportKind.COMPLETION, "配合完毕")
    confirmed = await decisions.confirm_completion(county, huangwei, co.report_id)
    assert confirmed.status is ItemStatus.IN_PROGRESS
    # The head reporting completion confirms it at once: the item goes to the office.
    own = await reports.submit_report(county, zhangjun, view.ref, ReportKind.COMPLETION, "已办结")
    assert own.item.status is ItemStatus.COMPLETION_SUBMITTED
    completions = await notices(county, "completion")
    assert any("已办结" in n.text for n in completions)
    with pytest.raises(Conflict):
        await decisions.confirm_completion(county, zhangjun, own.report_id)
    closed = await decisions.close_item(county, Origin(await actor(county, "qian")), view.ref)
    assert [a.status for a in closed.assignments] == [AssignmentStatus.COMPLETED] * 2
    with pytest.raises(Conflict):
        await reports.submit_report(county, lina, view.ref, ReportKind.PROGRESS, "关后再报")


def test_an_extension_request_s_date_is_read_from_its_text() -> None:
    today = date(2026, 12, 3)
    assert date_in("申请延期至2026年12月31日，计划", today) == date(2026, 12, 31)
    assert date_in("to 2027/1/5 then", today) == date(2027, 1, 5)
    assert date_in("2026-02-30 2026-03-01", today) == date(2026, 3, 1)
    assert date_in("延期至1月5日", today) == date(2027, 1, 5)
    assert date_in("下个月", today) is None
