"""Talks (约谈) end to end through the real bot and the fake Telegram (issue 16): the deputy
leader orders one from the ladder's first message, the office records it in chat, the unit's
commitment is reminded and chased under a moved clock, and the item page and the API show it.
Who may press what: a deputy of other units, a unit's contact and the wrong person are refused
with a clear message and nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Talk
from tests.conftest import Bench
from tests.e2e.console_helpers import csrf_of, page, signed_in
from tests.e2e.measures_helpers import local, overdue_item, step
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_whole_loop import api, has

PEOPLE = ["lina", "zhangjun", "wang", "chen", "zhao", "qian", "zhoujian", "wuting"]


async def talks_count(bench: Bench) -> int:
    async with bench.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Talk)) or 0)


async def test_a_talk_ordered_by_the_deputy_recorded_by_the_office_and_its_commitment_chased(
    bench: Bench,
) -> None:
    users, view = await overdue_item(bench, PEOPLE, 40_000)
    wang, chen, lina, qian = users["wang"], users["chen"], users["lina"], users["qian"]
    await step(bench, local(12, 4, 8))
    level1 = wang.messages[-1]
    assert "按规定提请您督办" in level1.plain_text
    assert level1.button_texts == ["📣 督办", "✍️ 批示", "🗣 约谈", "详情"]
    # A deputy leader of other units and the unit's contact may not order it.
    await chen.press_data(chen.messages[-1], f"tlk:{view.ref}")
    assert (await chen.wait_callback_answer())[
        0
    ] == "只有本事项的分管领导、主要领导和督查室可以决定约谈。"
    await lina.press_data(lina.messages[-1], f"tlk:{view.ref}")
    assert "只有本事项的分管领导" in (await lina.wait_callback_answer())[0]
    assert await talks_count(bench) == 0
    inbox = Inbox(users)
    await wang.press(level1, "🗣 约谈")
    await wang.wait_callback_answer()
    await settle(bench)
    told = inbox.new()
    assert set(told) == {"wang", "lina", "zhangjun", "qian", "zhoujian", "wuting"}
    assert "已决定约谈县教育局主要负责人" in told["wang"][0]
    assert "王立新决定就本逾期事项约谈县教育局主要负责人" in told["zhangjun"][0]
    # A second press orders nothing more.
    await wang.press(level1, "🗣 约谈")
    await wang.wait_callback_answer()
    await settle(bench)
    assert list(inbox.new()) == ["wang"] and await talks_count(bench) == 1
    # The office records it; the deputy may not.
    office_message = qian.messages[-1]
    assert office_message.button_texts == ["📝 记录约谈", "详情"]
    talk_id = int(office_message.buttons[0][0].value.split(":")[1])
    await wang.press_data(wang.messages[-1], f"tkr:{talk_id}")
    assert "督查室" in (await wang.wait_callback_answer())[0]
    bench.clock.set(local(12, 5, 16))
    await qian.press(office_message, "📝 记录约谈")
    prompt = await qian.wait_message(has("分五行填写"), timeout=10)
    # Four lines: asked again, nothing recorded.
    await qian.send_text("12月5日 15:00\n县政府三楼会议室\n王立新、张军\n完成整治", reply_to=prompt)
    await qian.wait_message(has("请分五行回复"), timeout=10)
    await qian.send_text(
        "时间：12月5日 15:00\n地点：县政府三楼会议室\n参加人员：王立新、张军、李娜\n"
        "承诺：12月10日前完成全部背街小巷整治\n期限：12月10日",
        reply_to=prompt,
    )
    await qian.wait_message(has("约谈已登记"), timeout=10)
    await settle(bench)
    recorded = inbox.new()
    assert "承诺事项：12月10日前完成全部背街小巷整治，12月10日前完成。" in recorded["lina"][0]
    assert "约谈已于12月5日 15:00在县政府三楼会议室进行" in recorded["wang"][0]
    # The commitment is a deadline: reminded the day before, chased the next working day.
    await step(bench, local(12, 9, 9))
    assert any("约谈承诺事项的办理情况" in text for text in inbox.new()["lina"])
    await step(bench, local(12, 11, 9))
    chased = inbox.new()
    assert any("催报" in text and "约谈承诺" in text for text in chased["lina"])
    assert any("催报" in text and "约谈承诺" in text for text in chased["zhangjun"])
    # The API and the timeline show the talk.
    status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    assert status == 200
    (talk,) = body["talks"]
    assert talk["by"] == "deputy" and talk["ordered_by"] == "王立新"
    assert (talk["held_on"], talk["held_time"], talk["commit_by"]) == (
        "2026-12-05",
        "15:00",
        "2026-12-10",
    )
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert "talk_ordered" in kinds and "talk_held" in kinds
    # Recorded once: a second record is refused.
    status, error = await api(
        bench,
        "POST",
        f"/api/items/{view.ref}/talks/{talk_id}",
        {
            "held_on": "2026-12-05",
            "place": "x",
            "attendees": "x",
            "commitment": "x",
            "commit_by": "2026-12-20",
        },
    )
    assert status == 409, error
    # The item page shows the talk, and the commitment among the deadlines.
    http = await signed_in(bench, qian)
    async with http:
        status, html = await page(http, f"{bench.base_url}/console/items/{view.ref}")
    assert status == 200
    shown = html[html.index('id="talks"') :]
    assert "县政府三楼会议室" in shown and "12月10日前完成全部背街小巷整治" in shown
    assert "约谈承诺事项" in html[html.index('id="owed"') :]
    assert "登记约谈" in html  # the timeline's word for talk_held


async def test_the_office_records_a_talk_on_the_console(bench: Bench) -> None:
    users, view = await overdue_item(bench, PEOPLE, 41_000)
    wang, qian, zhangjun = users["wang"], users["qian"], users["zhangjun"]
    await step(bench, local(12, 4, 8))
    await wang.press(wang.messages[-1], "🗣 约谈")
    await wang.wait_callback_answer()
    await settle(bench)
    status, body = await api(bench, "GET", f"/api/items/{view.ref}/talks")
    (talk,) = body["talks"]
    url = f"{bench.base_url}/console/items/{view.ref}"
    form = {
        "held_on": "2026-12-05",
        "held_time": "09:30",
        "place": "县政府三楼会议室",
        "attendees": "王立新、张军",
        "commitment": "12月15日前完成全部背街小巷整治",
        "commit_by": "2026-12-15",
    }
    bench.clock.set(local(12, 5, 15))
    # The deputy leader sees the talk but no form, and a post of theirs is refused.
    async with await signed_in(bench, wang) as http:
        status, html = await page(http, url)
        assert status == 200 and f'id="talk-{talk["id"]}"' not in html
        async with http.post(f"{url}/talks/{talk['id']}", data=form) as response:
            assert response.status == 403
    async with await signed_in(bench, qian) as http:
        status, html = await page(http, url)
        assert f'id="talk-{talk["id"]}"' in html
        csrf = csrf_of(html)
        # Text where a date belongs: a clear page, nothing recorded.
        bad = form | {"csrf": csrf, "commit_by": "下周五"}
        async with http.post(f"{url}/talks/{talk['id']}", data=bad) as response:
            assert response.status == 422 and "日期" in await response.text()
        async with http.post(f"{url}/talks/99999", data=form | {"csrf": csrf}) as response:
            assert response.status == 404
        async with http.post(
            f"{url}/talks/{talk['id']}", data=form | {"csrf": csrf}, allow_redirects=False
        ) as response:
            assert response.status == 303
        status, html = await page(http, f"{url}?done=talk_recorded")
    assert "约谈情况已登记" in html and "县政府三楼会议室" in html
    status, body = await api(bench, "GET", f"/api/items/{view.ref}/talks")
    (recorded,) = body["talks"]
    assert recorded["place"] == "县政府三楼会议室" and recorded["commit_by"] == "2026-12-15"
    await settle(bench)
    assert any("12月15日前完成全部背街小巷整治" in m.plain_text for m in zhangjun.messages)
