"""Joining by invite, end to end: roster → invites → /start through the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from services.people import issue_invites
from tests.conftest import Bench, import_example_county

MENU = {
    "lina": {"items", "item", "report", "help", "lang", "cancel"},
    "zhangjun": {"items", "item", "report", "overdue", "bind", "help", "lang", "cancel"},
    "wang": {"items", "item", "overdue", "stats", "help", "lang", "cancel"},
    "zhao": {"items", "item", "overdue", "stats", "help", "lang", "cancel"},
    "wuting": {"items", "item", "overdue", "new", "stats", "bind", "help", "lang", "cancel"},
}
ROLE_WORDS = {
    "lina": "单位联系人（县教育局）",
    "zhangjun": "单位主要负责人（县教育局）",
    "wang": "分管领导",
    "zhao": "主要领导",
    "wuting": "督查室",
}


async def test_everyone_joins_with_role_welcome_and_menu(bench: Bench) -> None:
    await import_example_county(bench.rt)
    invites = await issue_invites(bench.rt, bot_username=bench.fake.bot_username)
    assert all(i.link and i.link.startswith("https://t.me/duban_test_bot?start=") for i in invites)
    users = {}
    for number, invite in enumerate(invites):
        user = bench.fake.user(9000 + number, invite.name)
        users[invite.person] = user
        await user.send_text(f"/start {invite.token}")
    for invite in invites:
        welcome = await users[invite.person].wait_message()
        assert invite.name in welcome.plain_text
        assert "欢迎" in welcome.plain_text
    for key, words in ROLE_WORDS.items():
        user = users[key]
        assert words in user.messages[0].plain_text
        menu = bench.fake.commands(scope={"type": "chat", "chat_id": user.chat_id})
        assert {command for command, _ in menu} == MENU[key]
    # Nobody is left to invite.
    assert await issue_invites(bench.rt, bot_username=bench.fake.bot_username) == []


async def test_bad_tokens_are_refused_clearly(bench: Bench) -> None:
    await import_example_county(bench.rt)
    invites = {i.person: i for i in await issue_invites(bench.rt, bot_username="duban_test_bot")}
    lina = bench.fake.user(9001, "李娜")
    await lina.send_text(f"/start {invites['lina'].token}")
    assert "欢迎" in (await lina.wait_message()).plain_text

    thief = bench.fake.user(9002, "某人")
    await thief.send_text(f"/start {invites['lina'].token}")
    assert "已被使用" in (await thief.wait_message()).plain_text

    await thief.send_text("/start not-a-real-token")
    assert "邀请码无效" in (await thief.wait_message()).plain_text

    bench.clock.advance(timedelta(days=15))
    await thief.send_text(f"/start {invites['caomin'].token}")
    assert "已过期" in (await thief.wait_message()).plain_text

    await thief.send_text("你好")
    told = await thief.wait_message()
    assert "还没有加入" in told.plain_text and "/complain" in told.plain_text
    # Refusals change nothing: the thief is still a stranger.
    await thief.send_text("/start")
    assert "还没有加入" in (await thief.wait_message()).plain_text


async def test_language_switch_and_help(bench: Bench) -> None:
    await import_example_county(bench.rt)
    [invite] = await issue_invites(bench.rt, bot_username="duban_test_bot", keys=["wuting"])
    user = bench.fake.user(9100, "吴婷")
    await user.send_text(f"/start {invite.token}")
    await user.wait_message()
    await user.send_text("/lang")
    choose = await user.wait_message()
    await user.press(choose, "English")
    edited = await user.wait_edit(choose)
    assert edited.plain_text == "Language set to English."
    await user.send_text("/help")
    help_text = (await user.wait_message()).plain_text
    assert "/new — Register a new item" in help_text
    menu = dict(bench.fake.commands(scope={"type": "chat", "chat_id": user.chat_id}))
    assert menu["new"] == "Register a new item"


async def test_forged_button_gets_a_polite_answer(bench: Bench) -> None:
    user = bench.fake.user(9200, "路人")
    await user.send_text("/lang")
    choose = await user.wait_message()
    await user.press_data(choose, "lang:xx")
    answer = await user.wait_callback_answer()
    assert answer.show_alert and answer.text and "失效" in answer.text
    await user.press_data(choose, "zz:1:2")
    answer = await user.wait_callback_answer()
    assert answer.text and "失效" in answer.text


async def test_reply_survives_429_and_5xx_and_arrives_once(bench: Bench) -> None:
    user = bench.fake.user(9300, "路人")
    bench.fake.fail("sendMessage", status=429, retry_after=1, chat_id=user.chat_id)
    bench.fake.fail("sendMessage", status=502, chat_id=user.chat_id, times=2)
    await user.send_text("/help")
    await user.wait_message(timeout=10)
    assert len(user.messages) == 1
    assert bench.fake.stats.throttled_injected == 1
    assert bench.fake.stats.server_errors == 2
    async with aiohttp.ClientSession() as http, http.get(f"{bench.base_url}/metrics") as resp:
        body = await resp.text()
    assert 'duban_send_failures_total{reason="rate_limited"} 1.0' in body
    assert 'duban_send_failures_total{reason="server_error"} 2.0' in body
    assert 'duban_messages_sent_total{method="sendMessage"} 1.0' in body


async def test_health_and_metrics(bench: Bench) -> None:
    user = bench.fake.user(9400, "路人")
    await user.send_text("/help")
    await user.wait_message()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{bench.base_url}/healthz") as resp:
            assert resp.status == 200
            assert await resp.json() == {
                "status": "ok",
                "database": True,
                "bot": True,
                "sweep_lease_held": False,  # its first turn is a minute after the start
            }
        async with http.get(f"{bench.base_url}/metrics") as resp:
            body = await resp.text()
    assert 'duban_updates_handled_total{kind="command"}' in body
    assert "duban_handler_latency_seconds_bucket" in body
