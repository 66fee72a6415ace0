"""What the policy calls for, computed independently of the bot: the chaos month's expectations.

From DESIGN §3 and the default policy, written out here on purpose rather than imported from
``domain``: a missing receipt is chased 24 h after dispatch to the contact and 48 h after to the
unit head; the contact is reminded 3, 1 and 0 days before the due date at 09:00 (a reminder a
later one has overtaken before any sweep saw it is not sent: only the latest due one is); after
the due day the ladder tells the deputy leader and the office (level 1, due + 0 days), the unit
head, contact and office (level 2, + 3 days) and the principal and office (level 3, + 7 days),
each at the end of quiet hours (08:00) of its day; every contact with an open item gets one
digest a day from 08:30. Nothing is sent for a closed item, nothing before the due date once it
has passed, and a new due date (an extension) brings its own reminders and ladder.

A general item (一般事项) owes its plan (研究部署) the day after dispatch and its first feedback
(首次反馈) 7 days after: the contact is reminded at 09:00 on the plan's day and the day before the
feedback's; a missing one is chased (催报) to contact and head at 09:00 the next working day
(Monday to Friday: no holiday falls in the month) and told to the deputy leader and the office 2
working days after that. A plan is answered by a plan or a completion report, the feedback by
progress or a completion report; a reminder the chase has overtaken before any sweep saw it is
not sent, and nothing of it after the due date (the ladder's turn). An extension moves the due
date only: the plan's and feedback's dates stay.

A routine item (常态化事项) has no due date and owes a monthly report by the 25th: the contact is
reminded 3 days before at 09:00 (by a sweep on or before the report day; sent whether or not the
unit has reported already); a missing report is chased to contact and head at 09:00 the next
working day and told to the deputy leader (only) 2 working days after that. A progress, monthly
or completion report sent after the dispatch day answers it, on time or late.

The inputs are what the simulation did and when: dispatch, receipt, reports, due dates and
closing per item, and the moments the sweeps ran (every start of ``duban sweep``, kills
included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_START = time(22, 0)
QUIET_END = time(8, 0)
REMIND_AT = time(9, 0)
DIGEST_AT = time(8, 30)
CHASE = ((24, "contact"), (48, "head"))
BEFORE_DUE = (3, 1, 0)
DUTIES = (("plan", 1, 0), ("first_feedback", 7, 1))  # (duty, days after dispatch, remind before)
NOTIFY_AFTER = 2  # working days after the chase
MONTHLY_DAY = 25  # a routine item's monthly report is due by this day of each month
MONTHLY_REMIND_BEFORE = 3
PERIODIC_ANSWERS = ("progress", "monthly", "completion")
LADDER = (
    (1, 0, ("deputy", "office")),
    (2, 3, ("head", "contact", "office")),
    (3, 7, ("principal", "office")),
)


@dataclass
class ItemFacts:
    """One item's life as the simulation made it."""

    ref: str
    unit: str
    dispatched_at: datetime
    dues: list[tuple[date, datetime]]  # (due date, since when), in order
    acked_at: datetime | None = None
    closed_at: datetime | None = None
    general: bool = False  # owes a plan and a first feedback
    routine: bool = False  # owes a report by MONTHLY_DAY of each month
    reports: list[tuple[str, datetime]] = field(default_factory=list)  # (kind, sent at)

    def answered(self, duty: str, moment: datetime) -> bool:
        kinds = {"plan": ("plan", "completion"), "first_feedback": ("progress", "completion")}
        return any(kind in kinds[duty] and at <= moment for kind, at in self.reports)

    def reported_periodically(self, moment: datetime, tz: ZoneInfo) -> bool:
        """Whether a report answering the (one) missed monthly report came by ``moment``."""
        dispatched_on = self.dispatched_at.astimezone(tz).date()
        return any(
            kind in PERIODIC_ANSWERS and at <= moment and at.astimezone(tz).date() > dispatched_on
            for kind, at in self.reports
        )

    def due_at(self, moment: datetime) -> date | None:
        current = None
        for due, since in self.dues:
            if since <= moment:
                current = due
        return current

    def open_at(self, moment: datetime) -> bool:
        return self.dispatched_at <= moment and (self.closed_at is None or moment < self.closed_at)


@dataclass(frozen=True)
class Expected:
    """One notification the policy calls for: (item ref or None, occasion key, recipient key)."""

    ref: str | None
    occasion: str
    person: str
    kind: str
    level: int = 0


@dataclass
class Model:
    tz: ZoneInfo
    people: dict[str, dict[str, str]]  # unit -> {"head": key, "contact": key, "deputy": key}
    office: list[str]
    principal: str
    expected: set[Expected] = field(default_factory=set)

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, self.tz)

    def hold(self, moment: datetime) -> datetime:
        """Out of quiet hours (22:00-08:00 local): what falls inside waits for 08:00."""
        local = moment.astimezone(self.tz)
        if local.time() >= QUIET_START:
            return self.local(local.date() + timedelta(days=1), QUIET_END)
        if local.time() < QUIET_END:
            return self.local(local.date(), QUIET_END)
        return moment

    def end_of(self, day: date) -> datetime:
        return self.local(day + timedelta(days=1), time(0, 0)) - timedelta(microseconds=1)

    def recipients(self, unit: str, role: str) -> list[str]:
        if role == "office":
            return list(self.office)
        if role == "principal":
            return [self.principal]
        return [self.people[unit][role]]

    def compute(self, items: list[ItemFacts], sweeps: list[datetime]) -> set[Expected]:
        sweeps = sorted(sweeps)
        for item in items:
            self._chases(item, sweeps)
            self._before_due(item, sweeps)
            self._ladder(item, sweeps)
            if item.general:
                self._duties(item, sweeps)
            if item.routine:
                self._monthly(item, sweeps)
        self._digests(items, sweeps)
        return self.expected

    def _first_sweep(self, sweeps: list[datetime], at: datetime) -> datetime | None:
        return next((s for s in sweeps if s >= at), None)

    def _chases(self, item: ItemFacts, sweeps: list[datetime]) -> None:
        for hours, role in CHASE:
            at = self.hold(item.dispatched_at + timedelta(hours=hours))
            sweep = self._first_sweep(sweeps, at)
            if sweep is None or not item.open_at(sweep):
                continue
            if item.acked_at is not None and item.acked_at <= sweep:
                continue
            for person in self.recipients(item.unit, role):
                self.expected.add(
                    Expected(item.ref, f"receipt_chase:{hours}h", person, "receipt_chase")
                )

    def _before_due(self, item: ItemFacts, sweeps: list[datetime]) -> None:
        for sweep in sweeps:
            if not item.open_at(sweep):
                continue
            due = item.due_at(sweep)
            if due is None or sweep > self.end_of(due):
                continue
            moments = [
                (self.local(due - timedelta(days=days), REMIND_AT), days) for days in BEFORE_DUE
            ]
            moments = [(at, d) for at, d in moments if item.dispatched_at < at <= self.end_of(due)]
            come = [(at, d) for at, d in moments if at <= sweep]
            if not come:
                continue
            _, days = come[-1]  # the latest one: earlier ones not yet sent are overtaken
            self.expected.add(
                Expected(
                    item.ref,
                    f"before_due:{due.isoformat()}:{days}d",
                    self.people[item.unit]["contact"],
                    "before_due",
                )
            )

    def _ladder(self, item: ItemFacts, sweeps: list[datetime]) -> None:
        for sweep in sweeps:
            if not item.open_at(sweep):
                continue
            due = item.due_at(sweep)
            if due is None:
                continue
            for level, after_days, roles in LADDER:
                at = self.local(due + timedelta(days=after_days + 1), QUIET_END)
                if at > sweep:
                    continue
                for role in roles:
                    for person in self.recipients(item.unit, role):
                        self.expected.add(
                            Expected(
                                item.ref,
                                f"escalation:{level}:{due.isoformat()}",
                                person,
                                "escalation",
                                level,
                            )
                        )

    def _duties(self, item: ItemFacts, sweeps: list[datetime]) -> None:
        start = item.dispatched_at.astimezone(self.tz).date()
        for duty, days, before in DUTIES:
            by = start + timedelta(days=days)
            chase_on = _working_days_after(by, 1)
            steps = [
                ("duty_reminder", f"{duty}:remind:{by.isoformat()}:{before}d", ("contact",),
                 self.local(by - timedelta(days=before), REMIND_AT)),
                ("duty_chase", f"{duty}:chase:{by.isoformat()}", ("contact", "head"),
                 self.local(chase_on, REMIND_AT)),
                ("duty_notice", f"{duty}:notice:{by.isoformat()}", ("deputy", "office"),
                 self.local(_working_days_after(chase_on, NOTIFY_AFTER), REMIND_AT)),
            ]  # fmt: skip
            chase_at = steps[1][3]
            for kind, key, roles, at in steps:
                if kind == "duty_reminder" and not item.dispatched_at < at:
                    continue
                for sweep in sweeps:
                    due = item.due_at(sweep)
                    if sweep < at or not item.open_at(sweep) or item.answered(duty, sweep):
                        continue
                    if due is None or at > self.end_of(due):
                        continue
                    if kind == "duty_reminder" and chase_at <= min(sweep, self.end_of(due)):
                        continue  # the chase has overtaken it
                    for role in roles:
                        for person in self.recipients(item.unit, role):
                            self.expected.add(Expected(item.ref, key, person, kind))
                    break

    def _monthly(self, item: ItemFacts, sweeps: list[datetime]) -> None:
        """A routine item's monthly reports whose reminder or chase falls within the sweeps;
        the month sees one report date pass (a second missed one would be chased alone)."""
        start = item.dispatched_at.astimezone(self.tz).date()
        last = sweeps[-1].astimezone(self.tz).date() if sweeps else start
        report_on = start.replace(day=MONTHLY_DAY)
        if report_on <= start:
            report_on = (report_on + timedelta(days=31)).replace(day=MONTHLY_DAY)
        assert (report_on + timedelta(days=31)).replace(day=MONTHLY_DAY) > last + timedelta(
            days=MONTHLY_REMIND_BEFORE
        ), "the model knows one report date a month"
        remind = self.local(report_on - timedelta(days=MONTHLY_REMIND_BEFORE), REMIND_AT)
        if item.dispatched_at < remind and any(
            remind <= sweep
            and sweep.astimezone(self.tz).date() <= report_on
            and item.open_at(sweep)
            for sweep in sweeps
        ):
            key = f"report:{report_on.isoformat()}:{MONTHLY_REMIND_BEFORE}d"
            contact = self.people[item.unit]["contact"]
            self.expected.add(Expected(item.ref, key, contact, "report_due_soon"))
        chase_on = _working_days_after(report_on, 1)
        for kind, step, roles, day in (
            ("duty_chase", "chase", ("contact", "head"), chase_on),
            ("duty_notice", "notice", ("deputy",), _working_days_after(chase_on, NOTIFY_AFTER)),
        ):
            at = self.local(day, REMIND_AT)
            for sweep in sweeps:
                if sweep < at or not item.open_at(sweep):
                    continue
                if not item.reported_periodically(sweep, self.tz):
                    for role in roles:
                        for person in self.recipients(item.unit, role):
                            key = f"periodic_report:{step}:{report_on.isoformat()}"
                            self.expected.add(Expected(item.ref, key, person, kind))
                break

    def _digests(self, items: list[ItemFacts], sweeps: list[datetime]) -> None:
        days: dict[date, datetime] = {}
        for sweep in sweeps:
            local = sweep.astimezone(self.tz)
            if local.time() >= DIGEST_AT:
                days.setdefault(local.date(), sweep)
        for day, sweep in days.items():
            for item in items:
                if item.open_at(sweep):
                    person = self.people[item.unit]["contact"]
                    self.expected.add(Expected(None, f"digest:{day.isoformat()}", person, "digest"))


def _working_days_after(day: date, n: int) -> date:
    """The ``n``-th day after ``day`` that is Monday to Friday."""
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def levels_for(expected: set[Expected], ref: str, due: date) -> int:
    """The highest ladder level the policy called for on ``ref``'s due date ``due``."""
    return max(
        (
            e.level
            for e in expected
            if e.ref == ref and e.kind == "escalation" and e.occasion.endswith(due.isoformat())
        ),
        default=0,
    )
