"""Sending the monthly supervision report (督查专报): on the month's first working day (policy
``documents.monthly_report``: which working day, the local time, on or off; working days from
the work calendar), the report on the month before is issued once and queued, with a three-line
summary, to the principal leaders and the office, and to the leaders' work group when one is
bound (policy ``groups.monthly_report``).

Once per month across instances, re-runs and restarts: the month's ``monthly_reports`` row is
inserted first (``ON CONFLICT DO NOTHING``) in the transaction that takes the number, so a
second runner finds it and issues nothing; the notifications' keys carry the month. A process
that was down at the time sends it when it comes back the same month.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain import monthly_report as rules
from domain.deadlines import local_date
from domain.vocabulary import GroupTopic, Role
from services.documents.report import ReportContent, issue_report, report_content
from services.group_notices import GroupMessage, to_groups
from services.outbox.queue import enqueue, notification_key
from services.runtime import Runtime
from storage.models import Document, MonthlyReport, Person, PersonRole
from texts import Text
from texts import monthly_report as texts

log = logging.getLogger("duban.monthly_report")

KIND = "monthly_report"


@dataclass(frozen=True)
class MonthlyRun:
    """What a run did: the month reported on, the document's number if it issued one now."""

    month: str
    number: str | None = None
    queued: int = 0


def report_moment(rt: Runtime, now: datetime) -> datetime:
    """This month's report time: the policy's working day of the month, at its time."""
    schedule = rt.policy.documents.monthly_report
    today = local_date(now, rt.tz)
    day = rules.working_day_of_month(
        today.year, today.month, schedule.working_day, rt.calendar.is_workday
    )
    return datetime.combine(day, schedule.time, tzinfo=rt.tz)


async def send_monthly_report(rt: Runtime) -> MonthlyRun:
    """Issue and queue the report on last month if its time has come and it has not gone."""
    now = rt.clock.now()
    period = rules.previous_month(local_date(now, rt.tz))
    month = rules.month_key(period)
    if not rt.policy.documents.monthly_report.enabled or now < report_moment(rt, now):
        return MonthlyRun(month)
    async with rt.db.session() as session:
        if await session.get(MonthlyReport, month) is not None:
            return MonthlyRun(month)
    # The figures and the chart before the writing transaction begins (see the bulletin).
    content = await report_content(rt, period)
    async with rt.db.session() as session:
        if not await _claim(session, month, now):
            return MonthlyRun(month)  # another instance has it
        document = await issue_report(session, rt, content, now)
        claim = await session.get_one(MonthlyReport, month)
        claim.document_id = document.id
        queued = await _queue(rt, session, content, document, now)
        await session.commit()
    rt.wake_outbox()
    log.info("monthly_report_queued", extra={"month": month, "notifications": queued})
    return MonthlyRun(month, document.number, queued)


async def _claim(session: AsyncSession, month: str, now: datetime) -> bool:
    """Take the month's row; False when it was taken (committed, or by a transaction that
    commits while this one waits on PostgreSQL's unique index)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(MonthlyReport)
        .values(month=month, document_id=None, created_at=now)
        .on_conflict_do_nothing(index_elements=["month"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _recipients(session: AsyncSession) -> list[Person]:
    """The principal leaders and the office who have joined, each once."""
    return list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role.in_([Role.PRINCIPAL, Role.SUPERVISOR]),
                Person.active,
                Person.telegram_chat_id.is_not(None),
            )
            .distinct()
            .order_by(Person.id)
        )
    )


async def _queue(
    rt: Runtime, session: AsyncSession, content: ReportContent, document: Document, now: datetime
) -> int:
    """The summary with the document, to the leaders' group and (unless the route says the
    group is enough) to each principal leader and supervisor."""
    key = notification_key(KIND, content.month)
    overdue = len(content.overdue)

    def text(t: Text) -> str:
        return texts.summary(t, content.period, document.number, content.stats, overdue)

    group = GroupMessage(KIND, key, text, document_id=document.id)
    if not await to_groups(rt, session, GroupTopic.MONTHLY_REPORT, group):
        return 0
    queued = 0
    for person in await _recipients(session):
        queued += await enqueue(
            session,
            key=notification_key(KIND, content.month, person.id),
            person_id=person.id,
            kind=KIND,
            text=text(rt.text(person.locale)),
            document_id=document.id,
            not_before=now,
            created_at=now,
        )
    return queued
