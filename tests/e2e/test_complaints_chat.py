"""The complaint channel in chat and on the API: guessing, triage, restarts, the office's API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from domain.complaints import new_code
from domain.vocabulary import ComplaintCategory
from services import complaint_triage, complaints
from services.complaints import ComplaintDraft
from services.items import Origin
from storage.models import Complaint, Item
from testbench import FakeUser
from testbench.models import BotMessage
from tests.conftest import Bench, import_example_county
from tests.e2e.test_anonymity import complain_in_chat, join
from tests.services.test_complaints_service import gps_jpeg

AUTH = {"Authorization": "Bearer test-api-token"}


def has_text(words: str) -> Callable[[BotMessage], bool]:
    return lambda message: words in message.plain_text


async def file(
    bench: Bench, text: str = "乡政府办事窗口工作人员上班时间玩手机，群众排队无人理。"
) -> str:
    filed = await complaints.file_complaint(
        bench.rt, ComplaintDraft(ComplaintCategory.CONDUCT, "", text)
    )
    return filed.code


async def test_brute_force_gets_identical_answers_then_refusals(bench: Bench) -> None:
    await import_example_county(bench.rt)
    real = await file(bench)
    guesser = bench.fake.user(555_000_111, "猜码人")
    answers = []
    for guess in [new_code() for _ in range(4)] + ["ZZZZ"]:
        await guesser.send_text(f"/track {guess}")
        answers.append((await guesser.wait_message()).plain_text)
    assert len(set(answers)) == 1 and "没有与此查询码对应的投诉" in answers[0]
    # Five wrong codes in ten minutes: refused for a while, whatever the code — the right one too.
    refusals = []
    for guess in [new_code(), real, new_code()]:
        await guesser.send_text(f"/track {guess}")
        refusals.append((await guesser.wait_message()).plain_text)
    assert len(set(refusals)) == 1 and "错误次数过多" in refusals[0]
    # Another person is not held up by the guesser.
    owner = bench.fake.user(555_000_222, "投诉人")
    await owner.send_text(f"/track {real}")
    assert "待处理" in (await owner.wait_message()).plain_text
    # Time passes (the injected clock): the guesser may try again.
    bench.clock.advance(timedelta(minutes=31))
    await guesser.send_text("/track")
    await guesser.wait_message(has_text("请发送您的查询码"))
    await guesser.send_text(real)
    assert "待处理" in (await guesser.wait_message()).plain_text


async def test_office_rejects_and_answers_in_chat(bench: Bench) -> None:
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "xupeng"])
    first = await file(bench)
    second = await file(bench, "镇上的公交站牌被撞坏一个月了还没修好。")
    qian = staff["qian"]
    notice_1 = await qian.wait_message(has_text("T2026-1"), timeout=10)
    notice_2 = await qian.wait_message(has_text("T2026-2"), timeout=10)

    await qian.press(notice_1, "不予受理")
    await qian.wait_callback_answer()
    await qian.wait_message(has_text("不予受理的理由"))
    await qian.send_text("该问题已由县纪委立案调查，请关注后续通报。")
    await qian.wait_message(has_text("理由已作为对投诉人的答复"))
    # The same button again: already handled.
    await qian.press(notice_1, "不予受理")
    answer = await qian.wait_callback_answer()
    assert "已经处理过了" in (answer.text or "")

    await qian.press(notice_2, "直接答复")
    await qian.wait_message(has_text("请写答复"))
    await qian.send_text("已通知县交通运输局三日内更换站牌。")
    await qian.wait_message(has_text("已答复"))

    citizen = bench.fake.user(555_000_333, "市民")
    await citizen.send_text(f"/track {first}")
    status = await citizen.wait_message()
    assert "不予受理" in status.plain_text and "县纪委立案调查" in status.plain_text
    await citizen.send_text(f"/track {second}")
    assert "三日内更换站牌" in (await citizen.wait_message()).plain_text

    # Someone who is not the office cannot triage with a forged button.
    await citizen.press_data(status, "tri:T2026-1:rej")
    refused = await citizen.wait_callback_answer()
    assert refused.show_alert


async def test_office_merges_in_chat(bench: Bench) -> None:
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian"])
    await file(bench)
    second = await file(bench, "乡政府窗口工作人员态度差，又是玩手机。")
    qian = staff["qian"]
    await qian.wait_message(has_text("T2026-1"), timeout=10)
    notice = await qian.wait_message(has_text("T2026-2"), timeout=10)
    await qian.press(notice, "合并")
    await qian.wait_message(has_text("要合并到的"))
    await qian.send_text("T2026-9")
    await qian.wait_message(has_text("没有编号为 T2026-9"))
    await qian.send_text("t2026-1")
    await qian.wait_message(has_text("已合并到"))
    await complaint_triage.answer_complaint(
        bench.rt, Origin(None, via_api=True), "T2026-1", "已约谈相关工作人员。"
    )
    status = await complaints.status_by_code(bench.rt, second)
    assert status is not None and status.answer == "已约谈相关工作人员。"


async def test_a_lost_conversation_says_start_again(bench: Bench) -> None:
    await import_example_county(bench.rt)
    citizen: FakeUser = bench.fake.user(555_000_444, "市民")
    await citizen.send_text("/complain")
    intro = await citizen.wait_message(has_text("匿名投诉"))
    # As after a restart: the conversation's memory is gone, the buttons are still there.
    await citizen.press_data(intro, "cmp:submit")
    lost = await citizen.wait_message()
    assert "/complain" in lost.plain_text and "重新开始" in lost.plain_text
    await citizen.send_text("/cancel")
    await citizen.wait_message()


async def test_the_api_lists_and_accepts(bench: Bench) -> None:
    await import_example_county(bench.rt)
    citizen = bench.fake.user(555_000_555, "市民")
    code = await complain_in_chat(citizen, gps_jpeg())
    url = f"{bench.base_url}/api/complaints"
    async with aiohttp.ClientSession(headers=AUTH) as http:
        async with http.get(url, params={"status": "new"}) as response:
            assert response.status == 200
            listed = await response.json()
        assert [c["public_id"] for c in listed] == ["T2026-1"]
        first = listed[0]
        assert set(first) >= {
            "public_id",
            "category",
            "place",
            "text",
            "status",
            "created_on",
            "answer",
            "item",
        }
        assert first["category"] == "livelihood" and first["created_on"] == "2026-11-23"
        assert not re.search(r"555000555|市民", str(first))
        body = {
            "title": "青石村路灯维修",
            "body": "群众反映青石村路灯损坏，请核实修复。",
            "lead_unit": "housing",
            "co_units": ["resources"],
            "class": "general",
            "dispatch": True,
        }
        async with http.post(f"{url}/T2026-1/accept", json=body) as response:
            assert response.status == 200, await response.text()
            accepted = await response.json()
        assert accepted["status"] == "accepted" and accepted["item"] == "2026-1"
        assert accepted["item_detail"]["source"] == "complaint"
        async with http.post(f"{url}/T2026-1/reject", json={"reason": "晚了"}) as response:
            assert response.status == 409
        async with http.post(f"{url}/T2026-1/reject", json={}) as response:
            assert response.status == 422
        async with http.post(f"{url}/T2026-1/answer", json={"answer": "正在维修"}) as response:
            assert response.status == 200
        async with http.get(url, params={"status": "bogus"}) as response:
            assert response.status == 422
        async with http.post(f"{url}/T2026-7/answer", json={"answer": "x"}) as response:
            assert response.status == 404
    async with aiohttp.ClientSession() as anonymous, anonymous.get(url) as response:
        assert response.status == 401
    async with bench.rt.db.session() as session:
        item = await session.scalar(select(Item))
        assert item is not None and item.title == "青石村路灯维修"
        complaint = await session.scalar(select(Complaint))
        assert complaint is not None and complaint.item_id == item.id
    status = await complaints.status_by_code(bench.rt, code)
    assert status is not None and status.answer == "正在维修"
