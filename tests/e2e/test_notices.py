"""Notices of criticism and praise (通报) end to end (issue 16): the principal leader orders one
from the ladder's third message, the office edits the draft, the principal confirms, and the
notice reaches the unit's head and 专人, every deputy leader and each member of the organisations
the roster lists to copy, once; a second confirmation, a unit head's press and an expired draft
send nothing. A praise drafted through the API and left unconfirmed expires, the office told."""

from __future__ import annotations

import io
from datetime import timedelta

import aiohttp
from docx import Document as open_docx

from services.bulletin import send_weekly_bulletin
from services.sweep import run_sweep
from tests.conftest import Bench, import_example_county
from tests.e2e.measures_helpers import local, overdue_item, step
from tests.e2e.reminder_helpers import Inbox, settle
from tests.e2e.test_documents_delivery import documents, wait_for
from tests.e2e.test_whole_loop import HEADERS, api, has, join_people

UNIT = ["lina", "zhangjun"]
DEPUTIES = ["wang", "chen", "liu"]
COPIED = {"yangfan": "县委办", "xuli": "县委办", "hemin": "县人大办", "zhouyu": "县政协办"}
OFFICE = ["qian", "zhoujian", "wuting"]
PEOPLE = [*UNIT, *DEPUTIES, *COPIED, "zhao", *OFFICE, "huangwei"]
NEW_TEXT = "关于对县教育局予以通报批评的通报\n县教育局背街小巷整治逾期未办结，现予以通报批评。"


async def test_a_notice_of_criticism_drafted_edited_confirmed_and_copied_once(
    bench: Bench,
) -> None:
    users, view = await overdue_item(bench, PEOPLE, 60_000)
    zhao, qian, zhangjun = users["zhao"], users["qian"], users["zhangjun"]
    for day in (4, 7, 11):
        await step(bench, local(12, day, 8))
    level3 = zhao.messages[-1]
    inbox = Inbox(users)
    await zhao.press(level3, "📢 通报批评")
    await zhao.wait_callback_answer()
    await settle(bench)
    drafted = inbox.new()
    assert set(drafted) == {"zhao", *OFFICE}  # the orderer's answer, and the previews
    preview = zhao.messages[-1]
    assert preview.button_texts == ["✅ 确认发布", "✏️ 修改", "✖️ 不发布"]
    # The draft says what was required, how late, what was done, and what is required now.
    text = preview.plain_text
    assert "关于对县教育局予以通报批评的通报" in text
    assert "要求于12月3日前办结，至今已逾期8天" in text
    assert "催办通知（催〔2026〕1号）" in text
    assert "请县教育局于12月16日前办结" in text
    notice_id = int(preview.buttons[0][0].value.split(":")[1])
    # A unit's head may not confirm it; nothing is sent.
    await zhangjun.press_data(zhangjun.messages[-1], f"ntc:{notice_id}:ok")
    assert (await zhangjun.wait_callback_answer())[0] == "只有主要领导和督查室可以发布通报。"
    await settle(bench)
    assert inbox.new() == {}
    # The office edits it; the new draft comes back for confirmation.
    first_preview = qian.messages[-1]
    await qian.press(first_preview, "✏️ 修改")
    await qian.wait_callback_answer()
    prompt = await qian.wait_message(has("通报全文"), timeout=10)
    await qian.send_text(NEW_TEXT, reply_to=prompt)
    await qian.wait_message(has("已修改"), timeout=10)
    await settle(bench)
    revised = zhao.messages[-1]
    assert "县教育局背街小巷整治逾期未办结" in revised.plain_text
    inbox.new()
    # The principal confirms; pressing again, or the office on the old preview, sends nothing.
    await zhao.press(revised, "✅ 确认发布")
    await zhao.wait_callback_answer()
    await zhao.wait_message(has("已发送给9人"), timeout=10)
    await zhao.press(revised, "✅ 确认发布")
    assert "已不是草稿" in (await zhao.wait_callback_answer())[0]
    await qian.press(first_preview, "✅ 确认发布")
    assert "已不是草稿" in (await qian.wait_callback_answer())[0]
    await settle(bench)
    sent = inbox.new()
    receivers = {key for key in sent if key != "zhao"}
    assert receivers == {*UNIT, *DEPUTIES, *COPIED}
    for key in receivers:
        (message,) = sent[key]
        assert message.startswith("📢 通报批评") and "县教育局背街小巷整治逾期未办结" in message
        if key in COPIED:
            assert f"抄送：{COPIED[key]}" in message
    assert "huangwei" not in sent  # another unit's head is not on the list
    status, body = await api(bench, "GET", f"/api/items/{view.ref}")
    (notice,) = body["notices"]
    assert (notice["status"], notice["kind"], notice["text"]) == ("sent", "criticism", NEW_TEXT)
    assert "criticism_issued" in [entry["kind"] for entry in body["timeline"]]
    status, _ = await api(bench, "POST", f"/api/notices/{notice_id}/confirm")
    assert status == 409
    # Ordered again: it was sent, nothing new.
    status, again = await api(bench, "POST", f"/api/items/{view.ref}/criticism")
    assert status == 200 and again["already"] and again["notice"]["id"] == notice_id
    status, stats = await api(bench, "GET", "/api/stats?from=2026-12-01&to=2026-12-31")
    (edu,) = [row for row in stats["units"] if row["key"] == "edu"]
    assert edu["criticisms"] == 1

    # The weekly bulletin offers the office and the principal to praise the year's best units.
    await send_weekly_bulletin(bench.rt, force=True)
    await settle(bench)
    bulletin = next(m for m in qian.messages if "👍 通报表扬县教育局" in m.button_texts)
    wang_buttons = [b for m in users["wang"].messages for b in m.button_texts]
    assert "督办工作周通报" in users["wang"].messages[-2].plain_text  # the bulletin reached him
    assert not any(b.startswith("👍") for b in wang_buttons)  # but offers a deputy no praise
    inbox.new()
    await qian.press(bulletin, "👍 通报表扬县教育局")
    await qian.wait_callback_answer()
    await settle(bench)
    praise = zhao.messages[-1]
    assert "关于对县教育局予以通报表扬的通报" in praise.plain_text
    assert praise.button_texts == ["✅ 确认发布", "✏️ 修改", "✖️ 不发布"]
    await zhao.press(praise, "✅ 确认发布")
    await zhao.wait_callback_answer()
    await zhao.wait_message(has("已发送给9人"), timeout=10)
    await settle(bench)
    assert any(m.startswith("👍 通报表扬") for m in inbox.new()["hemin"])
    # One 通报 sequence: the criticism took 1号, the praise takes 2号.
    name = "通报督通〔2026〕2号.docx"
    await wait_for(lambda: name in [n for _, n in documents(users["hemin"].messages)], 30)
    status, stats = await api(bench, "GET", "/api/stats?from=2026-12-01&to=2026-12-31")
    (edu,) = [row for row in stats["units"] if row["key"] == "edu"]
    assert (edu["criticisms"], edu["praises"]) == (1, 1)

    # A praise dropped sends nothing, and may not be confirmed after.
    status, dropped = await api(bench, "POST", "/api/notices", {"unit": "civil"})
    status, _ = await api(bench, "POST", f"/api/notices/{dropped['notice']['id']}/drop")
    assert status == 200
    status, _ = await api(bench, "POST", f"/api/notices/{dropped['notice']['id']}/confirm")
    assert status == 409

    # A praise drafted through the API and left unconfirmed expires; the office is told.
    status, praised = await api(bench, "POST", "/api/notices", {"unit": "health"})
    assert status == 201 and "关于对县卫生健康局予以通报表扬的通报" in praised["notice"]["text"]
    await settle(bench)
    inbox.new()
    bench.clock.set(bench.clock.now() + timedelta(hours=49))
    await run_sweep(bench.rt)
    await settle(bench)
    told = inbox.new()
    for key in OFFICE:
        assert any("已作废" in message for message in told[key]), key
    status, error = await api(bench, "POST", f"/api/notices/{praised['notice']['id']}/confirm")
    assert status == 409, error
    status, error = await api(bench, "POST", "/api/notices", {"unit": "nowhere"})
    assert status == 404, error


async def test_a_praise_goes_out_as_a_numbered_notice_document(bench: Bench) -> None:
    """通报表扬 is a 通报 like a criticism: confirming it issues the document (the next number of
    the one 通报 sequence), which goes to its distribution as a file; the API names it and
    serves it to the office."""
    await import_example_county(bench.rt)
    users = await join_people(bench, ["qian", "zhao", "hemin", "huangwei"], 61_000)
    status, drafted = await api(bench, "POST", "/api/notices", {"unit": "health"})
    assert status == 201
    notice_id = drafted["notice"]["id"]
    status, sent = await api(bench, "POST", f"/api/notices/{notice_id}/confirm")
    assert status == 200 and sent["people"] >= 2
    assert sent["document"]["number"] == "督通〔2026〕1号"
    await settle(bench)
    name = "通报督通〔2026〕1号.docx"
    for key in ("hemin", "huangwei"):  # copied (县人大办); the praised unit's head
        await wait_for(lambda: name in [n for _, n in documents(users[key].messages)], 30)  # noqa: B023
    async with aiohttp.ClientSession(headers=HEADERS) as http:
        url = f"{bench.base_url}/api/documents/{sent['document']['id']}"
        async with http.get(url) as response:
            assert response.status == 200
            data = await response.read()
    assert (data, name) in documents(users["hemin"].messages)
    paragraphs = [p.text for p in open_docx(io.BytesIO(data)).paragraphs if p.text.strip()]
    text = "\n".join(paragraphs)
    assert "关于对县卫生健康局予以通报表扬的通报" in text
    assert "各乡镇人民政府，县直各单位：" in text
    assert "予以通报表扬" in text and "督通〔2026〕1号" in text
    assert text.count("关于对县卫生健康局予以通报表扬的通报") == 1  # the heading is the title
    assert "县委办公室" in text  # copied to the county's bodies

    # Another praise takes the next number.
    status, again = await api(bench, "POST", "/api/notices", {"unit": "edu"})
    status, second = await api(bench, "POST", f"/api/notices/{again['notice']['id']}/confirm")
    assert second["document"]["number"] == "督通〔2026〕2号"
