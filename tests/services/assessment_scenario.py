"""December 2026 in three units, played through the use cases, for the assessment's score.

The clock moves to each step. Items are general (plan due the day after dispatch, due ten days
after it); all dispatched 1 December 09:00, so the plan is due 2 December and the item
11 December. The figures are made on 5 January 2027.

- E1 (县教育局): the plan reported on time, closed 10 December (on time) with a follow-up
  check, reopened for rectification (整改) on 20 December with a new due date in January.
- E2 (县教育局 lead, 县卫生健康局 co): nobody reports until the completion on 15 December,
  which the office returns (退回) that day; closed 16 December, five days late.
- T1, T2 (县交通运输局): nothing ever happens. On T1 a talk (约谈) is held and recorded on
  20 December, a notice of criticism (通报批评) is sent on 22 December and a referral for
  accountability (问责建议) made on 28 December.
- 县卫生健康局 is praised (通报表扬) on 18 December.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from domain.assessment import Period
from domain.clock import FakeClock
from domain.referrals import ReferralRecord
from domain.talks import TalkRecord
from domain.vocabulary import ReportKind, Source, TimeClass
from services import decisions, follow_up, public_notices, referrals, reports, talks
from services.actors import Actor, load_actor
from services.items import ItemDraft, Origin, register_item
from services.runtime import Runtime
from storage.models import Person
from tests.conftest import SHANGHAI

API = Origin(None, via_api=True)
DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))
FIGURES_MADE = datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class December:
    e1: tuple[str, str]  # (ref, code)
    e2: tuple[str, str]
    t1: tuple[str, str]
    t2: tuple[str, str]


def at(month: int, day: int, hour: int = 10) -> datetime:
    year = 2027 if month == 1 else 2026
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


async def _actor(rt: Runtime, key: str) -> Actor:
    async with rt.db.session() as session:
        person = await session.scalar(select(Person).where(Person.key == key))
        assert person is not None
        return await load_actor(session, person)


async def _dispatch(
    rt: Runtime, title: str, lead: str, co: tuple[str, ...] = ()
) -> tuple[str, str]:
    draft = ItemDraft(
        title=title,
        body=f"{title}，限期办结。",
        source=Source.MEETING,
        time_class=TimeClass.GENERAL,
        lead_unit=lead,
        co_units=co,
    )
    view = await register_item(rt, API, draft, dispatch=True)
    return view.ref, view.code


async def _complete(rt: Runtime, ref: str, text: str) -> None:
    """县教育局's 专人 reports completion and its head signs it off (核签)."""
    done = await reports.submit_report(
        rt, await _actor(rt, "lina"), ref, ReportKind.COMPLETION, text
    )
    await decisions.confirm_completion(rt, await _actor(rt, "zhangjun"), done.report_id)


async def play_december(rt: Runtime, clock: FakeClock) -> December:
    """The county's roster must be imported; the clock is left at :data:`FIGURES_MADE`."""
    office = Origin(await _actor(rt, "qian"))
    clock.set(at(12, 1, 9))
    e1 = await _dispatch(rt, "校园安全隐患排查整治", "edu")
    e2 = await _dispatch(rt, "中小学食堂食品安全检查", "edu", ("health",))
    t1 = await _dispatch(rt, "农村公路危桥改造", "transport")
    t2 = await _dispatch(rt, "客运站安全隐患整治", "transport")
    clock.set(at(12, 1, 15))
    lina = await _actor(rt, "lina")
    await reports.submit_report(rt, lina, e1[0], ReportKind.PROGRESS, "已研究部署，分三步推进")
    clock.set(at(12, 10))
    await _complete(rt, e1[0], "隐患已全部整改")
    await decisions.close_item(rt, office, e1[0], follow_up_on=date(2026, 12, 20))
    clock.set(at(12, 15))
    await _complete(rt, e2[0], "检查完毕")
    await decisions.return_completion(rt, office, e2[0], "缺少整改台账")
    clock.set(at(12, 16))
    await _complete(rt, e2[0], "补充整改台账")
    await decisions.close_item(rt, office, e2[0])
    clock.set(at(12, 18))
    praise = await public_notices.draft_praise(rt, API, "health")
    await public_notices.confirm_notice(rt, API, praise.notice.id)
    clock.set(at(12, 20))
    await follow_up.reopen_item(rt, office, e1[0], date(2027, 1, 20), "部分隐患回潮")
    ordered = await talks.order_talk(rt, API, t1[0])
    record = TalkRecord(
        held_on=date(2026, 12, 20),
        held_time=time(9, 30),
        place="县政府三楼会议室",
        attendees="陈明辉、林峰",
        commitment="12月31日前完成危桥加固",
        commit_by=date(2026, 12, 31),
    )
    await talks.record_talk(rt, API, ordered.talk.id, record)
    clock.set(at(12, 22))
    criticism = await public_notices.draft_criticism(rt, API, t1[0])
    await public_notices.confirm_notice(rt, API, criticism.notice.id)
    clock.set(at(12, 28))
    referral = ReferralRecord(to_whom="县纪委监委", reason="约谈后仍未整改", on=date(2026, 12, 28))
    await referrals.propose_referral(rt, API, t1[0], referral)
    clock.set(FIGURES_MADE)
    return December(e1, e2, t1, t2)
