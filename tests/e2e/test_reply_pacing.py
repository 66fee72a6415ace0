"""The handlers' own sends, paced per chat with Telegram's limits on (the fake's flood limits:
one message a second per chat, 30 a second in all): a contact who goes through /report, the
kind and the reply faster than one a second gets the menu, the prompt and the preview without a
single 429, in order; and another chat's answer is not held behind that chat's pacing (PTB's
limiter held every chat after any 429). No timings are asserted: counts and order."""

from __future__ import annotations

from typing import Any

from bot.keys import DELIVERER, TELEGRAM
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from tests.conftest import Bench, import_example_county
from tests.e2e.test_whole_loop import has, join_people


def _sends(bench: Bench, since: int) -> list[tuple[str, int, str]]:
    """The bot's sendMessage calls since call number ``since``: (chat id, HTTP status, text)."""
    return [
        (str(call.params.get("chat_id")), call.status, str(call.params.get("text", "")))
        for call in bench.fake.calls[since:]
        if call.method == "sendMessage"
    ]


async def test_a_burst_to_one_chat_is_paced_and_holds_no_other_chat(bench: Bench) -> None:
    await import_example_county(bench.rt)
    users = await join_people(bench, ["lina", "qian"], 61_000)
    lina, qian = users["lina"], users["qian"]
    item = await register_item(
        bench.rt,
        Origin(actor=None, via_api=True),
        ItemDraft(
            title="排查道路积水点",
            body="",
            source=Source.MEETING,
            time_class=TimeClass.GENERAL,
            lead_unit="edu",
        ),
        dispatch=True,
    )
    await lina.wait_message(has("交办"), timeout=10)
    bench.fake.enforce_limits()  # Telegram's: one a second per chat, 30 a second in all
    since = len(bench.fake.calls)

    # The notice just went to lina's chat (the outbox): her menu waits for the same budget.
    await lina.send_text(f"/report {item.ref}")
    menu = await lina.wait_message(has("请选择反馈类型"), timeout=10)
    await lina.press(menu, "进展")
    prompt = await lina.wait_message(has("请回复本消息"), timeout=10)
    await lina.send_text("已完成第一阶段排查。", reply_to=prompt)
    # While lina's preview waits for her chat's next moment, qian asks for help.
    await qian.send_text("/report")
    await qian.wait_message(has("/report"), timeout=10)
    await lina.wait_message(lambda m: "✅ 确认提交" in m.button_texts, timeout=10)

    sends = _sends(bench, since)
    assert [status for _, status, _ in sends] == [200] * len(sends)  # not one 429
    assert bench.fake.stats.throttled_by_limits == 0
    to_lina = [i for i, (chat, _, _) in enumerate(sends) if chat == str(lina.id)]
    assert len(to_lina) == 3  # the menu, the prompt and the preview: once each
    qian_helped = [
        i for i, (chat, _, text) in enumerate(sends) if chat == str(qian.id) and "/report" in text
    ]
    assert len(qian_helped) == 1
    assert qian_helped[0] < to_lina[2]  # qian's answer went while lina's preview waited
    deliverer: Any = bench.app[DELIVERER]
    limiter: Any = bench.app[TELEGRAM].bot.rate_limiter
    assert limiter.pacer is deliverer.pacer  # one chat, one budget: the outbox's and the replies'
