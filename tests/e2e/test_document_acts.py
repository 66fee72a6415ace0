"""The talk notice (约谈通知) and the notice of criticism (通报) issued by their acts, end to end
through the real bot and the fake Telegram: a deputy leader orders a talk and the unit's head and
专人 get the numbered talk notice as a file with the message; the principal confirms a notice of
criticism (twice, and the office once more at the same moment) and each person on the
distribution list gets the one numbered 通报 once, saying the confirmed text; ``duban document``
then writes the very documents the acts issued."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from docx import Document as open_docx
from sqlalchemy import func, select

from domain.documents import DocumentKind
from services.documents.access import document_for_item
from storage.models import Counter, Document
from testbench.users import FakeUser
from tests.conftest import Bench
from tests.e2e.measures_helpers import local, overdue_item, step
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_documents_delivery import wait_for
from tests.e2e.test_notices import COPIED, DEPUTIES, OFFICE, PEOPLE, UNIT
from tests.e2e.test_whole_loop import api, has
from tests.services.test_documents import check_layout, text_of

TALK_FILE = "约谈通知约谈〔2026〕1号.docx"
CRITICISM_FILE = "通报督通〔2026〕1号.docx"
CONFIRMED = "关于对县教育局予以通报批评的通报\n县教育局背街小巷整治逾期未办结，现予以通报批评。"


def files(user: FakeUser) -> list[tuple[bytes, str]]:
    return [m.document for m in user.messages if m.document is not None]


def named(user: FakeUser, name: str) -> list[bytes]:
    return [data for data, file in files(user) if file == name]


async def count_documents(bench: Bench, kind: DocumentKind) -> int:
    async with bench.rt.db.session() as session:
        found = await session.scalar(
            select(func.count()).select_from(Document).where(Document.kind == kind.value)
        )
    return int(found or 0)


async def test_a_talk_ordered_by_the_deputy_sends_the_numbered_talk_notice(bench: Bench) -> None:
    users, view = await overdue_item(bench, ["lina", "zhangjun", "wang", "qian"], 70_000)
    wang, qian = users["wang"], users["qian"]
    await step(bench, local(12, 4, 8))
    level1 = wang.messages[-1]
    await wang.press(level1, "🗣 约谈")
    await wang.wait_callback_answer()
    await settle(bench)
    for key in ("zhangjun", "lina"):  # the head talked to, and the 专人 who prepares for it
        await wait_for(lambda: bool(named(users[key], TALK_FILE)), 60)  # noqa: B023
        at = next(
            i
            for i, m in enumerate(users[key].messages)
            if m.document is not None and m.document[1] == TALK_FILE
        )
        assert "决定就本逾期事项约谈县教育局主要负责人" in users[key].messages[at - 1].plain_text
    (data,) = named(users["zhangjun"], TALK_FILE)
    doc = open_docx(io.BytesIO(data))
    check_layout(doc)
    text = text_of(doc)
    attend_by = local(12, 4) + timedelta(days=bench.rt.policy.documents.talk_days)
    for line in (
        "约谈〔2026〕1号",
        "约谈通知",
        "县教育局：",
        "整治县城背街小巷环境卫生",
        "要求于2026年12月3日前办结",
        "现已逾期1天",
        f"请你单位主要负责人于{attend_by.year}年{attend_by.month}月{attend_by.day}日前到",
        "2026年12月4日",
    ):
        assert line in text, (line, text)
    assert files(qian) == [] and files(wang) == []  # the office and the leader: the message
    # A second press orders nothing and issues nothing.
    await wang.press(level1, "🗣 约谈")
    await wang.wait_callback_answer()
    await settle(bench)
    assert await count_documents(bench, DocumentKind.TALK) == 1
    assert len(named(users["zhangjun"], TALK_FILE)) == 1
    # The timeline names the talk's document; the CLI's copy is that very document.
    status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    assert status == 200
    ordered = next(e for e in body["timeline"] if e["kind"] == "talk_ordered")
    assert "约谈〔2026〕1号" in str(ordered)
    info, copy, new = await document_for_item(bench.rt, view.ref, DocumentKind.TALK)
    assert (info.number, copy, new) == ("约谈〔2026〕1号", data, False)
    status, listed = await api(bench, "GET", f"/api/items/{view.ref}/documents")
    assert status == 200
    assert [d["number"] for d in listed if d["kind"] == "talk"] == ["约谈〔2026〕1号"]


async def test_a_confirmed_notice_of_criticism_sends_the_numbered_document_once_to_each(
    bench: Bench,
) -> None:
    users, view = await overdue_item(bench, PEOPLE, 71_000)
    zhao, qian = users["zhao"], users["qian"]
    for day in (4, 7, 11):
        await step(bench, local(12, day, 8))
    await zhao.press(zhao.messages[-1], "📢 通报批评")
    await zhao.wait_callback_answer()
    await settle(bench)
    preview = zhao.messages[-1]
    await qian.press(qian.messages[-1], "✏️ 修改")
    await qian.wait_callback_answer()
    prompt = await qian.wait_message(has("通报全文"), timeout=10)
    await qian.send_text(CONFIRMED, reply_to=prompt)
    await qian.wait_message(has("已修改"), timeout=10)
    await settle(bench)
    revised = zhao.messages[-1]
    assert revised is not preview
    inbox = Inbox(users)
    notice_id = int(revised.buttons[0][0].value.split(":")[1])
    # The principal presses, and the API confirms at the same moment: one notice, one number.
    outcomes = await asyncio.gather(
        zhao.press(revised, "✅ 确认发布"),
        api(bench, "POST", f"/api/notices/{notice_id}/confirm"),
    )
    await zhao.wait_callback_answer()
    await zhao.press(revised, "✅ 确认发布")
    await zhao.wait_callback_answer()
    await settle(bench)
    assert outcomes[1][0] in (200, 409)
    receivers = {*UNIT, *DEPUTIES, *COPIED}
    for key in receivers:
        await wait_for(lambda: bool(named(users[key], CRITICISM_FILE)), 60)  # noqa: B023
    await settle(bench)
    sent = inbox.new()
    for key in receivers:
        assert len(sent[key]) == 1, (key, sent[key])
        assert len(named(users[key], CRITICISM_FILE)) == 1, key
    for key in (*OFFICE, "zhao", "huangwei"):
        assert named(users[key], CRITICISM_FILE) == [], key
    assert await count_documents(bench, DocumentKind.CRITICISM) == 1
    async with bench.rt.db.session() as session:
        counter = await session.get(Counter, ("criticism", 2026))
    assert counter is not None and counter.value == 1
    (data,) = named(users["lina"], CRITICISM_FILE)
    assert named(users["yangfan"], CRITICISM_FILE) == [data]  # the same file to everyone
    doc = open_docx(io.BytesIO(data))
    check_layout(doc)
    text = text_of(doc).replace("\n", "")  # the long title is in two lines
    for line in (
        "督通〔2026〕1号",
        "关于“整治县城背街小巷环境卫生”逾期未办结情况的通报",
        "各乡镇人民政府",
        "县教育局背街小巷整治逾期未办结，现予以通报批评。",  # the confirmed text
        "抄送",
        "2026年12月11日",
    ):
        assert line in text, (line, text)
    # The draft's first line names the notice; the document's title does that, once.
    assert "关于对县教育局予以通报批评的通报" not in text
    status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    assert status == 200
    issued = next(e for e in body["timeline"] if e["kind"] == "criticism_issued")
    assert "督通〔2026〕1号" in str(issued)
    info, copy, new = await document_for_item(bench.rt, view.ref, DocumentKind.CRITICISM)
    assert (info.number, copy, new) == ("督通〔2026〕1号", data, False)
