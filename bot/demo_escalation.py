"""The demo's ladder act: an item nobody finishes climbs all three levels as the clock moves —
the deputy leader is told and urges the unit, a numbered written urging notice goes out, the
principal leader is told, the item becomes a formal inspection item and a talk is ordered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from domain.deadlines import local_date
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep
from testbench.models import BotMessage

if TYPE_CHECKING:
    from bot.demo import Stage

TIMEOUT = 15


def _has(*words: str) -> Callable[[BotMessage], bool]:
    return lambda message: all(word in message.plain_text for word in words)


async def _morning(stage: Stage, days_after_due: int, due: datetime) -> None:
    """Move the clock to 08:00 local, ``days_after_due`` days after the due date; sweep.

    Level N comes when the item has been overdue for ``after_days`` whole days: at the midnight
    ending the due date + ``after_days``, held by quiet hours to 08:00 the day after.
    """
    day = local_date(due, stage.rt.tz) + timedelta(days=days_after_due)
    moment = datetime.combine(day, time(8, 0), tzinfo=stage.rt.tz)
    if moment > stage.clock.now():
        stage.clock.set(moment)
    stage.say(f"   (the clock moves to {moment:%Y-%m-%d %H:%M}; the sweep runs)")
    await run_sweep(stage.rt)


async def escalation(stage: Stage) -> None:
    stage.narrate("An overdue item climbs the escalation ladder")
    now = stage.clock.now()
    draft = ItemDraft(
        title="县城老旧小区加装电梯试点",
        body="完成首批5个小区加装电梯的意见征集和方案审批。",
        source=Source.WORK_REPORT,
        time_class=TimeClass.GENERAL,
        lead_unit="housing",
        leader="chen",
    )
    view = await register_item(
        stage.rt,
        Origin(None, via_api=True),
        draft,
        dispatch=True,
        dispatched_at=now - timedelta(days=10),
    )
    assert view.due_at is not None
    users = stage.users
    stage.say(f"   {view.code} was dispatched to 县住房和城乡建设局 ten days ago and is due today.")

    stage.narrate("Level 1, the morning after the due date: the deputy leader and the office")
    await _morning(stage, 1, view.due_at)
    chen = users["chen"]
    notice = await chen.wait_message(_has(view.code, "第1级"), timeout=TIMEOUT)
    stage.narrate("The deputy leader urges the unit from the message (督办)")
    await chen.press(notice, "📣 督办")
    await chen.wait_message(_has("督办意见已发送"), timeout=TIMEOUT)
    await users["gaojing"].wait_message(_has(view.code, "督办："), timeout=TIMEOUT)

    stage.narrate("Level 2, three days overdue: a numbered written urging notice (催办通知)")
    await _morning(stage, 4, view.due_at)
    await users["heyong"].wait_message(_has(view.code, "催办通知"), timeout=TIMEOUT)

    stage.narrate("Level 3, seven days overdue: the principal leader; a formal inspection item")
    await _morning(stage, 8, view.due_at)
    zhao = users["zhao"]
    notice = await zhao.wait_message(_has(view.code, "第3级"), timeout=TIMEOUT)
    stage.narrate("The principal leader orders a talk with the unit's head (约谈)")
    await zhao.press(notice, "🗣 约谈")
    await zhao.wait_message(_has("已办"), timeout=TIMEOUT)
    await users["heyong"].wait_message(_has(view.code, "约谈"), timeout=TIMEOUT)
