"""A reply that overtakes its prompt's commit (several instances): the bot looks again briefly.

With several instances, the instance that sent a prompt stores it just after Telegram accepted
the message; a quick reply can land on another instance before that commit. Here the prompt's
row is hidden while the reply is sent and stored again a moment later, as the slower instance
would: the reply still joins the report draft. A reply to a bot message that never becomes a
prompt still gets the plain "which item?" answer.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from storage.models import ChatPrompt, ReportDraft
from tests.conftest import Bench, import_example_county
from tests.e2e.test_whole_loop import api, has, join_people


async def _stored(bench: Bench, message_id: int) -> None:
    """Wait until the bot has stored the prompt (it does so just after sending it)."""
    for _ in range(100):
        async with bench.rt.db.session() as session:
            if await session.scalar(
                select(ChatPrompt.id).where(ChatPrompt.message_id == message_id)
            ):
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"prompt {message_id} was never stored")


async def _hide_prompt(bench: Bench, message_id: int, hidden: bool) -> None:
    """Hide (or show again) every record that makes this message a prompt."""
    gone, there = (message_id, -message_id) if hidden else (-message_id, message_id)
    async with bench.rt.db.session() as session:
        await session.execute(
            update(ChatPrompt).where(ChatPrompt.message_id == gone).values(message_id=there)
        )
        await session.execute(
            update(ReportDraft)
            .where(ReportDraft.prompt_message_id == gone)
            .values(prompt_message_id=there)
        )
        await session.commit()


async def test_a_reply_before_the_prompt_is_stored_still_finds_it(bench: Bench) -> None:
    await import_example_county(bench.rt)
    lina = (await join_people(bench, ["lina"], 47_000))["lina"]
    status, item = await api(
        bench,
        "POST",
        "/api/items",
        {
            "title": "排查道路积水点",
            "source": "meeting",
            "class": "general",
            "lead_unit": "edu",
            "dispatch": True,
        },
    )
    assert status == 201, item
    await lina.wait_message(has("交办"), timeout=10)

    await lina.send_text(f"/report {item['ref']}")
    menu = await lina.wait_message(has("请选择反馈类型"), timeout=10)
    await lina.press(menu, "进展")
    prompt = await lina.wait_message(has("请回复本消息"), timeout=10)

    await _stored(bench, prompt.message_id)
    # Not committed yet, as on the instance that sent it:
    await _hide_prompt(bench, prompt.message_id, hidden=True)
    await lina.send_text("已排查积水点 14 处。", reply_to=prompt)
    await asyncio.sleep(0.5)  # the sending instance commits a moment later
    await _hide_prompt(bench, prompt.message_id, hidden=False)
    preview = await lina.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=10)
    assert "积水点 14 处" in preview.plain_text
    assert not any("无法判断" in m.plain_text for m in lina.messages)

    # A reply to a bot message that is no prompt at all is still answered plainly.
    await lina.send_text("这条回复给菜单", reply_to=menu)
    answer = await lina.wait_message(has("无法判断是哪个事项"), timeout=10)
    assert "/report" in answer.plain_text
