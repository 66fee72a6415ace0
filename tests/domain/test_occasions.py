"""An item's plan (DESIGN §3): which occasions its schedule holds, from plain facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.deadlines import end_of_day
from domain.occasions import (
    ItemFacts,
    PlannedOccasion,
    basis_ack,
    basis_due,
    basis_report,
    next_check,
    plan_item,
)
from domain.policy import Policy
from domain.recipients import UnitContacts
from domain.reminders import OccasionKind
from domain.vocabulary import TimeClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()
DISPATCHED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
DUE = date(2026, 3, 20)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def item(
    time_class: TimeClass = TimeClass.GENERAL, *, open: bool = True, due: date | None = DUE
) -> ItemFacts:
    return ItemFacts(
        open=open,
        time_class=time_class,
        dispatched_at=DISPATCHED,
        due_date=due,
        due_at=end_of_day(due, SHANGHAI) if due else None,
    )


def unit(assignment_id: int, *, open: bool = True, acknowledged: bool = True) -> UnitContacts:
    return UnitContacts(
        assignment_id=assignment_id,
        unit_id=assignment_id * 10,
        name=f"unit {assignment_id}",
        open=open,
        acknowledged=acknowledged,
        head=None,
        contacts=(),
    )


def of_kind(planned: list[PlannedOccasion], kind: OccasionKind) -> list[PlannedOccasion]:
    return [p for p in planned if p.occasion.kind is kind]


def test_a_closed_or_undispatched_item_has_no_plan() -> None:
    assert plan_item(item(open=False), [unit(1)], DISPATCHED, POLICY, SHANGHAI) == []
    undispatched = ItemFacts(True, TimeClass.GENERAL, None, DUE, end_of_day(DUE, SHANGHAI))
    assert plan_item(undispatched, [unit(1)], DISPATCHED, POLICY, SHANGHAI) == []


def test_receipts_are_chased_for_each_open_unit_that_has_not_acknowledged() -> None:
    units = [unit(1, acknowledged=False), unit(2), unit(3, acknowledged=False, open=False)]
    planned = plan_item(item(), units, DISPATCHED, POLICY, SHANGHAI)
    chases = of_kind(planned, OccasionKind.RECEIPT_CHASE)
    assert [(p.unit, p.occasion.hours, p.basis) for p in chases] == [
        (units[0], 24, basis_ack(1)),
        (units[0], 48, basis_ack(1)),
    ]
    assert basis_ack(1) == "ack:1"


def test_before_due_reminders_per_open_unit_and_only_the_latest_already_due() -> None:
    units = [unit(1), unit(2), unit(3, open=False)]
    at_start = of_kind(
        plan_item(item(), units, DISPATCHED, POLICY, SHANGHAI), OccasionKind.BEFORE_DUE
    )
    assert [(p.occasion.days, p.unit) for p in at_start] == [
        (3, units[0]),
        (3, units[1]),
        (1, units[0]),
        (1, units[1]),
        (0, units[0]),
        (0, units[1]),
    ]
    assert {p.basis for p in at_start} == {basis_due(DUE)} == {"due:2026-03-20"}
    # Found late, after the 1-day reminder's moment: "3 days" is not sent as well.
    late = plan_item(item(), units[:1], local(3, 19, 12), POLICY, SHANGHAI)
    assert [p.occasion.days for p in of_kind(late, OccasionKind.BEFORE_DUE)] == [1, 0]
    # After the due moment the ladder takes over.
    after = plan_item(item(), units[:1], local(3, 21, 1), POLICY, SHANGHAI)
    assert of_kind(after, OccasionKind.BEFORE_DUE) == []


def test_the_ladder_is_planned_once_for_the_item_while_a_unit_is_open() -> None:
    planned = plan_item(item(), [unit(1), unit(2)], DISPATCHED, POLICY, SHANGHAI)
    ladder = of_kind(planned, OccasionKind.ESCALATION)
    assert [(p.occasion.level, p.unit, p.basis) for p in ladder] == [
        (1, None, "due:2026-03-20"),
        (2, None, "due:2026-03-20"),
        (3, None, "due:2026-03-20"),
    ]
    assert ladder[0].occasion.key == "escalation:1:2026-03-20"
    done = plan_item(item(), [unit(1, open=False)], DISPATCHED, POLICY, SHANGHAI)
    assert done == []
    open_ended = plan_item(item(due=None), [unit(1)], DISPATCHED, POLICY, SHANGHAI)
    assert of_kind(open_ended, OccasionKind.ESCALATION) == []
    assert basis_due(None) == "due:-"


def test_monthly_report_reminders_up_to_the_first_date_well_ahead() -> None:
    planned = plan_item(
        item(TimeClass.ROUTINE, due=None), [unit(1)], local(3, 10, 12), POLICY, SHANGHAI
    )
    reports = of_kind(planned, OccasionKind.REPORT_DUE_SOON)
    assert [(p.report_on, p.quarterly, p.basis) for p in reports] == [
        (date(2026, 3, 25), False, basis_report(date(2026, 3, 25))),
        (date(2026, 4, 25), False, "report:2026-04-25"),
    ]
    assert [p.occasion.at for p in reports] == [local(3, 22, 9), local(4, 22, 9)]


def test_annual_key_tasks_report_quarterly() -> None:
    planned = plan_item(item(TimeClass.ANNUAL), [unit(1)], local(3, 10, 12), POLICY, SHANGHAI)
    reports = of_kind(planned, OccasionKind.REPORT_DUE_SOON)
    assert [(p.report_on, p.quarterly, p.occasion.days) for p in reports] == [
        (date(2026, 4, 15), True, 5),
        (date(2026, 7, 15), True, 5),
    ]


def test_next_check_is_the_earliest_occasion_still_ahead() -> None:
    planned = plan_item(item(), [unit(1, acknowledged=False)], DISPATCHED, POLICY, SHANGHAI)
    assert next_check(planned, DISPATCHED) == DISPATCHED + timedelta(hours=24)
    assert next_check(planned, local(3, 17, 9)) == local(3, 19, 9)
    assert next_check(planned, local(4, 30, 0)) is None
    assert next_check([], DISPATCHED) is None
