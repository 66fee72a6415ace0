"""An item's whole life through the real bot and the fake Telegram, the clock moved by hand:
exactly which messages each person receives, and when (issue 4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp

from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep
from tests.conftest import SHANGHAI, Bench, import_example_county
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_whole_loop import join_people

PEOPLE = ["lina", "zhangjun", "wang", "zhao", "qian", "zhoujian", "wuting"]
OFFICE = ["qian", "zhoujian", "wuting"]


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


async def step(bench: Bench, inbox: Inbox, moment: datetime) -> dict[str, list[str]]:
    bench.clock.set(moment)
    await run_sweep(bench.rt)
    await settle(bench)
    return inbox.new()


FILE = re.compile(r"\n📄 [^\n]*\.(docx|pdf)$")  # a file's caption: the header and its name


def kinds(received: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each message by its marker (second line) — the first is the item header or a greeting.
    The files sent after a message (official documents: tests/e2e/test_documents_delivery.py)
    are left out."""
    out = {}
    for key, texts in received.items():
        parts = [part for text in texts for part in text.split("\n\n— — —\n\n")]
        out[key] = [_marker(part) for part in parts if not FILE.search(part)]
    return out


def _marker(text: str) -> str:
    lines = text.splitlines()
    if lines[0].startswith("☀️"):
        return "digest"
    second = lines[1] if len(lines) > 1 else ""
    for marker, name in (
        ("已催报", "plan-notice" if "研究部署" in second else "feedback-notice"),
        ("催报：", "plan-chase" if "研究部署" in second else "feedback-chase"),
        ("前报送研究部署情况", "plan-reminder"),
        ("前报送首次反馈", "feedback-reminder"),
        ("⏰ 尚未签收", "chase-contact"),
        ("至今未签收", "chase-head"),
        ("还有3天到期", "due-3"),
        ("还有1天到期", "due-1"),
        ("今天", "due-0"),
        ("提请", "level-1"),
        ("催办通知（", "level-2"),
        ("列入督查事项", "level-3"),
        ("督办：", "urged"),
        ("已决定约谈", "talk-done"),
        ("约谈", "talk"),
        ("督办意见已发送", "urge-done"),
        ("已办", "done"),
    ):
        if marker in second:
            return name
    return second


async def test_an_item_from_dispatch_up_the_whole_ladder(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 30_000)
    inbox = Inbox(users)
    draft = ItemDraft(
        title="整治县城背街小巷环境卫生",
        body="",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit="edu",
        leader="wang",
    )
    view = await register_item(bench.rt, Origin(None, via_api=True), draft, dispatch=True)
    await settle(bench)
    # The dispatch notice, the head's copy and the deputy leader's copy (同时报分管领导).
    assert set(inbox.new()) == {"lina", "zhangjun", "wang"}

    assert kinds(await step(bench, inbox, local(11, 24, 8, 59))) == {"lina": ["digest"]}
    assert kinds(await step(bench, inbox, local(11, 24, 9))) == {
        "lina": ["chase-contact", "plan-reminder"]
    }
    assert kinds(await step(bench, inbox, local(11, 25, 9))) == {
        "lina": ["plan-chase", "digest"],
        "zhangjun": ["chase-head", "plan-chase"],
    }
    assert kinds(await step(bench, inbox, local(11, 27, 9))) == {
        "lina": ["digest"],
        **{key: ["plan-notice"] for key in ["wang", *OFFICE]},
    }
    assert kinds(await step(bench, inbox, local(11, 29, 9))) == {
        "lina": ["feedback-reminder", "digest"]
    }
    due3 = await step(bench, inbox, local(11, 30, 9))
    assert kinds(due3) == {"lina": ["digest", "due-3"]}
    assert len(due3["lina"]) == 1  # due to one chat at once: merged into one message
    assert kinds(await step(bench, inbox, local(12, 1, 9))) == {
        "lina": ["feedback-chase", "digest"],
        "zhangjun": ["feedback-chase"],
    }
    assert kinds(await step(bench, inbox, local(12, 2, 9))) == {"lina": ["digest", "due-1"]}
    assert kinds(await step(bench, inbox, local(12, 3, 9))) == {
        "lina": ["digest", "due-0"],
        **{key: ["feedback-notice"] for key in ["wang", *OFFICE]},
    }
    # Overdue from midnight, but quiet hours (22:00–08:00) hold level 1 until 08:00.
    assert kinds(await step(bench, inbox, local(12, 4, 0, 1))) == {}
    assert kinds(await step(bench, inbox, local(12, 4, 7, 59))) == {}
    level1 = kinds(await step(bench, inbox, local(12, 4, 8, 0)))
    assert level1 == {key: ["level-1"] for key in ["wang", *OFFICE]}
    assert inbox.times("wang", 1) == [local(12, 4, 8).astimezone(UTC)]
    # The deputy leader urges from the message: the unit's contact and head get it, named.
    wang = users["wang"]
    message = wang.messages[-1]
    assert message.button_texts == ["📣 督办", "✍️ 批示", "🗣 约谈", "详情"]
    await wang.press(message, "📣 督办")
    await wang.wait_callback_answer()
    # The answer keeps the chat's one-a-second pace after level 1's message: it may come later.
    await wang.wait_message(lambda m: "督办意见已发送" in m.plain_text)
    await settle(bench)
    urged = inbox.new()
    assert kinds(urged) == {"wang": ["urge-done"], "lina": ["urged"], "zhangjun": ["urged"]}
    assert "王" in urged["lina"][0].splitlines()[1]
    # Level 2: the numbered written urging notice, to head and contact; the office told.
    level2 = await step(bench, inbox, local(12, 7, 8))
    assert kinds(level2) == {key: ["level-2"] for key in ["zhangjun", "lina", *OFFICE]}
    assert all("催〔2026〕1号" in texts[0] for texts in level2.values())
    # Level 3: the principal leader and the office; the item becomes an inspection item.
    level3 = await step(bench, inbox, local(12, 11, 8))
    assert kinds(level3) == {key: ["level-3"] for key in ["zhao", *OFFICE]}
    zhao = users["zhao"]
    assert zhao.messages[-1].button_texts == ["🗣 约谈", "📢 通报批评", "详情"]
    await zhao.press(zhao.messages[-1], "🗣 约谈")
    await zhao.wait_callback_answer()
    await settle(bench)
    talk = kinds(inbox.new())
    assert talk == {
        "zhao": ["talk-done"],
        "lina": ["talk"],
        "zhangjun": ["talk"],
        **{key: ["talk"] for key in OFFICE},
    }
    # Nothing more, however often the sweep runs.
    assert kinds(await step(bench, inbox, local(12, 11, 8, 1))) == {}
    headers = {"Authorization": "Bearer test-api-token"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"{bench.base_url}/api/items/{view.ref}") as response,
    ):
        body = await response.json()
    assert body["escalation_level"] == 3
    assert body["inspection"] is True
    kinds_on_timeline = [entry["kind"] for entry in body["timeline"]]
    for kind in ("reminded", "escalated", "urging_notice", "inspection_item", "urged"):
        assert kind in kinds_on_timeline
    assert "talk_ordered" in kinds_on_timeline
    assert "delivered" in kinds_on_timeline
    # The ladder speaks the rules' words: no level numbers, no raw codes, anywhere a person reads.
    for user in users.values():
        for sent in user.messages:
            assert not re.search(r"第\s*\d+\s*级|level \d|escalat", sent.text or ""), sent.text
