"""Read models: an item as people, the console and the API see it, with its light and timeline.

Plain frozen values built by ``services.views``; ``texts`` renders them and every layer may
import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.deadlines import ReportTerms
from domain.vocabulary import AssignmentRole, AssignmentStatus, ItemStatus, Light


@dataclass(frozen=True)
class PersonRef:
    id: int
    key: str
    name: str


@dataclass(frozen=True)
class AssignmentView:
    id: int
    unit_id: int
    unit_key: str
    unit_name: str
    role: AssignmentRole
    status: AssignmentStatus
    acknowledged_at: datetime | None
    acknowledged_by: PersonRef | None
    last_report_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class ItemView:
    id: int
    ref: str
    code: str
    title: str
    body: str
    source: str
    time_class: str
    status: ItemStatus
    due: date | None
    due_at: datetime | None
    acknowledge_by: datetime | None
    plan_by: datetime | None
    first_feedback_by: datetime | None
    dispatched_at: datetime | None
    closed_at: datetime | None
    follow_up_on: date | None
    leader: PersonRef | None
    escalation_level: int
    inspection: bool
    light: Light
    overdue: bool
    assignments: tuple[AssignmentView, ...]
    created_at: datetime
    archived_at: datetime | None = None
    confidential: bool = False  # 内部: never to any work group
    reports: ReportTerms | None = None  # what the class owes besides its deadlines

    @property
    def lead(self) -> AssignmentView | None:
        return next((a for a in self.assignments if a.role == AssignmentRole.LEAD), None)

    @property
    def co_units(self) -> tuple[AssignmentView, ...]:
        return tuple(a for a in self.assignments if a.role == AssignmentRole.CO)

    def assignment_for(self, unit_ids: frozenset[int]) -> AssignmentView | None:
        return next((a for a in self.assignments if a.unit_id in unit_ids), None)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: PersonRef | None
    unit_name: str | None
    detail: str
    data: dict[str, Any]
