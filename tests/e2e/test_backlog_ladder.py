"""A backlog does not flood a phone (issue: consequences, point 7): 120 items of two units five
days overdue at once reach ladder levels 1 and 2 in one pass. Through the real sender and the
fake Bot API, each person gets at most five messages, each item's notice is in exactly one of
them, every notification is recorded sent once with the message that carried it, and the items'
escalation levels follow what was delivered. Each unit gets ONE numbered urging notice listing
its 60 items; the policy may ask for one per item instead."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from docx import Document as open_docx
from sqlalchemy import select, update

from bot.app import Options
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
from storage.models import Document, Item, Notification, Person
from testbench import FakeTelegram
from testbench.models import BotMessage
from tests.conftest import SHANGHAI, Bench, bench_settings, import_example_county, running
from tests.e2e.test_whole_loop import join_people

PEOPLE = [
    "qian",
    "zhoujian",
    "wuting",
    "wang",
    "zhangjun",
    "lina",
    "huangwei",
    "caomin",
    "pengqiang",
]
PER_UNIT = 60


def local(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def _bench(
    database_url: str, clock: FakeClock, fake: FakeTelegram, tmp_path: Path, per_unit: bool
) -> AsyncIterator[Bench]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"documents": {"urging_per_unit": per_unit}}))
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    # No delivery worker of its own: the test runs the sender as `duban sweep` does, so that
    # the dispatch notices of the setup can be put aside first.
    async with running(settings, clock, fake, Options(pdf=False, delivery=False)) as started:
        yield started


@pytest.fixture
async def backlog(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    async for started in _bench(database_url, clock, fake, tmp_path, per_unit=True):
        yield started


@pytest.fixture
async def backlog_per_item(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    async for started in _bench(database_url, clock, fake, tmp_path, per_unit=False):
        yield started


async def overdue_items(bench: Bench, units: dict[str, int]) -> list[Item]:
    """Items of ``units`` (key: how many), dispatched on the first day; their dispatch notices
    put aside (sent long ago, as far as this test cares)."""
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
            await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    # The reminders and chases before the due date are out of this test's scope (a pass over a
    # silent ledger, chases and ladder at once: ``test_backlog_chases``): a pass on the due day
    # queues them, and they are put aside with the dispatch notices.
    bench.clock.set(local(12, 3, 12))
    await run_sweep(bench.rt)
    async with bench.rt.db.session() as session:
        await session.execute(
            update(Notification)
            .where(Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED)
        )
        await session.commit()
        return list(await session.scalars(select(Item).order_by(Item.id)))


async def sweep_and_send(bench: Bench) -> None:
    """One pass five days after the due date, and the sender until nothing is left."""
    bench.clock.set(local(12, 8, 9))
    result = await run_sweep(bench.rt)
    assert result.failed == 0
    bot = notification_bot(bench.app[SETTINGS])
    async with bot:
        await Deliverer(bench.rt, bot, Metrics()).deliver_until_idle(max_wait=300)


def texts_of(messages: list[BotMessage]) -> list[BotMessage]:
    return [m for m in messages if m.document is None]


def sections(text: str) -> dict[str, list[str]]:
    """The lines of a listed message under each heading."""
    found: dict[str, list[str]] = {}
    for section in text.split("\n\n"):
        heading, *lines = section.split("\n")
        found.setdefault(heading, []).extend(lines)
    return found


def shows(listing: dict[str, str], text: str) -> bool:
    """Whether a message shows a listed notice: under its heading, a line that names its item
    (in full, or by its short name once named above) and says what the notice says of it."""
    line, name, tag = listing["line"], listing.get("name", ""), listing.get("tag", "")
    said = line[len(name) + 3 :] if name else line
    for shown in sections(text).get(listing["heading"], []):
        if shown == line:
            return True
        first, *rest = shown.split(" · ")
        if name and first in (name, tag) and said in " · ".join(rest).split(" · "):
            return True
    return False


def notices(messages: list[BotMessage]) -> list[BotMessage]:
    """The ladder's messages (not the files, not the morning digest that ends the pass)."""
    return [m for m in texts_of(messages) if not m.plain_text.startswith("☀️")]


async def test_a_backlog_reaches_each_person_in_a_few_messages(backlog: Bench) -> None:
    bench = backlog
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 51_000)
    before = {key: len(user.messages) for key, user in users.items()}
    items = await overdue_items(bench, {"edu": PER_UNIT, "health": PER_UNIT})
    await sweep_and_send(bench)

    async with bench.rt.db.session() as session:
        rows = list(
            await session.scalars(
                select(Notification)
                .where(Notification.kind == "escalation")
                .order_by(Notification.id)
            )
        )
        people = {p.key: p.id for p in await session.scalars(select(Person))}
        refreshed = {i.id: i for i in await session.scalars(select(Item))}
        urging = list(await session.scalars(select(Document).where(Document.kind == "urging")))
    # Levels 1 and 2 for every item, to everyone the ladder names (those who never joined are
    # unreachable and passed on); every joined person's notices recorded sent.
    joined = {people[key] for key in PEOPLE}
    assert {(r.item_id, r.level) for r in rows} == {(i.id, n) for i in items for n in (1, 2)}
    assert all(
        r.status == NotificationStatus.SENT and r.message_id for r in rows if r.person_id in joined
    )
    assert all(refreshed[i.id].escalation_level == 2 for i in items)

    codes = {i.id: i.code for i in items}
    for key, user in users.items():
        sent = texts_of(user.messages[before[key] :])  # the morning digest counted too
        assert 1 <= len(sent) <= 5, (key, len(sent))
        assert all(visible_len(m.text) <= MAX_TEXT for m in sent)
        assert all("第1级" not in m.plain_text and "第2级" not in m.plain_text for m in sent)
        mine = [r for r in rows if r.person_id == people[key]]
        assert mine, key
        by_id = {m.message_id: m for m in sent}
        for row in mine:  # each notice is in the one message recorded for it, and in no other
            assert row.message_id in by_id and row.listing is not None, (key, row.id)
            assert shows(row.listing, by_id[row.message_id].text), (key, codes[row.item_id])
            shown = [m for m in notices(sent) if shows(row.listing, m.text)]
            assert len(shown) == 1, (key, codes[row.item_id])
        told = {codes[r.item_id] for r in mine}
        office = ("qian", "zhoujian", "wuting", "wang")
        assert len(told) == (2 * PER_UNIT if key in office else PER_UNIT)

    # One urging notice per unit, each listing its 60 items; its file goes to the unit's head
    # and contact with the (first) message that names it, the office gets no file.
    assert sorted(d.number for d in urging) == ["催〔2026〕1号", "催〔2026〕2号"]
    for key, unit_items in (("lina", "edu"), ("caomin", "health")):
        files = [m.document for m in users[key].messages[before[key] :] if m.document]
        assert len(files) == 1, key
        text = "\n".join(p.text for p in open_docx(io.BytesIO(files[0][0])).paragraphs)
        assert "关于催办逾期督办事项的通知" in text
        mine = [i for i in items if i.title.startswith(unit_items)]
        assert all(f"（{i.code}）" in text for i in mine)
        assert text.count("已逾期5天") == PER_UNIT
        notice = next(m for m in users[key].messages[before[key] :] if "催办通知" in m.plain_text)
        assert "你单位承办的以下事项已逾期" in notice.plain_text
    assert not any(m.document for m in users["qian"].messages[before["qian"] :])
    # A long list opens the overdue list with its one button.
    first = notices(users["wang"].messages[before["wang"] :])[0]
    assert [[b.text for b in row] for row in first.buttons] == [["📋 查看全部逾期事项"]]


async def test_the_show_all_button_lists_the_overdue_items_below(backlog: Bench) -> None:
    bench = backlog
    await import_example_county(bench.rt)
    users = await join_people(bench, ["wang"], 52_000)
    items = await overdue_items(bench, {"edu": 12})
    await sweep_and_send(bench)
    notice = notices(users["wang"].messages)[-1]
    assert "按规定提请您督办" in notice.plain_text
    assert notice.plain_text.count("已逾期5天") == 12
    shown = len(users["wang"].messages)
    await users["wang"].press(notice, "📋 查看全部逾期事项")
    listed = await users["wang"].wait_message(lambda m: m.message_id > notice.message_id, 10)
    assert len(users["wang"].messages) == shown + 1
    assert items[0].code in listed.plain_text  # the overdue list, its first page
    assert "按规定提请您督办" in notice.plain_text  # the notice stays as it was


async def test_a_few_items_get_a_button_each(backlog: Bench) -> None:
    bench = backlog
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina"], 53_000)
    items = await overdue_items(bench, {"edu": 3})
    await sweep_and_send(bench)
    notice = notices(users["lina"].messages)[-1]
    assert all(i.code in notice.plain_text for i in items)
    labels = [row[0].text for row in notice.buttons]
    assert [label.split(" · ")[0] for label in labels] == [i.ref for i in items]


async def test_one_urging_notice_per_item_when_the_policy_asks(backlog_per_item: Bench) -> None:
    bench = backlog_per_item
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina"], 54_000)
    items = await overdue_items(bench, {"edu": 3})
    await sweep_and_send(bench)
    async with bench.rt.db.session() as session:
        numbers = list(
            await session.scalars(
                select(Document.number).where(Document.kind == "urging").order_by(Document.id)
            )
        )
    assert numbers == ["催〔2026〕1号", "催〔2026〕2号", "催〔2026〕3号"]
    files = [m.document for m in users["lina"].messages if m.document and "催" in m.document[1]]
    assert len(files) == 3
    for (data, _), item in zip(files, items, strict=True):
        text = "\n".join(p.text for p in open_docx(io.BytesIO(data)).paragraphs)
        assert f"关于催办“{item.title}”的通知" in text.replace("\n", "")  # a long title wraps
