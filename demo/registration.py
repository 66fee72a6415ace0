"""The demo's registration act: 吴婷 of the supervision office registers an item with /new.

She searches for the lead unit by typing part of its name, pages to a co-unit, keeps the
default leader, types a due date of her own, checks the preview and submits; the units'
contacts receive the dispatch notice and their heads a copy. A unit contact trying /new is
refused.
"""

from __future__ import annotations

from demo.stage import TIMEOUT, Stage
from testbench import FakeUser
from testbench.models import BotMessage


async def _press(user: FakeUser, message: BotMessage, button: str) -> BotMessage:
    await user.press(message, button)
    return await user.wait_edit(message, timeout=TIMEOUT)


async def registering(stage: Stage) -> None:
    users = stage.users
    wuting = users["wuting"]
    stage.narrate("吴婷 (supervision office) registers an item in chat with /new")
    await wuting.send_text("/new")
    await wuting.wait_message(timeout=TIMEOUT)
    await wuting.send_text("秸秆综合利用和禁烧工作")
    await wuting.wait_message(timeout=TIMEOUT)
    await wuting.send_text(
        "落实秸秆禁烧网格化管理，提高秸秆综合利用率，年底前综合利用率达到95%以上。"
    )
    sources = await wuting.wait_message(timeout=TIMEOUT)
    classes = await _press(wuting, sources, "上级交办")
    await _press(wuting, classes, "一般事项")
    stage.narrate("She types part of the lead unit's name to find it")
    await wuting.send_text("农业")
    found = await wuting.wait_message(timeout=TIMEOUT)
    co_units = await _press(wuting, found, "县农业农村局")
    page_two = await _press(wuting, co_units, "下一页 ▶️")
    chosen = await _press(wuting, page_two, "县生态环境分局")
    leaders = await _press(wuting, chosen, "完成")
    await _press(wuting, leaders, "刘海燕（牵头单位分管领导）")
    stage.narrate("She types a due date of her own instead of the class's")
    await wuting.send_text("12月15日")
    preview = await wuting.wait_message(timeout=TIMEOUT)
    await _press(wuting, preview, "✅ 提交")
    stage.narrate("The units' contacts receive it; their heads get a copy")
    for key in ("songyu", "dengli", "caihui", "liangzhenhua", "fengtao"):
        if key in users:
            await users[key].wait_message(timeout=TIMEOUT)
    stage.narrate("A unit contact cannot register items")
    songyu = users["songyu"]
    await songyu.send_text("/new")
    await songyu.wait_message(timeout=TIMEOUT)
