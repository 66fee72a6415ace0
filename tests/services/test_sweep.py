"""The sweep: which reminders and escalations come when, to whom, once — on the real database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from domain.clock import FakeClock
from domain.vocabulary import NotificationStatus, ReportKind, Source, TimeClass
from services import reports
from services.items import ItemDraft, Origin, register_item
from services.outbox import claims, outcomes
from services.runtime import Runtime
from services.sweep import run_sweep
from services.views import find_item
from storage.models import Counter, Item, Notification, Person, TimelineEvent
from tests.conftest import SHANGHAI
from tests.services.test_execution_flow import actor


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


async def new_item(rt: Runtime, title: str = "整治县城背街小巷环境卫生", **kw: object) -> str:
    draft = ItemDraft(
        title=title,
        body="",
        source=Source.MEETING,
        time_class=kw.pop("time_class", TimeClass.GENERAL),  # type: ignore[arg-type]
        lead_unit=str(kw.pop("lead_unit", "edu")),
        co_units=tuple(kw.pop("co_units", ())),  # type: ignore[arg-type]
        due=kw.pop("due", None),  # type: ignore[arg-type]
    )
    view = await register_item(rt, Origin(None, via_api=True), draft, dispatch=True)
    return view.ref


async def queued(rt: Runtime, *, since: int = 0) -> list[tuple[str, str, int, datetime]]:
    """(person key, kind, level, not_before local) of sweep notifications with id > since."""
    async with rt.db.session() as session:
        rows = await session.execute(
            select(Person.key, Notification.kind, Notification.level, Notification.not_before)
            .join(Person, Person.id == Notification.person_id)
            .where(
                Notification.id > since,
                Notification.kind.not_in(
                    ["dispatch", "dispatch_copy", "dispatch_leader_copy", "digest"]
                ),
            )
            .order_by(Notification.id)
        )
        return [(k, kind, lvl, nb.astimezone(SHANGHAI)) for k, kind, lvl, nb in rows]


async def last_id(rt: Runtime) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.max(Notification.id))) or 0)


async def at(
    rt: Runtime, clock: FakeClock, moment: datetime
) -> list[tuple[str, str, int, datetime]]:
    """Move the clock to ``moment``, sweep twice; what the first sweep queued."""
    clock.set(moment)
    before = await last_id(rt)
    await run_sweep(rt)
    again = await run_sweep(rt)
    assert again.reminders == again.escalations == 0
    return await queued(rt, since=before)


OFFICE = ["qian", "zhoujian", "wuting"]


async def test_a_whole_life_reminders_then_the_ladder(county: Runtime, clock: FakeClock) -> None:
    rt = county
    ref = await new_item(rt)  # dispatched Mon 23 Nov 09:00, due Thu 3 Dec (10 days)
    assert await at(rt, clock, local(11, 23, 9, 1)) == []
    assert await at(rt, clock, local(11, 24, 8, 59)) == []
    # Receipt still missing 24 h after dispatch: the contact; 48 h: the unit head. The plan
    # (研究部署, by Tue 24 Nov) is reminded on its day, chased to contact and head the next
    # working day, told to the deputy leader and the office 2 working days later.
    assert await at(rt, clock, local(11, 24, 9, 0)) == [
        ("lina", "receipt_chase", 0, local(11, 24, 9)),
        ("lina", "duty_reminder", 0, local(11, 24, 9)),
    ]
    assert await at(rt, clock, local(11, 25, 9, 0)) == [
        ("zhangjun", "receipt_chase", 0, local(11, 25, 9)),
        ("lina", "duty_chase", 0, local(11, 25, 9)),
        ("zhangjun", "duty_chase", 0, local(11, 25, 9)),
    ]
    assert await at(rt, clock, local(11, 27, 9, 0)) == [
        (who, "duty_notice", 0, local(11, 27, 9)) for who in ["wang", *OFFICE]
    ]
    # The first feedback (首次反馈, by Mon 30 Nov): reminded the day before.
    assert await at(rt, clock, local(11, 29, 9, 0)) == [
        ("lina", "duty_reminder", 0, local(11, 29, 9))
    ]
    # Due in 3 days, 1 day, on the day, at 09:00: the contact; the feedback chased on Tue 1 Dec
    # and told upward on Thu 3 Dec.
    assert await at(rt, clock, local(11, 30, 8, 0)) == []
    assert await at(rt, clock, local(11, 30, 9, 0)) == [("lina", "before_due", 0, local(11, 30, 9))]
    assert await at(rt, clock, local(12, 1, 9, 0)) == [
        (who, "duty_chase", 0, local(12, 1, 9)) for who in ["lina", "zhangjun"]
    ]
    assert await at(rt, clock, local(12, 2, 9, 0)) == [("lina", "before_due", 0, local(12, 2, 9))]
    assert await at(rt, clock, local(12, 3, 9, 0)) == [
        ("lina", "before_due", 0, local(12, 3, 9)),
        *[(who, "duty_notice", 0, local(12, 3, 9)) for who in ["wang", *OFFICE]],
    ]
    # Overdue from midnight; quiet hours hold level 1 until 08:00.
    assert await at(rt, clock, local(12, 3, 23, 59)) == []
    assert await at(rt, clock, local(12, 4, 0, 0)) == []
    assert await at(rt, clock, local(12, 4, 7, 59)) == []
    level1 = await at(rt, clock, local(12, 4, 8, 0))
    assert level1 == [(who, "escalation", 1, local(12, 4, 8)) for who in ["wang", *OFFICE]]
    # Level 2 (due + 3 days): numbered urging notice to head and contact, the office told.
    level2 = await at(rt, clock, local(12, 7, 8, 5))
    assert level2 == [
        (who, "escalation", 2, local(12, 7, 8)) for who in ["zhangjun", "lina", *OFFICE]
    ]
    # Level 3 (due + 7 days): the principal and the office; a formal inspection item.
    level3 = await at(rt, clock, local(12, 11, 8, 30))
    assert level3 == [(who, "escalation", 3, local(12, 11, 8)) for who in ["zhao", *OFFICE]]
    assert await at(rt, clock, local(12, 31, 9, 0)) == []
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assert item.inspection is True
        assert item.next_check_at is None  # nothing ahead: not looked at again
        notice = await session.scalar(
            select(Notification.text).where(
                Notification.kind == "escalation", Notification.level == 2
            )
        )
        assert notice is not None and "催〔2026〕1号" in notice
        counter = await session.get(Counter, ("urging", 2026))
        assert counter is not None and counter.value == 1
        kinds = list(
            await session.scalars(
                select(TimelineEvent.kind).where(TimelineEvent.item_id == item.id)
            )
        )
    assert kinds.count("reminded") == 7
    assert kinds.count("chased") == 4
    assert kinds.count("escalated") == 3
    assert kinds.count("urging_notice") == 1
    assert kinds.count("inspection_item") == 1


async def test_level_counts_what_was_delivered(county: Runtime, clock: FakeClock) -> None:
    rt = county
    ref = await new_item(rt, due=local(11, 25).date())
    clock.set(local(11, 26, 9))
    await run_sweep(rt)
    async with rt.db.session() as session:
        assert (await find_item(session, ref)).escalation_level == 0  # queued, not sent
    claimed = await claims.claim(rt, limit=100, lease=timedelta(minutes=1))
    level1 = [o for o in claimed if o.kind == "escalation"]
    assert len(level1) == 4
    await outcomes.mark_sent(rt, level1[:1], message_id=1)
    async with rt.db.session() as session:
        assert (await find_item(session, ref)).escalation_level == 1


async def test_closing_stops_and_new_due_date_restarts(county: Runtime, clock: FakeClock) -> None:
    rt = county
    ref = await new_item(rt, due=local(11, 25).date())
    clock.set(local(11, 26, 9))
    await run_sweep(rt)
    # An approved extension: a new due date (as the execution service sets it).
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.due_date = local(12, 10).date()
        item.due_at = local(12, 11) - timedelta(microseconds=1)
        await session.commit()
    # The old level-1 notices still waiting are not sent: their due date is gone.
    claimed = await claims.claim(rt, limit=100, lease=timedelta(minutes=1))
    assert [o.kind for o in claimed if o.kind == "escalation"] == []
    before = await last_id(rt)
    clock.set(local(12, 7, 9))
    await run_sweep(rt)
    kinds = [k for _, k, _, _ in await queued(rt, since=before)]
    assert [k for k in kinds if not k.startswith("duty_")] == ["before_due"]
    # The plan and first feedback keep their dates (an extension moves the due date only):
    # still missing, the feedback's chase and both notices, which fell after the old due date,
    # now come before the new one.
    assert sorted(set(kinds) - {"before_due"}) == ["duty_chase", "duty_notice"]
    before = await last_id(rt)
    clock.set(local(12, 11, 9))
    await run_sweep(rt)
    assert {(k, lvl) for _, k, lvl, _ in await queued(rt, since=before)} == {("escalation", 1)}
    # Closing: the sweep drops the item.
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        item.status = "closed"
        await session.commit()
    before = await last_id(rt)
    clock.set(local(12, 20, 9))
    result = await run_sweep(rt)
    assert await queued(rt, since=before) == []
    assert result.items_checked == 1
    async with rt.db.session() as session:
        assert (await find_item(session, ref)).next_check_at is None
        cancelled = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.status == NotificationStatus.CANCELLED)
        )
    assert cancelled == 4


async def test_a_pass_reads_only_what_is_due(county: Runtime, clock: FakeClock) -> None:
    rt = county
    for number in range(30):
        await new_item(rt, title=f"事项{number}")
    clock.set(local(11, 23, 9, 30))
    first = await run_sweep(rt)
    assert first.items_checked == 30  # each new item is planned once
    clock.set(local(11, 23, 10, 0))
    assert (await run_sweep(rt)).items_checked == 0  # nothing due: nothing read
    clock.set(local(11, 24, 9, 0))
    assert (await run_sweep(rt)).items_checked == 30  # receipt chasing is due for each


async def test_morning_digest_one_message_per_contact(county: Runtime, clock: FakeClock) -> None:
    rt = county
    clock.set(local(11, 22, 9))
    await new_item(rt, title="甲", lead_unit="health")
    await new_item(rt, title="乙", lead_unit="health", co_units=("edu",))
    clock.set(local(11, 23, 8, 0))
    assert (await run_sweep(rt)).digests == 0
    clock.set(local(11, 23, 8, 30))
    assert (await run_sweep(rt)).digests == 3  # caomin, pengqiang (health), lina (edu)
    assert (await run_sweep(rt)).digests == 0
    async with rt.db.session() as session:
        text = await session.scalar(
            select(Notification.text)
            .join(Person, Person.id == Notification.person_id)
            .where(Notification.kind == "digest", Person.key == "caomin")
        )
    assert text is not None and "甲" in text and "乙" in text


async def test_extension_resets_level_but_keeps_inspection(
    county: Runtime, clock: FakeClock
) -> None:
    rt = county
    ref = await new_item(rt, due=local(11, 25).date())
    clock.set(local(12, 3, 9))
    await run_sweep(rt)
    claimed = await claims.claim(rt, limit=100, lease=timedelta(minutes=1))
    await outcomes.mark_sent(rt, [o for o in claimed if o.kind == "escalation"], message_id=1)
    async with rt.db.session() as session:
        item = await find_item(session, ref)
        assert (item.escalation_level, item.inspection) == (3, True)
        item.due_date = local(12, 20).date()
        item.due_at = local(12, 21) - timedelta(microseconds=1)
        await session.commit()
    await run_sweep(rt)
    async with rt.db.session() as session:
        item = await session.get_one(Item, item.id)
        assert (item.escalation_level, item.inspection) == (0, True)


async def test_a_queued_chase_is_dropped_once_the_plan_comes(
    county: Runtime, clock: FakeClock
) -> None:
    rt = county
    ref = await new_item(rt)  # plan due Tue 24 Nov
    chases = await at(rt, clock, local(11, 25, 9, 0))
    assert [who for who, kind, _, _ in chases if kind == "duty_chase"] == ["lina", "zhangjun"]
    # The plan comes before the sender takes the chases: they are cancelled, not sent; the
    # report is marked late on the timeline.
    await reports.submit_report(rt, await actor(rt, "lina"), ref, ReportKind.PLAN, "已研究部署")
    claimed = await claims.claim(rt, limit=100, lease=timedelta(minutes=1))
    assert [o.kind for o in claimed if o.kind.startswith("duty_")] == []
    async with rt.db.session() as session:
        states = list(
            await session.scalars(
                select(Notification.status).where(Notification.kind == "duty_chase")
            )
        )
        late = await session.scalar(
            select(TimelineEvent.data).where(TimelineEvent.kind == "reported")
        )
    assert states == [NotificationStatus.CANCELLED] * 2
    assert late is not None and late["late"] == [{"duty": "plan", "by": "2026-11-24"}]
    # Nothing of the plan comes again; the first feedback is still owed.
    assert await at(rt, clock, local(11, 27, 9, 0)) == []
    assert [k for _, k, _, _ in await at(rt, clock, local(11, 29, 9, 0))] == ["duty_reminder"]
