"""Binding work groups (工作群) through the fake Bot API: by a one-time link and by /bind, only
by the office or a unit's head for their unit, one binding per group, /unbind and the console's
undo, a stranger's group left, the bot removed (traffic falls back) and a supergroup upgrade."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from services import work_groups
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import CSRF, page, signed_in
from tests.e2e.group_helpers import bound_group, join


async def test_office_binds_by_link_and_the_link_works_once(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "lina"])
    qian, lina = users["qian"], users["lina"]
    await qian.send_text("/bind")
    links = await qian.wait_message()
    labels = links.button_texts
    assert labels[:2] == ["督查室工作群", "领导工作群"] and "县教育局工作群" in labels
    url = links.callback_data[labels.index("督查室工作群")]
    assert url.startswith("https://t.me/duban_test_bot?startgroup=")
    token = parse_qs(urlparse(url).query)["startgroup"][0]

    group = bench.fake.group(-100, "督查室", [qian, lina])
    group.add_bot(qian, start=token)
    done = await group.wait_message(lambda m: "本群已绑定为" in m.plain_text)
    assert "督查室工作群" in done.plain_text and "新的投诉举报" in done.plain_text
    bound = await work_groups.group_of_chat(bench.rt, -100)
    assert bound is not None and bound.kind == "office"

    other = bench.fake.group(-101, "另一个群", [qian])
    other.add_bot(qian, start=token)
    used = await other.wait_message(lambda m: "已被使用" in m.plain_text)
    assert "/bind" in used.plain_text
    assert await work_groups.group_of_chat(bench.rt, -101) is None

    # a link pasted into a private chat is refused plainly
    await lina.send_text(f"/start {token}")
    assert "不是在私聊中使用" in (await lina.wait_message()).plain_text


async def test_an_expired_link_and_one_used_by_someone_else_are_refused(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhangjun"])
    qian, zhangjun = users["qian"], users["zhangjun"]
    await qian.send_text("/bind")
    links = await qian.wait_message()
    token = parse_qs(urlparse(links.callback_data[0]).query)["startgroup"][0]
    group = bench.fake.group(-110, "群", [qian, zhangjun])
    group.add_bot(zhangjun, start=token)
    assert (
        "只有本人可以使用"
        in (await group.wait_message(lambda m: "钱丽华" in m.plain_text)).plain_text
    )
    bench.clock.advance(timedelta(hours=25))
    await group.send_text(qian, f"/start@duban_test_bot {token}")
    assert "已过期" in (await group.wait_message(lambda m: "过期" in m.plain_text)).plain_text
    assert await work_groups.group_of_chat(bench.rt, -110) is None


async def test_bind_needs_the_right_and_one_group_has_one_binding(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhangjun", "lina", "huangwei"])
    qian, zhangjun, lina, huangwei = (users[k] for k in ("qian", "zhangjun", "lina", "huangwei"))
    group = bench.fake.group(-200, "教育局工作群", [zhangjun, lina, huangwei, qian])
    group.add_bot(zhangjun)
    await group.wait_message(lambda m: "/bind" in m.plain_text)

    await group.send_text(lina, "/bind edu")  # a contact, not the head
    refused = await group.wait_message(lambda m: "只有督查室" in m.plain_text)
    assert "单位主要负责人" in refused.plain_text
    await group.send_text(huangwei, "/bind edu")  # another unit's head
    await group.wait_message(lambda m: "只有督查室" in m.plain_text)
    assert await work_groups.group_of_chat(bench.rt, -200) is None

    await group.send_text(zhangjun, "/bind")  # the head, for his own unit
    done = await group.wait_message(lambda m: "本群已绑定为" in m.plain_text)
    assert "县教育局工作群" in done.plain_text

    await group.send_text(qian, "/bind office")  # one group, one binding
    taken = await group.wait_message(
        lambda m: "已绑定为" in m.plain_text and "/unbind" in m.plain_text
    )
    assert "县教育局工作群" in taken.plain_text
    second = bench.fake.group(-201, "教育局二群", [zhangjun])
    second.add_bot(zhangjun)
    await second.wait_message(lambda m: "/bind" in m.plain_text)
    await second.send_text(zhangjun, "/bind edu")  # one group per unit
    assert "已有工作群" in (await second.wait_message(lambda m: "已有" in m.plain_text)).plain_text

    await group.send_text(lina, "/unbind")
    await group.wait_message(lambda m: "只有督查室" in m.plain_text)
    await group.send_text(zhangjun, "/unbind")
    gone = await group.wait_message(lambda m: "已不再是" in m.plain_text)
    assert "县教育局工作群" in gone.plain_text
    assert await work_groups.group_of_chat(bench.rt, -200) is None


async def test_a_stranger_adding_the_bot_sees_it_leave(bench: Bench) -> None:
    await import_example_county(bench.rt)
    stranger = bench.fake.user(39_999, "路人")
    group = bench.fake.group(-300, "闲聊群", [stranger])
    group.add_bot(stranger)
    bye = await group.wait_message()
    assert "只服务督查室绑定的工作群" in bye.plain_text
    await group.wait_bot_gone()
    assert await work_groups.group_of_chat(bench.rt, -300) is None


async def test_upgrade_to_a_supergroup_keeps_the_binding(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian"])
    group = await bound_group(bench, -400, "领导群", [users["qian"]], users["qian"], "leaders")
    group.migrate(-1_000_400)
    await group.send_text(users["qian"], "/bind office")  # the new id is still the leaders'
    taken = await group.wait_message(lambda m: "/unbind" in m.plain_text)
    assert "领导工作群" in taken.plain_text
    moved = await work_groups.group_of_chat(bench.rt, -1_000_400)
    assert moved is not None and moved.kind == "leaders"


async def test_the_console_shows_each_unit_s_group_and_unbinds(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["qian", "zhangjun", "wang"])
    await bound_group(bench, -500, "教育局工作群", [users["zhangjun"]], users["zhangjun"], "edu")
    await bound_group(bench, -501, "督查室群", [users["qian"]], users["qian"], "office")
    async with await signed_in(bench, users["wang"]) as http:  # a leader sees, cannot undo
        status, html = await page(http, f"{bench.base_url}/console/units")
        assert status == 200 and "教育局工作群" in html and "/unbind" not in html
    async with await signed_in(bench, users["qian"]) as http:
        status, html = await page(http, f"{bench.base_url}/console/units")
        assert status == 200 and "教育局工作群" in html and "督查室群" in html
        assert "未绑定：向机器人发送 /bind" in html  # the units without a group
        csrf = CSRF.search(html)
        assert csrf is not None
        edu = await work_groups.group_of_chat(bench.rt, -500)
        assert edu is not None
        async with http.post(
            f"{bench.base_url}/console/groups/{edu.id}/unbind",
            data={"csrf": csrf.group(1)},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
        status, html = await page(http, f"{bench.base_url}/console/units?done=unbound")
        assert "已解绑" in html and "教育局工作群" not in html
    assert await work_groups.group_of_chat(bench.rt, -500) is None
