"""A complaint from an unregistered citizen, end to end, and what it leaves behind: nothing
that names them — not in the database file, not in any log line at DEBUG, not in the media.

The citizen complains with a GPS-tagged JPEG through the fake Bot API; the office accepts it in
chat; the item is dispatched, acknowledged, completed, confirmed and closed with the execution
services; ``/track`` then shows the closing's answer.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text

from domain.clock import FakeClock
from domain.vocabulary import ComplaintStatus, ItemStatus, ReportKind, Source
from services import decisions, reports
from services.items import Origin
from services.people import issue_invites, whoami
from storage.db import Database
from storage.models import Attachment, Base, Complaint, Item
from testbench import FakeTelegram, FakeUser
from testbench.models import BotMessage
from tests.conftest import Bench, bench_settings, import_example_county, running
from tests.services.test_complaints_service import gps_jpeg

CITIZEN_ID = 987654321987
USERNAME = "unique_whistle_7"
FIRST_NAME = "Zyxwvut"
LAST_NAME = "Qwertzuiop"
TEXT = "青石村路灯坏了三个月没人修\n晚上出行很不安全，多次向村里反映无果。"
CODE = re.compile(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})\b")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        self.lines.append(f"{line} {extras!r}")


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


@pytest.fixture
def debug_log() -> Iterator[Capture]:
    """Every log line of the whole process at DEBUG, attached before the app starts."""
    root = logging.getLogger()
    capture = Capture()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(previous)


@pytest.fixture
async def logged_bench(
    debug_log: Capture,
    database_url: str,
    db: Database,
    clock: FakeClock,
    tmp_path: Path,
) -> AsyncIterator[Bench]:
    async with (
        FakeTelegram(now=clock.now) as fake,
        running(bench_settings(fake, database_url, tmp_path), clock, fake) as bench,
    ):
        yield bench


async def join(bench: Bench, keys: list[str]) -> dict[str, FakeUser]:
    invites = await issue_invites(bench.rt, bot_username=bench.fake.bot_username, keys=keys)
    users = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(30_000 + number, invite.name)
        await user.send_text(f"/start {invite.token}")
        await user.wait_message()
        users[invite.person] = user
    return users


def check_photo_and_files(photo: Path, media_dir: Path, database_url: str) -> None:
    """The stored photo has no metadata; no file holds the sender in any encoding."""
    stored = photo.read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif(), "the stored photo still has EXIF"
        assert "exif" not in image.info and "xmp" not in image.info
    assert b"WhistleCam" not in stored and b"GPS" not in stored
    needles_text = [str(CITIZEN_ID), USERNAME, FIRST_NAME, LAST_NAME]
    needles = [n.encode() for n in needles_text]
    needles += [n.encode("utf-16-le") for n in needles_text]
    needles.append(CITIZEN_ID.to_bytes(6, "big"))  # SQLite's 6-byte integer
    needles.append(CITIZEN_ID.to_bytes(8, "big"))
    files = [p for p in media_dir.rglob("*") if p.is_file()]
    if database_url.startswith("sqlite"):
        database_file = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        assert database_file.exists()
        files += [database_file, Path(f"{database_file}-wal"), Path(f"{database_file}-journal")]
    for path in files:
        if not path.exists():
            continue
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"{needle!r} found in {path.name}"
        for word in needles_text:
            assert word not in str(path), f"{word!r} in a file name"


async def search_postgres(bench: Bench, needles: list[str]) -> None:
    """Every row of every table as text (PostgreSQL has no single file to read)."""
    async with bench.rt.db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" AS t'))
            for (row,) in rows:
                for needle in needles:
                    assert needle not in row, f"{needle!r} stored in {table.name}"


def has_text(words: str) -> Callable[[BotMessage], bool]:
    return lambda message: words in message.plain_text


async def complain_in_chat(citizen: FakeUser, photo: bytes) -> str:
    """The whole /complain conversation; returns the receipt code as shown."""
    await citizen.send_text("/complain")
    intro = await citizen.wait_message(has_text("匿名投诉"))
    assert "不保存" in intro.plain_text
    await citizen.press(intro, "民生问题")
    place = await citizen.wait_message(has_text("第 2 步"))
    await citizen.press(place, "县住房和城乡建设局")
    await citizen.wait_message(has_text("第 3 步"))
    await citizen.send_text(TEXT)
    photos = await citizen.wait_message(has_text("第 4 步"))
    assert photos.button_texts == ["完成"]
    await citizen.send_photo(photo)
    received = await citizen.wait_message(has_text("第 1 张"))
    await citizen.press(received, "完成")
    preview = await citizen.wait_message(has_text("请核对"))
    assert "县住房和城乡建设局" in preview.plain_text and "照片：1 张" in preview.plain_text
    await citizen.press(preview, "✅ 提交")
    filed = await citizen.wait_message(has_text("查询码"))
    assert "只显示这一次" in filed.plain_text
    match = CODE.search(filed.plain_text)
    assert match, filed.plain_text
    return match.group(1)


async def test_complaint_to_answer_leaves_no_trace_of_the_sender(
    logged_bench: Bench, debug_log: Capture, database_url: str, tmp_path: Path
) -> None:
    bench = logged_bench
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "gaojing", "heyong"])
    citizen = bench.fake.user(
        CITIZEN_ID, FIRST_NAME, username=USERNAME, last_name=LAST_NAME, language_code="zh-hans"
    )
    code = await complain_in_chat(citizen, gps_jpeg())

    # The office gets the complaint, with no sender, and the photo; it accepts in chat.
    qian = staff["qian"]
    notice = await qian.wait_message(has_text("新投诉"), timeout=10)
    assert "T2026-1" in notice.plain_text and "路灯" in notice.plain_text
    assert notice.button_texts == ["受理并交办", "合并", "不予受理", "直接答复"]
    photo = await qian.wait_message(has_text("第 1 张照片"), timeout=10)
    assert photo.photo is not None
    await qian.press(notice, "受理并交办")
    units = await qian.wait_message(has_text("请选择牵头单位"))
    await qian.press(units, "县住房和城乡建设局")
    accepted = await qian.wait_message(has_text("已受理"))
    assert "督〔2026〕1号" in accepted.plain_text

    # The unit gets an ordinary item from the public; nothing about who sent it.
    gaojing = staff["gaojing"]
    dispatch = await gaojing.wait_message(has_text("督〔2026〕1号"), timeout=10)
    assert "青石村路灯坏了三个月没人修" in dispatch.plain_text
    await gaojing.press(dispatch, "✅ 签收")
    await gaojing.wait_callback_answer()
    async with bench.rt.db.session() as session:
        item = await session.scalar(select(Item))
        assert item is not None and item.source == Source.COMPLAINT
    contact = await whoami(bench.rt, gaojing.id)
    head = await whoami(bench.rt, staff["heyong"].id)
    office = await whoami(bench.rt, qian.id)
    assert contact and head and office
    submitted = await reports.submit_report(
        bench.rt, contact, item.ref, ReportKind.COMPLETION, "已更换路灯 12 盏，全部恢复照明。"
    )
    await decisions.confirm_completion(bench.rt, head, submitted.report_id)
    closed = await decisions.close_item(
        bench.rt, Origin(office), item.ref, answer="经核实，青石村路灯已全部修复，恢复夜间照明。"
    )
    assert closed.status == ItemStatus.CLOSED

    # The citizen follows up with the code and reads the answer.
    await citizen.send_text(f"/track {code.lower()}")
    status = await citizen.wait_message(has_text("T2026-1"))
    assert "已答复" in status.plain_text
    assert "青石村路灯已全部修复" in status.plain_text
    # The answer may be rated (tests/e2e/test_satisfaction_chat.py follows that path).
    assert status.button_texts == ["满意", "基本满意", "不满意", "补充信息或照片"]

    # Adding information afterwards still reaches the office, still without a name.
    await citizen.press(status, "补充信息或照片")
    await citizen.wait_message(has_text("补充的文字"))
    await citizen.send_text("谢谢，路灯确实修好了。")
    added = await citizen.wait_message(has_text("已收到"))
    await citizen.press(added, "完成")
    await citizen.wait_message(has_text("已送达督查室"))
    await qian.wait_message(has_text("补充了材料"), timeout=10)

    async with bench.rt.db.session() as session:
        complaint = await session.scalar(select(Complaint))
        assert complaint is not None and complaint.status == ComplaintStatus.ANSWERED
        attachment = await session.scalar(select(Attachment))
        assert attachment is not None and attachment.complaint_id == complaint.id

    # --- what is left behind -----------------------------------------------------------------
    if not database_url.startswith("sqlite"):
        await search_postgres(bench, [str(CITIZEN_ID), USERNAME, FIRST_NAME, LAST_NAME])
    await bench.rt.db.dispose()  # close connections; the WAL stays as it is
    check_photo_and_files(bench.rt.media_dir / attachment.path, bench.rt.media_dir, database_url)

    needles_text = [str(CITIZEN_ID), USERNAME, FIRST_NAME, LAST_NAME]
    assert debug_log.lines, "the log capture saw nothing: it is not attached"
    assert any("complaint_filed" in line for line in debug_log.lines)
    for line in debug_log.lines:
        for needle in needles_text:
            assert needle not in line, f"{needle!r} logged: {line[:300]}"


async def test_the_office_group_s_complaint_messages_carry_no_trace_of_the_sender(
    logged_bench: Bench, debug_log: Capture, database_url: str
) -> None:
    bench = logged_bench
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "zhoujian"])
    office = bench.fake.group(-77_000, "督查室工作群", [staff["qian"], staff["zhoujian"]])
    office.add_bot(staff["qian"])
    await office.wait_message(has_text("/bind"))
    await office.send_text(staff["qian"], "/bind office")
    await office.wait_message(has_text("本群已绑定为"))
    citizen = bench.fake.user(
        CITIZEN_ID, FIRST_NAME, username=USERNAME, last_name=LAST_NAME, language_code="zh-hans"
    )
    await complain_in_chat(citizen, gps_jpeg())

    notice = await office.wait_message(has_text("新投诉"), timeout=10)
    assert notice.button_texts == ["受理并交办", "合并", "不予受理", "直接答复"]
    photo = await office.wait_message(has_text("第 1 张照片"), timeout=10)
    assert photo.photo is not None and b"GPS" not in photo.photo
    needles = [str(CITIZEN_ID), USERNAME, FIRST_NAME, LAST_NAME]
    for message in office.messages:
        for needle in needles:
            assert needle not in message.text and needle not in str(message.reply_markup)
    await office.press(staff["zhoujian"], notice, "受理并交办")
    units = await office.wait_message(has_text("请选择牵头单位"))
    await office.press(staff["zhoujian"], units, "县住房和城乡建设局")
    await office.wait_message(has_text("已受理"))
    if not database_url.startswith("sqlite"):
        await search_postgres(bench, needles)
    for line in debug_log.lines:
        for needle in needles:
            assert needle not in line, f"{needle!r} logged: {line[:300]}"
