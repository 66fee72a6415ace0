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

The inputs are what the simulation did and when: dispatch, receipt, due dates and closing per
item, and the moments the sweeps ran (every start of ``duban sweep``, kills included).
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
