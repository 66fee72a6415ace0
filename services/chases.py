"""Deadlines to chase (``domain.chases``) as the services see them: each share's reports read
from the database, whether a queued chase still fits its share, the chase messages, and which
deadlines a new report answers late."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.buttons import Button
from domain.chases import (
    Owed,
    PeriodState,
    PeriodStatus,
    Reports,
    answered_at,
    answers,
    chase_days,
    steps_of,
)
from domain.deadlines import end_of_day, local_date
from domain.listing import Listing
from domain.occasions import ItemFacts, owed_by, periods, talk_owed
from domain.policy import ReportEvery
from domain.proposals import proposal_statuses
from domain.recipients import UnitContacts
from domain.records import ItemRecord
from domain.rectification import plan_status
from domain.reminders import Occasion, OccasionKind
from domain.talks import TalkFacts
from domain.views import ItemView
from domain.vocabulary import Duty, ReportKind, TimeClass
from services.runtime import Runtime
from services.talk_commitments import talk_facts
from storage.models import Assignment, Item, Report, Unit
from texts import Text
from texts import chases as texts
from texts.reminders import item_listing


async def share_reports(
    session: AsyncSession, assignment_ids: Collection[int]
) -> dict[int, tuple[tuple[ReportKind, datetime], ...]]:
    """Each share's reports (kind, sent at), oldest first; one query."""
    found: dict[int, list[tuple[ReportKind, datetime]]] = defaultdict(list)
    if not assignment_ids:
        return {}
    rows = await session.execute(
        select(Report.assignment_id, Report.kind, Report.created_at)
        .where(Report.assignment_id.in_(set(assignment_ids)))
        .order_by(Report.created_at, Report.id)
    )
    for assignment_id, kind, at in rows:
        found[assignment_id].append((ReportKind(kind), at))
    return {key: tuple(found[key]) for key in assignment_ids}


def item_facts(item: ItemRecord, open_: bool, talks: tuple[TalkFacts, ...] = ()) -> ItemFacts:
    """What an item's plan depends on (``talks``: its recorded talks, ``services.talks``)."""
    return ItemFacts(
        open=open_,
        time_class=TimeClass(item.time_class),
        dispatched_at=item.dispatched_at,
        due_date=item.due_date,
        due_at=item.due_at,
        plan_by=item.plan_by,
        first_feedback_by=item.first_feedback_by,
        reopened_at=item.reopened_at,
        rectify_plan_by=item.rectify_plan_by,
        talks=talks,
    )


def _share(assignment_id: int, reports: Reports) -> UnitContacts:
    return UnitContacts(assignment_id, 0, "", True, True, None, (), reports=tuple(reports))


async def still_owed(session: AsyncSession, rt: Runtime, item: Item, owed: Owed) -> bool:
    """Whether the share still owes what a queued chase is about (else it is cancelled)."""
    reports = (await share_reports(session, [owed.assignment_id])).get(owed.assignment_id, ())
    if owed.duty is Duty.TALK_COMMITMENT:
        talks = (await talk_facts(session, [item.id])).get(item.id, ())
        return owed in talk_owed(talks, _share(owed.assignment_id, reports))
    if owed.duty in (Duty.PLAN, Duty.FIRST_FEEDBACK):
        return answered_at(reports, owed.duty) is None
    share = _share(owed.assignment_id, reports)
    facts, now = item_facts(item, True), rt.clock.now()
    if owed.duty is Duty.PERIODIC_REPORT:
        statuses = periods(facts, share, now, rt.policy, rt.tz)
        return any(s.report_on == owed.by and s.state is PeriodState.MISSING for s in statuses)
    return owed in owed_by(facts, share, now, rt.policy, rt.tz, rt.calendar)


def owed_facts(item: ItemView, unit: str, occasion: Occasion, rt: Runtime) -> texts.OwedFacts:
    """What a message about a deadline's occasion says."""
    assert occasion.duty is not None and occasion.target is not None
    days = chase_days(occasion.target, steps_of(occasion.duty, rt.policy), rt.calendar)
    return texts.OwedFacts(
        duty=occasion.duty,
        unit=unit,
        by=occasion.target,
        chase_on=days.chase_on,
        notify_on=days.notify_on,
        quarterly=item.time_class == TimeClass.ANNUAL,
    )


def owed_message(
    t: Text, item: ItemView, unit: str, occasion: Occasion, rt: Runtime, *, to_head: bool
) -> str:
    """The text of a deadline's reminder, chase or notice."""
    facts = owed_facts(item, unit, occasion, rt)
    if occasion.kind is OccasionKind.DUTY_REMINDER:
        return texts.reminder(t, item, facts)
    if occasion.kind is OccasionKind.DUTY_CHASE:
        return texts.chase(t, item, facts, to_head=to_head)
    return texts.notice(t, item, facts)


def owed_listing(
    t: Text,
    item: ItemView,
    unit: str,
    occasion: Occasion,
    rt: Runtime,
    *,
    to_head: bool,
    show_all: Button,
) -> Listing:
    """A deadline's reminder, chase or notice as a line in a list of several."""
    facts = owed_facts(item, unit, occasion, rt)
    if occasion.kind is OccasionKind.DUTY_REMINDER:
        heading, said = texts.reminder_heading(t, unit), texts.owed_said(t, facts)
    elif occasion.kind is OccasionKind.DUTY_CHASE:
        late = (local_date(rt.clock.now(), rt.tz) - facts.by).days
        heading = texts.chase_heading(t, unit, to_head=to_head)
        said = texts.owed_said(t, facts, max(late, 1))
    else:
        heading, said = texts.notice_heading(t, unit), texts.owed_said(t, facts)
    return item_listing(t, heading, item, said, show_all)


@dataclass(frozen=True)
class LateAnswer:
    """A deadline a new report answers after its date."""

    duty: Duty
    by: date


def answered_late(
    rt: Runtime, item: Item, before: Sequence[tuple[ReportKind, datetime]], kind: ReportKind
) -> list[LateAnswer]:
    """The deadlines a report of ``kind`` sent now answers late, given the share's reports
    ``before`` it: the plan or first feedback past their date, or a periodic report, a
    proposal's report or follow-up, or a rectification plan missed."""
    now = rt.clock.now()
    late = [
        LateAnswer(duty, by.astimezone(rt.tz).date())
        for duty, by in ((Duty.PLAN, item.plan_by), (Duty.FIRST_FEEDBACK, item.first_feedback_by))
        if by is not None
        and duty in answers(kind)
        and answered_at(before, duty) is None
        and now > by
    ]
    facts = item_facts(item, True)
    was = dict(_dated(rt, facts, _share(0, before), now))
    after = _dated(rt, facts, _share(0, (*before, (kind, now))), now)
    late += [
        LateAnswer(duty, by)
        for (duty, by), status in after
        if status.state is PeriodState.LATE
        and (old := was.get((duty, by))) is not None
        and old.state is PeriodState.MISSING
    ]
    return late


def late_report_deadlines(rt: Runtime, item: Item, reports: Reports) -> tuple[datetime, ...]:
    """The deadlines of the share's periodic reports sent late or missed, up to now."""
    statuses = periods(item_facts(item, True), _share(0, reports), rt.clock.now(), rt.policy, rt.tz)
    return tuple(
        end_of_day(s.report_on, rt.tz)
        for s in statuses
        if s.state in (PeriodState.LATE, PeriodState.MISSING)
    )


def owes_periodic(rt: Runtime, item: Item) -> bool:
    """Whether the item's class owes monthly or quarterly reports."""
    schedule = rt.policy.classes[TimeClass(item.time_class)].reports
    return schedule is not None and schedule.every is not ReportEvery.AFTER_RESOLVE


@dataclass(frozen=True)
class OwedRow:
    """One deadline of a share as the item page shows it: what, by when, and how it went."""

    unit_name: str
    duty: Duty
    by: date
    state: PeriodState
    reported_at: datetime | None


async def owed_rows(session: AsyncSession, rt: Runtime, item: Item) -> list[OwedRow]:
    """Every deadline the item's shares owe or owed besides the due date, in unit order: the
    plan, the first feedback, each periodic report up to the next one."""
    shares = (
        await session.execute(
            select(Assignment.id, Unit.name)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.item_id == item.id)
            .order_by(Assignment.role.desc(), Assignment.id)
        )
    ).all()
    reports = await share_reports(session, [share_id for share_id, _ in shares])
    talks = (await talk_facts(session, [item.id])).get(item.id, ())
    now, facts = rt.clock.now(), item_facts(item, True)
    rows: list[OwedRow] = []
    for share_id, unit_name in shares:
        for duty, by in ((Duty.PLAN, item.plan_by), (Duty.FIRST_FEEDBACK, item.first_feedback_by)):
            if by is not None:
                at = answered_at(reports[share_id], duty)
                rows.append(
                    OwedRow(unit_name, duty, local_date(by, rt.tz), _state(at, by, now), at)
                )
        share = _share(share_id, reports[share_id])
        rows += [
            OwedRow(unit_name, duty, by, s.state, s.reported_at)
            for (duty, by), s in _dated(rt, facts, share, now)
        ]
        rows += _commitment_rows(rt, unit_name, share_id, reports[share_id], talks, now)
    return rows


def _commitment_rows(
    rt: Runtime,
    unit_name: str,
    share_id: int,
    reports: Reports,
    talks: tuple[TalkFacts, ...],
    now: datetime,
) -> list[OwedRow]:
    """The commitments the share made at talks (约谈承诺), each answered by a feedback after it."""
    rows = []
    for talk in talks:
        if share_id in talk.assignment_ids:
            since = [(kind, at) for kind, at in reports if at >= talk.recorded_at]
            at = answered_at(since, Duty.TALK_COMMITMENT)
            by = end_of_day(talk.commit_by, rt.tz)
            rows.append(
                OwedRow(unit_name, Duty.TALK_COMMITMENT, talk.commit_by, _state(at, by, now), at)
            )
    return rows


def _dated(
    rt: Runtime, facts: ItemFacts, share: UnitContacts, now: datetime
) -> list[tuple[tuple[Duty, date], PeriodStatus]]:
    """The share's dated reports besides the plan and first feedback, each by (duty, date):
    periodic reports, a proposal's report and follow-ups after its answer, and the
    rectification plan after a reopening."""
    statuses = [(Duty.PERIODIC_REPORT, s) for s in periods(facts, share, now, rt.policy, rt.tz)]
    statuses += proposal_statuses(
        facts.time_class, share.reports, now, rt.policy, rt.calendar, rt.tz
    )
    if facts.reopened_at is not None and facts.rectify_plan_by is not None:
        plan_by = local_date(facts.rectify_plan_by, rt.tz)
        plan = plan_status(facts.reopened_at, plan_by, share.reports, now, rt.tz)
        statuses.append((Duty.RECTIFICATION_PLAN, plan))
    return [((duty, s.report_on), s) for duty, s in statuses]


def _state(at: datetime | None, by: datetime, now: datetime) -> PeriodState:
    if at is not None:
        return PeriodState.ON_TIME if at <= by else PeriodState.LATE
    return PeriodState.MISSING if now > by else PeriodState.OPEN
