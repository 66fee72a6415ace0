"""Authority (issue 3, item 12): every execution action attempted through the fake Bot API by
every role that must not do it is refused with a clear answer, and the database is unchanged.

Buttons are "pressed" with forged callback data on a message in the person's own chat, which is
what a button forwarded, copied or pressed by the wrong person amounts to. Stale and malformed
data and unknown item numbers are refused the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from domain.vocabulary import ReportKind, Source, TimeClass
from services import decisions, reports
from services.actors import Actor, load_actor
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from storage.models import (
    Assignment,
    ChatPrompt,
    Item,
    Notification,
    Person,
    Report,
    ReportDraft,
    TimelineEvent,
)
from testbench import FakeUser
from tests.conftest import Bench, import_example_county
from tests.e2e.test_whole_loop import join_people

API = Origin(None, via_api=True)
PEOPLE = [
    "qian",  # supervisor (督查室)
    "zhao",  # principal leader
    "wang",  # deputy leader of edu and health, the items' leader
    "chen",  # another deputy leader
    "lina",  # edu contact (lead unit)
    "zhangjun",  # edu head
    "caomin",  # health contact (co-unit)
    "huangwei",  # health head
    "xupeng",  # transport contact (not assigned)
    "linfeng",  # transport head
]
STRANGER = "stranger"
SORRY = "出现了问题"  # the error handler's apology (texts: "Something went wrong")
DELIVERY = ("unreachable", "delivery_failed")
EXECUTION_NOTICES = (
    "report",
    "extension_request",
    "confirm_request",
    "completion",
    "declined",
    "returned",
    "closed",
    "extension_decided",
    "follow_up",
    "reopened",
    "instruction",
)


async def actor(rt: Runtime, key: str) -> Actor:
    async with rt.db.session() as session:
        person = await session.scalar(select(Person).where(Person.key == key))
        assert person is not None
        return await load_actor(session, person)


async def item(rt: Runtime, title: str) -> str:
    draft = ItemDraft(
        title=title,
        body="",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        co_units=("health",),
        leader="wang",
    )
    return (await register_item(rt, API, draft, dispatch=True)).ref


async def snapshot(rt: Runtime) -> dict[str, Any]:
    """Everything an action could change."""
    async with rt.db.session() as session:
        counts = {
            table.__tablename__: await session.scalar(select(func.count()).select_from(table))
            for table in (Report, ReportDraft, ChatPrompt)
        }
        # Notifications an execution action queues (the delivery worker reroutes others).
        counts["notifications"] = await session.scalar(
            select(func.count(Notification.id)).where(Notification.kind.in_(EXECUTION_NOTICES))
        )
        # The delivery worker notes unreachable people (not all have joined) as it goes.
        counts["timeline"] = await session.scalar(
            select(func.count(TimelineEvent.id)).where(TimelineEvent.kind.not_in(DELIVERY))
        )
        items = list(
            await session.execute(
                select(Item.ref, Item.status, Item.due_date, Item.closed_at, Item.follow_up_on)
            )
        )
        assignments = list(
            await session.execute(
                select(Assignment.id, Assignment.status, Assignment.acknowledged_at)
            )
        )
        reports = list(await session.execute(select(Report.id, Report.status)))
    return {"counts": counts, "items": items, "assignments": assignments, "reports": reports}


@dataclass
class Matrix:
    """Items in every state where an action is possible, and who may do each action."""

    users: dict[str, FakeUser]
    table: list[tuple[str, str, set[str]]]
    fresh: str
    r_ext: int


async def matrix(bench: Bench) -> Matrix:
    """The example county, its people joined (and a stranger), one item per actionable state."""
    rt = bench.rt
    await import_example_county(rt)
    users = await join_people(bench, PEOPLE, 50_000)
    stranger = bench.fake.user(59_999, "路人")
    await stranger.send_text("/start")
    await stranger.wait_message(timeout=10)
    users[STRANGER] = stranger
    lina, zhangjun = await actor(rt, "lina"), await actor(rt, "zhangjun")
    office = Origin(await actor(rt, "qian"))

    # One item in each state where an action is possible.
    fresh = await item(rt, "未签收事项")
    awaiting_head = await item(rt, "待核签事项")
    r_head = await reports.submit_report(rt, lina, awaiting_head, ReportKind.COMPLETION, "办结")
    with_office = await item(rt, "待销号事项")
    r_office = await reports.submit_report(rt, lina, with_office, ReportKind.COMPLETION, "办结")
    await decisions.confirm_completion(rt, zhangjun, r_office.report_id)
    extension = await item(rt, "延期待批事项")
    r_ext = await reports.submit_report(
        rt, lina, extension, ReportKind.EXTENSION, "申请延期至 2027-01-20，计划如下"
    )
    followed = await item(rt, "回头看事项")
    r_done = await reports.submit_report(rt, lina, followed, ReportKind.COMPLETION, "办结")
    await decisions.confirm_completion(rt, zhangjun, r_done.report_id)
    follow_on = rt.clock.now().astimezone(rt.tz).date() + timedelta(days=30)
    await decisions.close_item(rt, office, followed, follow_up_on=follow_on)
    async with rt.db.session() as session:
        lead_of_fresh = await session.scalar(
            select(Assignment.id)
            .join(Item, Item.id == Assignment.item_id)
            .where(Item.ref == fresh, Assignment.role == "lead")
        )

    unit_people = {"lina", "zhangjun", "caomin", "huangwei"}
    table: list[tuple[str, str, set[str]]] = [
        ("acknowledge", f"ack:{lead_of_fresh}", {"lina"}),
        ("report", f"rep:{fresh}:progress", unit_people),
        ("report menu", f"rep:{fresh}:start", unit_people),
        ("confirm", f"cnf:{r_head.report_id}", {"zhangjun"}),
        ("decline", f"dcl:{r_head.report_id}", {"zhangjun"}),
        ("close", f"cls:{with_office}", {"qian"}),
        ("return", f"ret:{with_office}", {"qian"}),
        ("approve extension", f"exy:{r_ext.report_id}", {"qian"}),
        ("refuse extension", f"exn:{r_ext.report_id}", {"qian"}),
        ("follow-up ok", f"fup:{followed}:ok", {"qian"}),
        ("follow-up reopen", f"fup:{followed}:reopen", {"qian"}),
        ("set follow-up", f"fup:{followed}:3m", {"qian"}),
        ("instruct", f"ins:{fresh}", {"wang", "zhao"}),
    ]
    return Matrix(users, table, fresh, r_ext.report_id)


async def test_every_action_refused_to_every_role_that_must_not(bench: Bench) -> None:
    rt = bench.rt
    m = await matrix(bench)
    users, table, fresh = m.users, m.table, m.fresh
    refused = 0
    for action, data, allowed in table:
        for key, user in users.items():
            if key in allowed:
                continue
            before = await snapshot(rt)
            await user.press_data(user.last, data)
            answer = await user.wait_callback_answer(timeout=10)
            assert answer.show_alert and answer.text, (action, key, answer)
            assert SORRY not in answer.text, (action, key, answer.text)
            assert await snapshot(rt) == before, (action, key)
            refused += 1
    assert refused > 80

    # Stale, forged and malformed data, and unknown numbers: refused, nothing changes.
    qian = users["qian"]
    for data in (
        "ack:999999",
        "cls:2026-999",
        f"rep:{fresh}:bogus",
        "exy:abc",
        "cnf:999999",
        "zzz:1",
        "fup:2026-1:explode",
        "pg:secret:1",
        "ack",
    ):
        before = await snapshot(rt)
        await qian.press_data(qian.last, data)
        answer = await qian.wait_callback_answer(timeout=10)
        assert answer.show_alert and answer.text and SORRY not in answer.text, (data, answer)
        assert await snapshot(rt) == before, data
    for user, command in (
        (qian, "/item 2026-999"),
        (users["lina"], "/report 2026-999"),
        (users["xupeng"], f"/report {fresh}"),
        (users["chen"], f"/item {fresh}"),
    ):
        before = await snapshot(rt)
        await user.send_text(command)
        reply = await user.wait_message(timeout=10)
        assert reply.plain_text and SORRY not in reply.plain_text, (command, reply.plain_text)
        assert await snapshot(rt) == before, command

    # The right people can still act: a decision already taken is not taken twice.
    await qian.press_data(qian.last, f"exy:{m.r_ext}")
    assert "已同意延期" in ((await qian.wait_callback_answer(timeout=10)).text or "")
    before = await snapshot(rt)
    await qian.press_data(qian.last, f"exy:{m.r_ext}")
    answer = await qian.wait_callback_answer(timeout=10)
    assert answer.show_alert and "已处理" in (answer.text or "")
    assert await snapshot(rt) == before
