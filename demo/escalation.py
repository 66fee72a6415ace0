"""The demo's ladder act: an item nobody finishes climbs all three levels as the clock moves —
the deputy leader is told and urges the unit, a numbered written urging notice goes out, the
principal leader is told, the item becomes a formal inspection item and a talk is ordered."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from demo.stage import TIMEOUT, Stage, has
from domain.deadlines import local_date
from domain.vocabulary import Source, TimeClass
from services.items import ItemDraft, Origin, register_item
from services.sweep import run_sweep


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


async def _leader_acts(
    stage: Stage,
    code: str,
    leader: str,
    *,
    level: int,
    narration: str,
    button: str,
    done: str,
    told: tuple[str, str],
) -> None:
    """The leader told at ``level`` presses ``button`` on the notice and sees ``done``; the
    person ``told[0]`` then gets a message about the item that holds ``told[1]``."""
    user = stage.users[leader]
    notice = await user.wait_message(has(code, f"第{level}级"), timeout=TIMEOUT)
    stage.narrate(narration)
    await user.press(notice, button)
    await user.wait_message(has(done), timeout=TIMEOUT)
    person, words = told
    await stage.users[person].wait_message(has(code, words), timeout=TIMEOUT)


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
    stage.say(f"   {view.code} was dispatched to 县住房和城乡建设局 ten days ago and is due today.")

    stage.narrate("Level 1, the morning after the due date: the deputy leader and the office")
    await _morning(stage, 1, view.due_at)
    await _leader_acts(
        stage,
        view.code,
        "chen",
        level=1,
        narration="The deputy leader urges the unit from the message (督办)",
        button="📣 督办",
        done="督办意见已发送",
        told=("gaojing", "督办："),
    )

    stage.narrate("Level 2, three days overdue: a numbered written urging notice (催办通知)")
    await _morning(stage, 4, view.due_at)
    await stage.users["heyong"].wait_message(has(view.code, "催办通知"), timeout=TIMEOUT)

    stage.narrate("Level 3, seven days overdue: the principal leader; a formal inspection item")
    await _morning(stage, 8, view.due_at)
    await _leader_acts(
        stage,
        view.code,
        "zhao",
        level=3,
        narration="The principal leader orders a talk with the unit's head (约谈)",
        button="🗣 约谈",
        done="已办",
        told=("heyong", "约谈"),
    )
