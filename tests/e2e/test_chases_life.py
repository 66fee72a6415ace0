"""Every deadline of an item is chased (issue 15), through the real bot and the fake Telegram,
the clock moved by hand: a unit acknowledges and then says nothing; day by day it is reminded of
its plan (研究部署), chased (催报) with its head, the deputy leader and the office are told, the
same for the first feedback (首次反馈), and finally the ladder. Each message once, in order,
with the dates of the default policy in its text."""

from __future__ import annotations

import aiohttp

from domain.views import ItemView
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from testbench import FakeUser
from testbench.models import BotMessage
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import csrf_of, join, page, signed_in
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_reminders_life import OFFICE, PEOPLE, local, step
from tests.e2e.test_whole_loop import join_people, report


def marker(text: str) -> str:
    """What one message is, by its second line."""
    lines = text.splitlines()
    if lines[0].startswith("☀️"):
        return "digest"
    second = lines[1] if len(lines) > 1 else ""
    for words, name in (
        ("已催报", "notice"),
        ("催报：", "chase"),
        ("前报送研究部署情况", "plan-reminder"),
        ("前报送首次反馈", "feedback-reminder"),
        ("还有3天到期", "due-3"),
        ("还有1天到期", "due-1"),
        ("今天", "due-0"),
        ("提请", "level-1"),
    ):
        if words in second:
            return name
    return second


def kinds(received: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        key: [marker(part) for text in texts for part in text.split("\n\n— — —\n\n")]
        for key, texts in received.items()
    }


def last_text(user: FakeUser) -> BotMessage:
    """The last message that is not a file (a dispatch sheet follows its notice)."""
    return next(m for m in reversed(user.messages) if not m.is_document)


DRAFT = ItemDraft(
    title="整治县城背街小巷环境卫生",
    body="",
    source=Source.MEETING,
    time_class=TimeClass.GENERAL,
    lead_unit="edu",
    leader="wang",
)


async def acknowledged(bench: Bench, contact: FakeUser, inbox: Inbox) -> ItemView:
    """``DRAFT`` dispatched, and acknowledged by its contact; the inbox emptied."""
    view = await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    await settle(bench)
    await contact.press(last_text(contact), "✅ 签收")
    await contact.wait_callback_answer()
    await settle(bench)
    inbox.new()
    return view


async def test_a_silent_unit_is_chased_for_each_deadline(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 40_000)
    inbox = Inbox(users)
    # Dispatched Mon 23 Nov 09:00: plan by 24 Nov, first feedback by 30 Nov, due 3 Dec.
    view = await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    await settle(bench)
    first = inbox.new()
    assert set(first) == {"lina", "zhangjun", "wang"}
    copy = last_text(users["wang"])
    assert "同时报分管领导" in copy.plain_text and "11月24日前签收、研究部署" in copy.plain_text
    assert copy.button_texts == ["详情"]
    lina = users["lina"]
    await lina.press(last_text(lina), "✅ 签收")
    await lina.wait_callback_answer()
    await settle(bench)
    inbox.new()

    plan = await step(bench, inbox, local(11, 24, 9))
    assert kinds(plan) == {"lina": ["plan-reminder", "digest"]}
    assert "11月24日前报送研究部署情况" in plan["lina"][0]
    chased = await step(bench, inbox, local(11, 25, 9))
    assert kinds(chased) == {"lina": ["chase", "digest"], "zhangjun": ["chase"]}
    assert "应于11月24日前报送研究部署情况，至今未报" in chased["lina"][0]
    assert "11月27日仍未报送的，将报分管领导" in chased["lina"][0]
    assert "/report" in chased["lina"][0] and "督促专人" in chased["zhangjun"][-1]
    assert kinds(await step(bench, inbox, local(11, 26, 9))) == {"lina": ["digest"]}
    told = await step(bench, inbox, local(11, 27, 9))
    assert kinds(told) == {
        "lina": ["digest"],
        **{key: ["notice"] for key in ["wang", *OFFICE]},
    }
    assert "11月25日已催报，至今仍未报送" in told["wang"][-1]
    assert users["wang"].messages[-1].button_texts == ["详情"]

    feedback = await step(bench, inbox, local(11, 29, 9))
    assert kinds(feedback) == {"lina": ["feedback-reminder", "digest"]}
    assert "11月30日前报送首次反馈" in feedback["lina"][0]
    assert kinds(await step(bench, inbox, local(11, 30, 9))) == {"lina": ["digest", "due-3"]}
    chased = await step(bench, inbox, local(12, 1, 9))
    assert kinds(chased) == {"lina": ["chase", "digest"], "zhangjun": ["chase"]}
    assert "应于11月30日前报送首次反馈" in chased["zhangjun"][-1]
    assert kinds(await step(bench, inbox, local(12, 2, 9))) == {"lina": ["digest", "due-1"]}
    last_day = await step(bench, inbox, local(12, 3, 9))
    assert kinds(last_day) == {
        "lina": ["digest", "due-0"],
        **{key: ["notice"] for key in ["wang", *OFFICE]},
    }
    assert "12月1日已催报" in last_day["wang"][-1]
    ladder = await step(bench, inbox, local(12, 4, 8))
    assert kinds(ladder) == {key: ["level-1"] for key in ["wang", *OFFICE]}
    # Nothing more is chased: the ladder has taken over.
    assert kinds(await step(bench, inbox, local(12, 4, 8, 1))) == {}

    headers = {"Authorization": "Bearer test-api-token"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"{bench.base_url}/api/items/{view.ref}") as response,
    ):
        body = await response.json()
    chases = [entry for entry in body["timeline"] if entry["kind"] == "chased"]
    assert len(chases) == 4  # the plan's chase and notice, the feedback's chase and notice


async def test_a_plan_sent_after_the_chase_stops_it_and_is_marked_late(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 41_000)
    inbox = Inbox(users)
    view = await acknowledged(bench, users["lina"], inbox)
    assert kinds(await step(bench, inbox, local(11, 25, 9)))["zhangjun"] == ["chase"]
    # The plan comes on 26 Nov, after its date: accepted, marked late; no notice on 27 Nov.
    await report(users["lina"], view.ref, "研究部署", "已召开专题会议研究部署。")
    await settle(bench)
    inbox.new()
    assert "notice" not in str(kinds(await step(bench, inbox, local(11, 27, 9))))
    headers = {"Authorization": "Bearer test-api-token"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"{bench.base_url}/api/items/{view.ref}") as response,
    ):
        body = await response.json()
    reported = [entry for entry in body["timeline"] if entry["kind"] == "reported"]
    assert reported[-1]["data"]["late"] == [{"duty": "plan", "by": "2026-11-24"}]


async def test_the_office_moves_the_plan_date_and_the_chases_follow(bench: Bench) -> None:
    """An extension moves only the due date; the office moves the plan (研究部署) date on its
    own (``/steps``): the unit is told, the old date is not chased, the new one is."""
    await import_example_county(bench.rt)
    users = await join_people(bench, PEOPLE, 43_000)
    inbox = Inbox(users)
    # Dispatched Mon 23 Nov 09:00: plan by 24 Nov, first feedback by 30 Nov, due 3 Dec.
    view = await acknowledged(bench, users["lina"], inbox)
    headers = {"Authorization": "Bearer test-api-token"}
    url = f"{bench.base_url}/api/items/{view.ref}/steps"
    async with aiohttp.ClientSession(headers=headers) as http:
        for body, field in (
            ({}, None),  # nothing given
            ({"plan_by": "2026-11-20"}, "plan_by"),  # in the past
            ({"plan_by": "2026-12-10"}, "plan_by"),  # after the due date
            ({"plan_by": "2026-12-01"}, "plan_by"),  # after the first feedback (30 Nov)
            ({"plan_by": "明天"}, None),  # not a date
        ):
            async with http.post(url, json=body) as response:
                assert response.status in (400, 422), (body, response.status)
                refusal = await response.json()
            assert field is None or field in str(refusal), refusal
        async with http.post(url, json={"plan_by": "2026-11-27", "reason": "待县委会研究"}) as r:
            assert r.status == 200
            moved = await r.json()
    assert moved["plan_by"].startswith("2026-11-27")
    await settle(bench)
    told = inbox.new()
    assert "督查室调整了时限" in told["lina"][0] and "研究部署11月27日前" in told["lina"][0]
    assert "待县委会研究" in told["lina"][0]
    # The old date passes unchased; the reminder and the chase come for the new one.
    assert kinds(await step(bench, inbox, local(11, 25, 9))) == {"lina": ["digest"]}
    reminded = await step(bench, inbox, local(11, 27, 9))
    assert "11月27日前报送研究部署情况" in reminded["lina"][0]
    chased = await step(bench, inbox, local(11, 30, 9))  # the next working day after Fri 27
    for key in ("lina", "zhangjun"):
        assert any("应于11月27日前报送研究部署情况，至今未报" in m for m in chased[key]), key
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.get(f"{bench.base_url}/api/items/{view.ref}") as response,
    ):
        timeline = (await response.json())["timeline"]
    (entry,) = [e for e in timeline if e["kind"] == "steps_moved"]
    assert entry["data"]["plan"] == {"from": "2026-11-24", "to": "2026-11-27"}


async def test_the_office_moves_the_first_feedback_on_the_console(bench: Bench) -> None:
    await import_example_county(bench.rt)
    staff = await join(bench, ["qian", "lina"])
    view = await register_item(bench.rt, Origin(None, via_api=True), DRAFT, dispatch=True)
    console = await signed_in(bench, staff["qian"])
    async with console:
        _, html = await page(console, f"{bench.base_url}/console/items/{view.ref}")
        assert 'name="first_feedback_by" value="2026-11-30"' in html
        action = f"{bench.base_url}/console/items/{view.ref}/steps"
        form = {"csrf": csrf_of(html), "plan_by": "2026-11-24", "first_feedback_by": "2026-12-05"}
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status == 422  # after the due date (3 Dec): refused, nothing moved
        form["first_feedback_by"] = "2026-12-02"
        async with console.post(action, data=form, allow_redirects=False) as response:
            assert response.status == 303
        _, html = await page(console, f"{bench.base_url}/console/items/{view.ref}?done=steps_moved")
        assert "新的时限已设定" in html and 'value="2026-12-02"' in html
    told = await staff["lina"].wait_message(lambda m: "督查室调整了时限" in m.plain_text)
    assert "首次反馈12月2日前" in told.plain_text and "研究部署11月24日前" in told.plain_text
