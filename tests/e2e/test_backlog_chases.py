"""A backlog does not flood a phone, chases included (issue: consequences, point 7): a running
ledger of 120 items of two units moves in with nothing acknowledged, no plan (研究部署) and no
first feedback (首次反馈) sent, five days past the due date. ONE pass of the sweep then owes each
unit's contact and head the receipt chases (催签收) and the chases (催报) of every item, the
deputy leader and the office the notices that the chased reports are still missing, and everyone
the ladder. Through the real sender and the fake Bot API each person gets at most five messages
in all, every notification's line is in exactly one of them (the one recorded for it), and all
are recorded sent. A chase whose report comes before it is sent is cancelled, not listed."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.keys import SETTINGS
from bot.metrics import Metrics
from bot.outbox.composing import MAX_TEXT
from bot.outbox.sending import Deliverer
from bot.outbox.telegram import notification_bot
from domain.clock import FakeClock
from domain.text import visible_len
from domain.vocabulary import NotificationStatus, Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep
from storage.db import Database
from storage.models import Assignment, Item, Notification, Person
from testbench import FakeTelegram
from testbench.models import BotMessage
from tests.conftest import START, Bench, import_example_county
from tests.e2e.test_backlog_ladder import (
    PEOPLE,
    PER_UNIT,
    _bench,
    local,
    sections,
    shows,
    sweep_and_send,
    texts_of,
)
from tests.e2e.test_whole_loop import join_people, report

LISTED = ("receipt_chase", "duty_chase", "duty_notice", "escalation")


@pytest.fixture
async def backlog(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    async for started in _bench(database_url, clock, fake, tmp_path, per_unit=True):
        yield started


async def ledger_moved_in(bench: Bench, units: dict[str, int]) -> list[Item]:
    """Items of ``units`` (key: how many), dispatched on the first day; their dispatch notices
    put aside (sent long ago, as far as this test cares). Nothing is swept before the pass."""
    for unit, count in units.items():
        for number in range(count):
            draft = ItemDraft(
                title=f"{unit} 背街小巷环境卫生整治第{number + 1}段",
                body="",
                source=Source.MEETING,
                time_class=TimeClass.GENERAL,
                lead_unit=unit,
                leader="wang",
            )
            await register_item(
                bench.rt, Origin(None, via_api=True), draft, dispatch=True, dispatched_at=START
            )
    async with bench.rt.db.session() as session:
        await session.execute(
            update(Notification)
            .where(Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED)
        )
        await session.commit()
        return list(await session.scalars(select(Item).order_by(Item.id)))


async def test_one_pass_over_a_silent_ledger_reaches_each_person_in_a_few_messages(
    backlog: Bench,
) -> None:
    bench = backlog
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 55_000)
    items = await ledger_moved_in(bench, {"edu": PER_UNIT, "health": PER_UNIT})
    before = {key: len(user.messages) for key, user in users.items()}
    start = bench.clock.now()
    await sweep_and_send(bench)

    async with bench.rt.db.session() as session:
        rows = list(
            await session.scalars(
                select(Notification)
                .where(Notification.created_at > start)
                .order_by(Notification.id)
            )
        )
        people = {p.key: p.id for p in await session.scalars(select(Person))}
    joined = {people[key] for key in PEOPLE}
    mine_all = [r for r in rows if r.person_id in joined]
    kinds = Counter(r.kind for r in mine_all)
    # The pass owes every kind of the backlog: receipt chases, 催报, notices upward, the ladder.
    assert all(kinds[kind] >= 2 * PER_UNIT for kind in LISTED), kinds
    assert all(r.status == NotificationStatus.SENT and r.message_id for r in mine_all), Counter(
        (r.kind, str(r.status)) for r in mine_all if r.status != NotificationStatus.SENT
    )

    codes = {i.id: i.code for i in items}
    for key, user in users.items():
        sent = texts_of(user.messages[before[key] :])  # the morning digest counted too
        assert 1 <= len(sent) <= 5, (key, len(sent), Counter(r.kind for r in mine_all))
        assert all(visible_len(m.text) <= MAX_TEXT for m in sent)
        by_id = {m.message_id: m for m in sent}
        mine = [r for r in mine_all if r.person_id == people[key] and r.kind in LISTED]
        assert mine, key
        for row in mine:  # each notice is in the one message recorded for it, and in no other
            assert row.listing is not None, (key, row.kind)
            assert row.message_id in by_id, (key, row.kind, codes[row.item_id])
            assert shows(row.listing, by_id[row.message_id].text), (key, row.kind, row.listing)
            carried = [m for m in sent if shows(row.listing, m.text)]
            assert len(carried) == 1, (key, row.kind, codes[row.item_id])
        assert not any("第1级" in m.plain_text or "第2级" in m.plain_text for m in sent)

    # The words of the single messages, in lists: the contact is chased for its plans and first
    # feedbacks with how late each is, its head asked to see to it, the office told.
    lina = "\n".join(m.plain_text for m in texts_of(users["lina"].messages[before["lina"] :]))
    assert "尚未签收，请立即点击“签收”" in lina
    assert "催报：县教育局以下事项应报材料至今未报，请立即用 /report 报送" in lina
    assert "研究部署情况（11月24日到期，已逾期14天）" in lina
    assert "首次反馈（11月30日到期，已逾期8天）" in lina
    head = "\n".join(
        m.plain_text for m in texts_of(users["zhangjun"].messages[before["zhangjun"] :])
    )
    assert "请督促专人今日报送" in head and "至今未签收以下事项" in head
    office = "\n".join(m.plain_text for m in texts_of(users["qian"].messages[before["qian"] :]))
    assert "以下事项应报材料经催报仍未报送，请督促落实" in office
    # A long list opens the unit's items with its one button besides the overdue list's.
    labels = {
        b.text
        for m in texts_of(users["lina"].messages[before["lina"] :])
        for r in m.buttons
        for b in r
    }
    assert "📋 查看我的全部事项" in labels


async def test_a_chase_whose_report_came_before_it_is_sent_is_not_listed(backlog: Bench) -> None:
    bench = backlog
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina", "qian"], 56_000)
    items = await ledger_moved_in(bench, {"edu": 3})
    bench.clock.set(local(12, 8, 9))
    assert (await run_sweep(bench.rt)).failed == 0  # the chases queued, not sent yet
    lina, qian = users["lina"], users["qian"]
    # The first item's plan comes now, before the sender's turn.
    await report(lina, items[0].ref, "研究部署", "已召开专题会议研究部署。")
    before = {"lina": len(lina.messages), "qian": len(qian.messages)}
    bot = notification_bot(bench.app[SETTINGS])
    async with bot:
        await Deliverer(bench.rt, bot, Metrics()).deliver_until_idle(max_wait=120)

    async with bench.rt.db.session() as session:
        plan_rows = list(
            await session.scalars(
                select(Notification).where(
                    Notification.kind.in_(("duty_chase", "duty_notice")),
                    Notification.basis.like("owed:plan:%"),
                )
            )
        )
        joined = set(await session.scalars(select(Person.id).where(Person.key.in_(users))))
    answered = [r for r in plan_rows if r.item_id == items[0].id]
    assert answered and all(r.status == NotificationStatus.CANCELLED for r in answered)
    assert all(
        r.status == NotificationStatus.SENT
        for r in plan_rows
        if r.item_id != items[0].id and r.person_id in joined
    )
    chased = chase_lines(lina.messages[before["lina"] :], "催报")
    assert not any(items[0].code in line and "研究部署" in line for line in chased), chased
    assert any(items[0].code in line and "首次反馈" in line for line in chased)  # still owed
    assert all(any(i.code in line and "研究部署" in line for line in chased) for i in items[1:])
    told = chase_lines(qian.messages[before["qian"] :], "经催报仍未报送")
    assert not any(items[0].code in line and "研究部署" in line for line in told), told
    assert all(any(i.code in line and "研究部署" in line for line in told) for i in items[1:])


def chase_lines(messages: list[BotMessage], words: str) -> list[str]:
    """The lines listed under the headings that say ``words``."""
    return [
        line
        for m in texts_of(messages)
        for heading, lines in sections(m.text).items()
        if words in heading
        for line in lines
    ]


async def test_acknowledging_from_a_list_keeps_the_list(backlog: Bench) -> None:
    """A few items' receipt chases and plan reminders to one contact at once: one message, a
    row of buttons per item; 签收 on one item acknowledges it and takes only its row away."""
    bench = backlog
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina"], 57_000)
    items = await ledger_moved_in(bench, {"edu": 3})
    lina = users["lina"]
    before = len(lina.messages)
    bench.clock.set(local(11, 24, 9))
    assert (await run_sweep(bench.rt)).failed == 0
    bot = notification_bot(bench.app[SETTINGS])
    async with bot:
        await Deliverer(bench.rt, bot, Metrics()).deliver_until_idle(max_wait=60)
    sent = [m for m in texts_of(lina.messages[before:]) if not m.plain_text.startswith("☀️")]
    assert len(sent) == 1, [m.plain_text for m in sent]
    notice = sent[0]
    headings = list(sections(notice.text))
    assert any("尚未签收" in h for h in headings) and any("按期报送" in h for h in headings)
    assert [[b.text for b in row] for row in notice.buttons] == [
        [f"{i.ref} · ✅ 签收", f"{i.ref} · 详情"] for i in items
    ]
    text = notice.text
    await lina.press(notice, f"{items[1].ref} · ✅ 签收")
    await lina.wait_edit(notice, timeout=10)
    assert notice.text == text  # the list stays as it was
    assert [row[0].text for row in notice.buttons] == [
        f"{i.ref} · ✅ 签收" for i in (items[0], items[2])
    ]
    async with bench.rt.db.session() as session:
        acknowledged = {
            item_id: at
            for item_id, at in await session.execute(
                select(Assignment.item_id, Assignment.acknowledged_at)
            )
        }
    assert acknowledged[items[1].id] is not None
    assert acknowledged[items[0].id] is None and acknowledged[items[2].id] is None
