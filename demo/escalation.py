"""The demo's ladder act: an item nobody finishes climbs all three levels as the clock moves —
the deputy leader is told and urges the unit, a numbered written urging notice goes out, the
principal leader is told, the item becomes a formal inspection item and a talk is ordered."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class _LeaderAct:
    """The leader told at a level presses ``button`` on the notice and sees ``done``."""

    leader: str
    narration: str
    button: str
    done: str


@dataclass(frozen=True)
class _Rung:
    """One level of the ladder: reached ``days`` mornings after the due date, perhaps acted on
    by its leader; then ``told[0]`` gets a message about the item that holds ``told[1]``."""

    level: int
    marker: str  # the words of the level's message to the leader
    narration: str
    days: int
    act: _LeaderAct | None
    told: tuple[str, str]


_LADDER = (
    _Rung(
        1,
        "提请您督办",
        "Level 1, the morning after the due date: the deputy leader and the office",
        1,
        _LeaderAct(
            "chen",
            "The deputy leader urges the unit from the message (督办)",
            "📣 督办",
            "督办意见已发送",
        ),
        ("gaojing", "督办："),
    ),
    _Rung(
        2,
        "催办通知",
        "Level 2, three days overdue: a numbered written urging notice (催办通知)",
        4,
        None,
        ("heyong", "催办通知"),
    ),
    _Rung(
        3,
        "列入督查事项",
        "Level 3, seven days overdue: the principal leader; a formal inspection item",
        8,
        _LeaderAct(
            "zhao",
            "The principal leader orders a talk with the unit's head (约谈)",
            "🗣 约谈",
            "已决定约谈",
        ),
        ("heyong", "约谈"),
    ),
)


async def _climb(stage: Stage, code: str, due: datetime, rung: _Rung) -> None:
    stage.narrate(rung.narration)
    await _morning(stage, rung.days, due)
    if rung.act is not None:
        user = stage.users[rung.act.leader]
        notice = await user.wait_message(has(code, rung.marker), timeout=TIMEOUT)
        stage.narrate(rung.act.narration)
        await user.press(notice, rung.act.button)
        await user.wait_message(has(rung.act.done), timeout=TIMEOUT)
    person, words = rung.told
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

    for rung in _LADDER:
        await _climb(stage, view.code, view.due_at, rung)
