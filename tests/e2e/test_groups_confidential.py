"""内部 (confidential) items: marked in the /new conversation, they go to no work group; the
office marks an item internal or open again on the console, on the timeline, until it is
archived; nobody else may."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from domain.vocabulary import NotificationStatus
from services import decisions
from services.archive import archive_item
from services.confidentiality import set_confidential
from services.items import Origin, register_item
from services.views import load_item, timeline
from storage.models import Notification
from tests.conftest import Bench, import_example_county
from tests.e2e.console_helpers import actor_of, csrf_of, item_awaiting_close, page, signed_in
from tests.e2e.group_helpers import DRAFT, bound_group, join
from tests.e2e.reminder_helpers import settle
from tests.e2e.test_new_item_chat import fill_new_item, press

API = Origin(None, via_api=True)


async def refused_toggle(http: aiohttp.ClientSession, url: str, status: int) -> str:
    """The item page shows no toggle, and posting one anyway is refused with ``status``."""
    code, html = await page(http, url)
    assert code == 200 and 'id="toggle-confidential"' not in html
    data = {"csrf": csrf_of(html), "confidential": "on"}
    async with http.post(f"{url}/confidential", data=data) as response:
        assert response.status == status
        return await response.text()


async def test_an_item_marked_internal_at_new_goes_to_no_group(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "zhangjun", "lina", "caomin"])
    group = await bound_group(
        bench, -1100, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    wuting = users["wuting"]
    preview = await fill_new_item(wuting, "内部核查事项")
    assert "🔒 设为内部" in preview.button_texts and "内部：不发工作群" not in preview.plain_text
    marked = await press(wuting, preview, "🔒 设为内部")
    assert "🔒 内部：不发工作群" in marked.plain_text and "🔓 取消内部" in marked.button_texts
    unmarked = await press(wuting, marked, "🔓 取消内部")
    assert "内部：不发工作群" not in unmarked.plain_text
    marked = await press(wuting, unmarked, "🔒 设为内部")
    done = await press(wuting, marked, "✅ 提交")
    assert "督〔2026〕1号 内部核查事项 已交办" in done.plain_text
    notice = await users["lina"].wait_message(lambda m: "内部核查事项" in m.plain_text, timeout=10)
    await users["lina"].press(notice, "详情")  # the item's card says it is internal
    card = await users["lina"].wait_message(lambda m: "状态：" in m.plain_text, timeout=10)
    assert "🔒 内部：不发工作群" in card.plain_text
    async with bench.rt.db.session() as session:
        view = await load_item(session, "2026-1", bench.clock.now(), bench.rt.policy)
    assert view.confidential
    # An ordinary item reaches the group after it: the internal one never did.
    await register_item(bench.rt, API, DRAFT, dispatch=True)
    await group.wait_message(lambda m: "督〔2026〕2号" in m.plain_text, timeout=10)
    assert not [m for m in group.messages if "内部核查事项" in m.plain_text]


async def test_the_office_marks_an_item_internal_on_the_console(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "wang", "lina", "zhangjun"])
    ref = (await register_item(bench.rt, API, DRAFT, dispatch=True)).ref
    url = f"{bench.base_url}/console/items/{ref}"
    http = await signed_in(bench, users["wuting"])
    async with http:
        status, html = await page(http, url)
        assert status == 200 and 'id="toggle-confidential"' in html and "设为内部" in html
        token = csrf_of(html)
        async with http.post(f"{url}/confidential", data={"confidential": "on"}) as response:
            assert response.status == 403  # no CSRF token
        data = {"csrf": token, "confidential": "on"}
        async with http.post(f"{url}/confidential", data=data) as response:
            assert response.status == 200
            html = await response.text()
        assert "🔒 内部：不发工作群" in html and "取消内部" in html and "已设为内部" in html
        async with bench.rt.db.session() as session:
            view = await load_item(session, ref, bench.clock.now(), bench.rt.policy)
            kinds = [e.kind for e in await timeline(session, view.id)]
        assert view.confidential and kinds[-1] == "confidential"
        data = {"csrf": token, "confidential": "off"}
        async with http.post(f"{url}/confidential", data=data) as response:
            html = await response.text()
        assert "🔒 内部：不发工作群" not in html and "已取消内部" in html
        async with http.post(f"{url}/confidential", data={"csrf": token}) as response:
            assert response.status == 400  # neither on nor off
    leader = await signed_in(bench, users["wang"])  # the edu bureau's leader: sees, not office
    async with leader:
        await refused_toggle(leader, url, 403)
    async with bench.rt.db.session() as session:
        assert not (await load_item(session, ref, bench.clock.now(), bench.rt.policy)).confidential


async def test_an_archived_item_keeps_its_mark(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "lina", "zhangjun"])
    ref = await item_awaiting_close(bench.rt)
    await decisions.close_item(bench.rt, API, ref, answer="整改到位")
    await archive_item(bench.rt, API, ref)
    url = f"{bench.base_url}/console/items/{ref}"
    http = await signed_in(bench, users["wuting"])
    async with http:
        assert "已归档" in await refused_toggle(http, url, 409)


async def test_what_a_group_still_had_queued_goes_privately_once_marked(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join(bench, ["wuting", "zhangjun", "lina"])
    group = await bound_group(
        bench, -1200, "教育局群", [users["zhangjun"], users["lina"]], users["zhangjun"], "edu"
    )
    bench.fake.fail("sendMessage", status=429, retry_after=3600, chat_id=group.chat_id)
    ref = (await register_item(bench.rt, API, DRAFT, dispatch=True)).ref
    await settle(bench)  # the group's copy waits an hour to be retried
    async with bench.rt.db.session() as session:
        to_group = select(Notification).where(Notification.group_id.is_not(None))
        queued = await session.scalar(to_group)
        assert queued is not None and queued.status == NotificationStatus.PENDING
    wuting = await actor_of(bench.rt, "wuting")
    view = await set_confidential(bench.rt, Origin(wuting), ref, True)
    assert view.confidential
    await settle(bench)
    async with bench.rt.db.session() as session:
        queued = await session.get_one(Notification, queued.id)
        assert queued.status == NotificationStatus.UNREACHABLE
        private = list(
            await session.scalars(
                select(Notification).where(Notification.key.startswith(queued.key + "|private:"))
            )
        )
        event = (await timeline(session, view.id))[-1]
    assert private and all(n.status == NotificationStatus.SENT for n in private)
    assert event.kind == "confidential" and event.data["private"] == len(private)
    assert not [m for m in group.messages if "督〔2026〕1号" in m.plain_text]
