"""Three instances behind a load balancer on one PostgreSQL share the work (issue 7).

Three processes of the application (``tests/e2e/instance.py``: what ``duban run --webhook``
runs, with a clock the test moves) share nothing but the database and the fake Bot API, whose
webhook points at a round-robin balancer in front of them. The workload: everyone joins, items
are dispatched through the instances' APIs, contacts acknowledge and report, time moves so that
receipt chases, reminders and the whole ladder fall due, a deputy leader urges, the office
registers an item with /new (its ten steps spread over the instances); mid-way the
instance holding the sweep lock is killed (SIGKILL).

Checked: every notification ends sent, each reached its chat exactly once; every report is
stored once; one sweep ran at a time (a pass began only after the last holder's pass had ended,
or its holder had died), and the dead instance's sweep lock moved to another instance at once,
with no clock moved (the database frees it when the holder's connection closes).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import func, select, text

from bot.webhook import PATH
from domain.clock import FakeClock
from domain.vocabulary import NotificationStatus
from services import sweep_lock
from services.people import issue_invites
from services.runtime import Runtime
from storage.models import (
    Attachment,
    Base,
    ChatConversation,
    ChatPrompt,
    Complaint,
    Item,
    Notification,
    Person,
    Report,
    SealedDraft,
)
from testbench import FakeTelegram, FakeUser
from testbench.balancer import RoundRobinBalancer
from tests.conftest import EXAMPLES, POSTGRES_URL, SHANGHAI, import_example_county
from tests.e2e.instance import write_clock
from tests.e2e.test_backlog_ladder import shows
from tests.e2e.test_whole_loop import has
from tests.services.test_complaints_service import gps_jpeg

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (DUBAN_TEST_POSTGRES_URL)"),
]

ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "three-instances-token"
SUBJECTS = [
    "校舍安全隐患排查",
    "基层医疗机构药品短缺",
    "农村公路养护",
    "老旧小区加装电梯",
    "耕地保护执法检查",
    "高标准农田建设",
    "养老服务设施建设",
    "城区黑臭水体治理",
    "学生营养餐改善计划",
    "乡镇卫生院人员招聘",
]
ITEMS = len(SUBJECTS)
# Fast delivery; no PDFs (LibreOffice's seconds a document, three instances converting at once,
# are not what this test measures: the documents' own tests convert them).
POLICY = (
    "delivery:\n  per_chat_per_second: 20\n  overall_per_second: 200\ndocuments:\n  pdf: false\n"
)
LOG_LINE = re.compile(r"^(\S+ \S+) INFO duban\.sweep (sweep_begin|sweep_end) (.*)$")


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Instance:
    process: asyncio.subprocess.Process
    url: str
    holder: str
    log: Path


@dataclass
class SweepEvent:
    at: str  # the log line's wall-clock time
    event: str
    holder: str
    now: datetime | None


class World:
    """The three instances, the balancer, the fake Telegram and the moved clock."""

    def __init__(self, rt: Runtime, clock: FakeClock, fake: FakeTelegram, clock_file: Path) -> None:
        self.rt = rt
        self.clock = clock
        self.fake = fake
        self.clock_file = clock_file
        self.instances: list[Instance] = []

    def move(self, moment: datetime) -> None:
        self.clock.set(moment)
        write_clock(self.clock_file, moment)

    def sweeps(self) -> list[SweepEvent]:
        events = []
        for instance in self.instances:
            for line in instance.log.read_text(encoding="utf-8").splitlines():
                match = LOG_LINE.match(line)
                if not match:
                    continue
                fields = dict(part.split("=", 1) for part in match.group(3).split())
                now = fields.get("now")
                events.append(
                    SweepEvent(
                        at=match.group(1),
                        event=match.group(2),
                        holder=fields["holder"],
                        now=datetime.fromisoformat(now) if now else None,
                    )
                )
        return sorted(events, key=lambda e: e.at)

    async def settle(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Wait until a sweep at the current moment has finished and nothing due is left."""
        moment = self.clock.now()
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled at {moment}: {await self.due()} due")
            await asyncio.sleep(0.1)
            quiet = quiet + 1 if self.swept_at(moment) and await self.due() == 0 else 0
        await asyncio.sleep(0.1)  # the last answer reaches the fake's chat

    def swept_at(self, moment: datetime) -> bool:
        begun: set[str] = set()
        for event in self.sweeps():
            if event.event == "sweep_begin" and event.now is not None and event.now >= moment:
                begun.add(event.holder)
            elif event.event == "sweep_end" and event.holder in begun:
                return True
        return False

    async def due(self) -> int:
        async with self.rt.db.session() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(
                        Notification.status == str(NotificationStatus.PENDING),
                        Notification.not_before <= self.clock.now(),
                    )
                )
                or 0
            )

    async def lock_holder(self) -> str | None:
        return await sweep_lock.holder_of_sweep(self.rt.db)


async def start_instance(
    world: World, database_url: str, tmp_path: Path, lb_url: str, number: int
) -> Instance:
    port = free_port()
    home = tmp_path / f"instance{number}"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        PYTHONPATH=str(ROOT),
        DUBAN_BOT_TOKEN=world.fake.token,
        DUBAN_TELEGRAM_API_URL=world.fake.url,
        DUBAN_DATABASE_URL=database_url,
        # one media folder for all, as a deployment shares a volume: a file one instance stored
        # (a photo, a document) is sent by whichever instance delivers it
        DUBAN_MEDIA_DIR=str(tmp_path / "media"),
        DUBAN_API_TOKEN=API_TOKEN,
        DUBAN_POLICY_FILE=str(tmp_path / "policy.yaml"),
    )
    log = home / "log.txt"
    with log.open("w") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.instance",
            "--port",
            str(port),
            "--webhook",
            lb_url + PATH,
            "--clock",
            str(world.clock_file),
            "--log-level",
            "DEBUG",  # for the anonymity scan: everything an instance logs
            cwd=home,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=sink,
        )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().split()
    assert line[:1] == ["ready"], log.read_text(encoding="utf-8")
    return Instance(process, f"http://127.0.0.1:{port}", line[1], log)


async def join_everyone(world: World, people: list[str]) -> dict[str, FakeUser]:
    invites = await issue_invites(world.rt, bot_username=world.fake.bot_username, keys=people)
    users = {
        invite.person: world.fake.user(50_000 + n, invite.name) for n, invite in enumerate(invites)
    }

    async def join(person: str, token: str) -> None:
        await users[person].send_text(f"/start {token}")
        await users[person].wait_message(timeout=15)

    await asyncio.gather(*(join(i.person, i.token) for i in invites))
    return users


async def post_item(instance: Instance, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(f"{instance.url}/api/items", json=body) as response,
    ):
        answer: dict[str, Any] = await response.json()
        assert response.status == 201, answer
        return answer


async def acknowledge(user: FakeUser, title: str) -> None:
    notice = await user.wait_message(
        lambda m: title in m.plain_text and "✅ 签收" in m.button_texts, timeout=15
    )
    await user.press(notice, "✅ 签收")
    assert (await user.wait_callback_answer(timeout=15)).text == "已签收。"


async def report(world: World, user: FakeUser, ref: str, content: str) -> None:
    """/report REF → progress → reply with the content → submit: four updates, each landing on
    the next instance.

    Before replying to the prompt, the person waits until the instance that sent it has
    recorded it — as any human, who needs longer than that to read and type. (An instant
    reply can reach another instance before the prompt is committed, and is then not
    understood: one instance's per-chat ordering does not span instances.)
    """
    await user.send_text(f"/report {ref}")
    menu = await user.wait_message(has("请选择反馈类型"), timeout=15)
    await user.press(menu, "进展")
    prompt = await user.wait_message(has("请回复本消息"), timeout=15)
    await _wait_for(lambda: _prompt_recorded(world, user.chat_id, prompt.message_id))
    await user.send_text(content, reply_to=prompt)
    preview = await user.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=15)
    await user.press(preview, "✅ 确认提交")
    await user.wait_edit(preview, timeout=15)
    assert "已提交" in preview.plain_text, user.history()


async def _prompt_recorded(world: World, chat_id: int, message_id: int) -> bool:
    async with world.rt.db.session() as session:
        found = await session.scalar(
            select(ChatPrompt.id).where(
                ChatPrompt.chat_id == chat_id, ChatPrompt.message_id == message_id
            )
        )
    return found is not None


async def register_in_chat(world: World, user: FakeUser) -> str:
    """/new step by step, each update on the next instance; returns the dispatched answer.

    Like a person reading each question before answering, the next step waits until the
    instance that asked has stored where the conversation stands."""
    steps: list[tuple[str, str, str]] = [  # (how, what, the question it brings)
        ("send", "/new", "第 1 步"),
        ("send", "推进多实例部署演练", "第 2 步"),
        ("send", "检验三个实例共同承担工作。", "会议议定事项"),
        ("press", "会议议定事项", "第 4 步"),
        ("press", "一般事项", "第 5 步"),
        ("press", "县交通运输局", "第 6 步"),
        ("press", "无配合单位", "分管领导"),
        ("press", "陈明辉（牵头单位分管领导）", "采用此时限"),
        ("press", "采用此时限", "请核对事项后提交"),
        ("press", "✅ 提交", "已交办"),
    ]
    message = None
    for how, what, expect in steps:
        before = await _conversation(world, user.chat_id)
        if how == "send":
            await user.send_text(what)
            message = await user.wait_message(
                lambda m, e=expect: e in m.plain_text + " ".join(m.button_texts), timeout=15
            )
        else:
            assert message is not None
            await user.press(message, what)
            message = await user.wait_edit(message, timeout=15)
            assert expect in message.plain_text + " ".join(message.button_texts), user.history()
        if expect != "已交办":
            await _wait_for(lambda b=before: _conversation_moved(world, user.chat_id, b))
    assert message is not None
    return message.plain_text


async def _conversation(world: World, chat_id: int) -> tuple[Any, ...] | None:
    async with world.rt.db.session() as session:
        row = (
            await session.execute(
                select(ChatConversation.state, ChatConversation.data).where(
                    ChatConversation.chat_id == chat_id, ChatConversation.name == "new_item"
                )
            )
        ).first()
    return None if row is None else (row[0], repr(row[1]))


async def _conversation_moved(world: World, chat_id: int, before: Any) -> bool:
    return await _conversation(world, chat_id) != before


COMPLAINANTS = 5
COMPLAINT_TEXT = "村口垃圾堆放点长期无人清理，夏天气味很大。（{n}号）"


def complainant(world: World, n: int) -> FakeUser:
    """A citizen whose id, names and username are unlike anything else in the run."""
    return world.fake.user(
        7_310_694_200 + 7919 * n,
        f"Qzvorth{n}",
        username=f"whistle_q{n}_xk",
        last_name=f"Plimsoll{n}",
    )


def identifiers(citizen: FakeUser) -> list[str]:
    """The citizen's user id, chat id, names and username."""
    n = (citizen.id - 7_310_694_200) // 7919
    return [
        str(citizen.id),
        str(citizen.chat_id),
        f"Qzvorth{n}",
        f"whistle_q{n}_xk",
        f"Plimsoll{n}",
    ]


async def _sealed_draft(world: World) -> bytes | None:
    async with world.rt.db.session() as session:
        return await session.scalar(select(SealedDraft.sealed))


async def complain_across_instances(
    world: World, balancer: RoundRobinBalancer, citizen: FakeUser
) -> None:
    """/complain with two photos: eight updates, each on another instance than the last. As
    a reader would, the citizen answers once the instance that asked has kept the draft."""
    last: str | None = None
    n = (citizen.id - 7_310_694_200) // 7919

    async def step(act: Any) -> None:
        nonlocal last
        before, served = await _sealed_draft(world), dict(balancer.served)
        await act()

        async def kept() -> bool:
            return await _sealed_draft(world) != before

        await _wait_for(kept)
        moved = [url for url, count in balancer.served.items() if served.get(url, 0) != count]
        assert len(moved) == 1 and moved[0] != last, (moved, last)
        last = moved[0]

    await step(lambda: citizen.send_text("/complain"))
    intro = await citizen.wait_message(has("第 1 步"), timeout=15)
    await step(lambda: citizen.press(intro, "民生问题"))
    place = await citizen.wait_message(has("第 2 步"), timeout=15)
    await step(lambda: citizen.press(place, "县住房和城乡建设局"))
    await citizen.wait_message(has("第 3 步"), timeout=15)
    await step(lambda: citizen.send_text(COMPLAINT_TEXT.format(n=n)))
    await citizen.wait_message(has("第 4 步"), timeout=15)
    for number in (1, 2):
        await step(lambda: citizen.send_photo(gps_jpeg()))
        received = await citizen.wait_message(has(f"第 {number} 张"), timeout=15)
    await step(lambda: citizen.press(received, "完成"))
    preview = await citizen.wait_message(has("请核对"), timeout=15)
    assert "照片：2 张" in preview.plain_text, citizen.history()
    await step(lambda: citizen.press(preview, "✅ 提交"))  # the draft goes
    filed = await citizen.wait_message(has("查询码"), timeout=15)
    assert "只显示这一次" in filed.plain_text, citizen.history()


async def check_complaints(world: World, citizens: list[FakeUser]) -> None:
    """Each citizen's complaint is filed with its photos; then nothing in the database, in
    any instance's log (at DEBUG) or in any media folder names any of them."""
    async with world.rt.db.session() as session:
        texts = list((await session.execute(select(Complaint.text))).scalars())
        photos = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.complaint_id.is_not(None))
        )
        assert await session.scalar(select(func.count()).select_from(SealedDraft)) == 0
    for n in range(len(citizens)):
        assert COMPLAINT_TEXT.format(n=n) in texts, texts
    assert photos == 2 * len(citizens)
    needles = sorted({needle for citizen in citizens for needle in identifiers(citizen)})
    async with world.rt.db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" AS t'))
            for (row,) in rows:
                for needle in needles:
                    assert needle not in row, f"{needle!r} stored in {table.name}"
    raw = [n.encode() for n in needles] + [n.encode("utf-16-le") for n in needles]
    raw += [c.id.to_bytes(8, "big") for c in citizens] + [
        c.id.to_bytes(8, "little") for c in citizens
    ]
    for instance in world.instances:
        log = instance.log.read_text(encoding="utf-8")
        assert " DEBUG " in log, "the instance did not log at DEBUG"
        for needle in needles:
            assert needle not in log, f"{needle!r} in {instance.log}"
    media = world.instances[0].log.parent.parent / "media"  # the instances' shared folder
    for path in (p for p in media.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert b"GPS" not in data and b"WhistleCam" not in data, path.name
        for needle in raw:
            assert needle not in data, f"{needle!r} in {path.name}"


def check_one_holder_at_a_time(events: list[SweepEvent], dead: str) -> None:
    """A pass begins only when no other holder's pass is under way (the dead holder's last
    pass, which it never ended, excepted)."""
    running: set[str] = set()
    for event in events:
        if event.event == "sweep_end":
            running.discard(event.holder)
            continue
        assert not running - {event.holder, dead}, (event, running)
        running.add(event.holder)


async def test_three_instances_share_the_work_and_nothing_is_lost_or_doubled(
    database_url: str, rt: Runtime, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> None:
    started = time.monotonic()
    await import_example_county(rt)
    roster = yaml.safe_load((EXAMPLES / "roster.yaml").read_text(encoding="utf-8"))
    units = {unit["key"]: unit for unit in roster["units"]}
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    world = World(rt, clock, fake, tmp_path / "clock.txt")
    world.move(local(11, 23, 9))

    # The instances point the webhook at the balancer; it forwards to them in turn.
    lb_port = free_port()
    lb_url = f"http://127.0.0.1:{lb_port}"
    starting = [
        start_instance(world, database_url, tmp_path, lb_url, number) for number in range(3)
    ]
    world.instances = list(await asyncio.gather(*starting))
    balancer = RoundRobinBalancer([i.url for i in world.instances], port=lb_port)
    await balancer.start()
    try:
        await run_workload(world, balancer, units, started)
    finally:
        for instance in world.instances:
            if instance.process.returncode is None:
                instance.process.send_signal(signal.SIGTERM)
        for instance in world.instances:
            try:
                await asyncio.wait_for(instance.process.wait(), 15)
            except TimeoutError:
                instance.process.kill()
                await instance.process.wait()
        await balancer.stop()


async def run_workload(
    world: World, balancer: RoundRobinBalancer, units: dict[str, Any], started: float
) -> None:
    people = _roster_people()
    users = await join_everyone(world, people)
    assert all(balancer.served[i.url] > 0 for i in world.instances), balancer.served

    # Items dispatched through the three instances' APIs in turn.
    keys = list(units)
    items = []
    for n in range(ITEMS):
        lead = keys[n % len(keys)]
        co = [keys[(n + 3) % len(keys)]] if n % 3 == 0 else []
        body = {
            "title": f"{SUBJECTS[n]}（{n:02d}）",
            "body": "",
            "source": "meeting",
            "class": "general",
            "lead_unit": lead,
            "co_units": co,
            "leader": units[lead]["leader"],
            "dispatch": True,
        }
        items.append((await post_item(world.instances[n % 3], body), lead, co))
    await world.settle()

    # Every other item's lead unit acknowledges; then some report progress (each step of a
    # report is an update of its own, and lands on the next instance).
    acked = [(item, lead) for n, (item, lead, _) in enumerate(items) if n % 2 == 0]
    by_contact: dict[str, list[str]] = defaultdict(list)
    for item, lead in acked:
        by_contact[units[lead]["contacts"][0]].append(item["title"])

    async def ack_all(contact: str, titles: list[str]) -> None:
        for title in titles:
            await acknowledge(users[contact], title)

    await asyncio.gather(*(ack_all(c, t) for c, t in by_contact.items()))
    reported = acked[:4]

    async def report_progress(item: dict[str, Any], lead: str) -> None:
        contact = users[units[lead]["contacts"][0]]
        await report(world, contact, item["ref"], f"{item['ref']} 已完成排查，正在整改。")

    for item, lead in reported:  # one contact may have two: one report at a time each
        await report_progress(item, lead)
    # The office registers one in chat: ten updates, spread over the three instances.
    served = sum(balancer.served.values())
    done = await register_in_chat(world, users["wuting"])
    assert "已交办：县交通运输局" in done, done
    assert sum(balancer.served.values()) - served >= 10
    await world.settle()

    # Five citizens complain in chat with photos, one after another, each step on the next
    # instance (issue 18).
    citizens = [complainant(world, n) for n in range(COMPLAINANTS)]
    for citizen in citizens:
        await complain_across_instances(world, balancer, citizen)
    await world.settle()

    # A day on: receipt chases for the unacknowledged, the morning digest.
    world.move(local(11, 24, 9))
    await world.settle()

    # Kill the instance holding the sweep lock, with nothing in flight. Its connection closes
    # with it, so one of the others takes the lock over on its next turn, the clock unmoved.
    holder = await world.lock_holder()
    dead = next(i for i in world.instances if i.holder == holder)
    dead.process.kill()
    await dead.process.wait()
    await _wait_for(lambda: _holder_in(world, {i.holder for i in world.instances} - {holder}))
    await world.settle()

    # Updates still flow, to the two live instances: the unit heads' chases, late receipts.
    world.move(local(11, 25, 9))
    await world.settle()
    late = [(item, lead) for n, (item, lead, _) in enumerate(items) if n % 2 == 1][:2]
    for item, lead in late:
        await acknowledge(users[units[lead]["contacts"][0]], item["title"])
    # Round robin may have stepped past the dead instance so far; three updates in a row
    # cannot: each attempt takes the next backend, so one of them is the dead one.
    for _ in range(3):
        await users["wuting"].send_text("/help")
        await users["wuting"].wait_message(has("您可以："), timeout=15)
    assert balancer.refused[dead.url] > 0  # the balancer found it dead and moved on

    # Reminders before the deadline, then the ladder; a deputy leader urges from level 1.
    for moment in (local(11, 30, 9), local(12, 2, 9), local(12, 3, 9), local(12, 4, 8)):
        world.move(moment)
        await world.settle()
    first, first_lead, _ = items[0]
    deputy = users[units[first_lead]["leader"]]
    # Alone, its button says 📣 督办; listed with the deputy's other items, "2026-1 · 📣 督办".
    urge = {"📣 督办", f"{first['ref']} · 📣 督办"}
    level1 = await deputy.wait_message(
        lambda m: first["title"] in m.plain_text and bool(urge & set(m.button_texts)), timeout=15
    )
    await deputy.press(level1, next(iter(urge & set(level1.button_texts))))
    await deputy.wait_callback_answer(timeout=15)
    await world.settle()
    for moment in (local(12, 7, 8), local(12, 11, 8)):
        world.move(moment)
        await world.settle()

    await check_outcome(world, items, reported, acked, holder)
    await check_complaints(world, citizens)
    assert time.monotonic() - started < 120


def _roster_people() -> list[str]:
    roster = yaml.safe_load((EXAMPLES / "roster.yaml").read_text(encoding="utf-8"))
    return [person["key"] for person in roster["people"]]


async def _holder_in(world: World, holders: set[str]) -> bool:
    return await world.lock_holder() in holders


async def _wait_for(condition: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def check_outcome(
    world: World,
    items: list[tuple[dict[str, Any], str, list[str]]],
    reported: list[tuple[dict[str, Any], str]],
    acked: list[tuple[dict[str, Any], str]],
    dead: str,
) -> None:
    rt = world.rt
    async with rt.db.session() as session:
        notifications = list(
            (
                await session.execute(
                    select(Notification, Person.telegram_chat_id, Item.ref)
                    .join(Person, Person.id == Notification.person_id)
                    .outerjoin(Item, Item.id == Notification.item_id)
                )
            ).all()
        )
        reports = Counter((await session.execute(select(Item.ref, Report.kind).join(Item))).all())
    # Nothing lost: every notification was sent (or cancelled: superseded, no longer fitting).
    statuses = Counter(n.status for n, _, _ in notifications)
    assert set(statuses) <= {"sent", "cancelled"}, statuses
    assert statuses["sent"] > 100, statuses

    # Nothing doubled: each sent notification reached its chat in exactly one message.
    sends: dict[int, list[str]] = defaultdict(list)
    for call in world.fake.calls:
        if call.method in ("sendMessage", "sendPhoto") and call.status == 200:
            text = call.params.get("text") or call.params.get("caption") or ""
            sends[int(call.params["chat_id"])].append(str(text))
    # A notice listed with others (ladder notices, chases) is its line under its heading.
    messages: dict[tuple[int, str], set[int]] = defaultdict(set)
    listed: dict[tuple[int, str], Notification] = {}
    for notification, chat_id, _ in notifications:
        if notification.status == "sent":
            assert notification.message_id is not None
            messages[(chat_id, notification.text)].add(notification.message_id)
            listed[(chat_id, notification.text)] = notification

    def times_shown(key: tuple[int, str]) -> int:
        listing = listed[key].listing
        return sum(
            key[1] in text or (listing is not None and shows(listing, text))
            for text in sends[key[0]]
        )

    doubled = {
        key: (len(ids), times_shown(key))
        for key, ids in messages.items()
        if times_shown(key) != len(ids)
    }
    assert not doubled, doubled

    # What the workload should have brought, item by item.
    per_item: dict[str, Counter[str]] = defaultdict(Counter)
    for notification, _, ref in notifications:
        if notification.status == "sent" and ref is not None:
            per_item[ref][f"{notification.kind}:{notification.level}"] += 1
    for item, lead, co in items:
        got = per_item[item["ref"]]
        contacts = len(world_units_contacts(lead)) + sum(len(world_units_contacts(c)) for c in co)
        assert got["dispatch:0"] == contacts, (item["ref"], got)
        assert got["escalation:1"] >= 4, got  # deputy leader + the office (3)
        assert got["escalation:2"] >= 5, got  # head + contact(s) + the office
        assert got["escalation:3"] == 4, got  # principal + the office
        assert got["receipt_chase:0"] >= (0 if (item, lead) in acked and not co else 1), got
        assert got["before_due:0"] >= 1, got
    # Each report stored once.
    assert reports == Counter({(item["ref"], "progress"): 1 for item, _ in reported}), reports

    # One sweep holder at a time, and all along more than one instance swept.
    events = world.sweeps()
    check_one_holder_at_a_time(events, dead)
    assert len({e.holder for e in events if e.event == "sweep_begin"}) >= 2


def world_units_contacts(unit: str) -> list[str]:
    roster = yaml.safe_load((EXAMPLES / "roster.yaml").read_text(encoding="utf-8"))
    return next(u["contacts"] for u in roster["units"] if u["key"] == unit)
