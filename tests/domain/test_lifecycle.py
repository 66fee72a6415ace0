"""Every (status, action) pair of items and assignments: allowed as DESIGN §2 says, or refused."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from domain.errors import Conflict
from domain.lifecycle import (
    AssignmentAction,
    ItemAction,
    ItemArchived,
    allowed_actions,
    allowed_assignment_actions,
    apply,
    apply_assignment,
    check_approve,
    check_dispatch,
    may_archive,
)
from domain.vocabulary import AssignmentStatus, ItemStatus

IS, IA = ItemStatus, ItemAction
S, SA = AssignmentStatus, AssignmentAction

_ITEM_CHASE = {IA.URGE, IA.INSTRUCT, IA.ESCALATE}
_ITEM_EXTENSIONS = {IA.REQUEST_EXTENSION, IA.APPROVE_EXTENSION, IA.REFUSE_EXTENSION, IA.MOVE_STEPS}

ITEM_EXPECTED: dict[tuple[ItemStatus, ItemAction], ItemStatus] = {
    (IS.DRAFT, IA.EDIT): IS.DRAFT,
    (IS.DRAFT, IA.SUBMIT_FOR_APPROVAL): IS.PENDING_APPROVAL,
    (IS.DRAFT, IA.DISPATCH): IS.DISPATCHED,
    (IS.PENDING_APPROVAL, IA.APPROVE): IS.PENDING_APPROVAL,
    (IS.PENDING_APPROVAL, IA.RETURN_DRAFT): IS.DRAFT,
    (IS.PENDING_APPROVAL, IA.DISPATCH): IS.DISPATCHED,
    (IS.DISPATCHED, IA.ACKNOWLEDGE): IS.IN_PROGRESS,
    (IS.DISPATCHED, IA.REPORT): IS.IN_PROGRESS,
    **{(IS.DISPATCHED, a): IS.DISPATCHED for a in _ITEM_CHASE | _ITEM_EXTENSIONS},
    (IS.IN_PROGRESS, IA.ACKNOWLEDGE): IS.IN_PROGRESS,
    (IS.IN_PROGRESS, IA.REPORT): IS.IN_PROGRESS,
    **{(IS.IN_PROGRESS, a): IS.IN_PROGRESS for a in _ITEM_CHASE | _ITEM_EXTENSIONS},
    (IS.IN_PROGRESS, IA.SUBMIT_COMPLETION): IS.COMPLETION_SUBMITTED,
    (IS.COMPLETION_SUBMITTED, IA.ACKNOWLEDGE): IS.COMPLETION_SUBMITTED,
    (IS.COMPLETION_SUBMITTED, IA.REPORT): IS.COMPLETION_SUBMITTED,
    (IS.COMPLETION_SUBMITTED, IA.INSTRUCT): IS.COMPLETION_SUBMITTED,
    (IS.COMPLETION_SUBMITTED, IA.CLOSE): IS.CLOSED,
    (IS.COMPLETION_SUBMITTED, IA.RETURN_COMPLETION): IS.IN_PROGRESS,
    (IS.CLOSED, IA.FOLLOW_UP): IS.CLOSED,
    (IS.CLOSED, IA.REOPEN): IS.IN_PROGRESS,
    (IS.CLOSED, IA.ARCHIVE): IS.ARCHIVED,
    (IS.DISPATCHED, IA.WITHDRAW): IS.WITHDRAWN,
    (IS.IN_PROGRESS, IA.WITHDRAW): IS.WITHDRAWN,
    (IS.COMPLETION_SUBMITTED, IA.WITHDRAW): IS.WITHDRAWN,
    (IS.WITHDRAWN, IA.ARCHIVE): IS.ARCHIVED,
}

ASSIGNMENT_EXPECTED: dict[tuple[AssignmentStatus, AssignmentAction], AssignmentStatus] = {
    (S.DISPATCHED, SA.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, SA.REPORT): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, SA.REQUEST_EXTENSION): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, SA.SUBMIT_COMPLETION): S.COMPLETION_SUBMITTED,
    (S.IN_PROGRESS, SA.REPORT): S.IN_PROGRESS,
    (S.IN_PROGRESS, SA.REQUEST_EXTENSION): S.IN_PROGRESS,
    (S.IN_PROGRESS, SA.SUBMIT_COMPLETION): S.COMPLETION_SUBMITTED,
    (S.COMPLETION_SUBMITTED, SA.CONFIRM): S.CONFIRMED,
    (S.COMPLETION_SUBMITTED, SA.DECLINE): S.IN_PROGRESS,
    (S.CONFIRMED, SA.CLOSE): S.COMPLETED,
    (S.CONFIRMED, SA.RETURN_COMPLETION): S.IN_PROGRESS,
    (S.COMPLETED, SA.REOPEN): S.IN_PROGRESS,
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(ItemStatus, ItemAction)))
def test_item_move(status: ItemStatus, action: ItemAction) -> None:
    expected = ITEM_EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(Conflict) as caught:
            apply(status, action)
        if status is ItemStatus.ARCHIVED:
            assert isinstance(caught.value, ItemArchived)  # read-only, whatever the move
        else:
            assert caught.value.params == {"action": action.value, "status": status.value}
        assert action not in allowed_actions(status)
    else:
        assert apply(status, action) is expected
        assert action in allowed_actions(status)


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(AssignmentStatus, AssignmentAction))
)
def test_assignment_move(status: AssignmentStatus, action: AssignmentAction) -> None:
    expected = ASSIGNMENT_EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(Conflict) as caught:
            apply_assignment(status, action)
        assert caught.value.params == {"action": action.value, "status": status.value}
        assert action not in allowed_assignment_actions(status)
    else:
        assert apply_assignment(status, action) is expected
        assert action in allowed_assignment_actions(status)


def test_allowed_actions_are_exactly_the_table() -> None:
    for status in ItemStatus:
        assert set(allowed_actions(status)) == {a for (s, a) in ITEM_EXPECTED if s is status}
    for a_status in AssignmentStatus:
        assert set(allowed_assignment_actions(a_status)) == {
            a for (s, a) in ASSIGNMENT_EXPECTED if s is a_status
        }


def test_archived_is_final() -> None:
    assert allowed_actions(ItemStatus.ARCHIVED) == ()


def test_refusal_message_names_action_and_status() -> None:
    with pytest.raises(Conflict) as caught:
        apply(ItemStatus.DRAFT, ItemAction.REOPEN)
    assert str(caught.value) == "You cannot reopen an item that is draft."
    assert caught.value.status == 409


def test_an_archived_item_is_read_only() -> None:
    for action in ItemAction:
        with pytest.raises(ItemArchived) as caught:
            apply(ItemStatus.ARCHIVED, action)
        assert caught.value.status == 409 and "archived" in str(caught.value)
    assert may_archive(ItemStatus.CLOSED, None) and may_archive(ItemStatus.WITHDRAWN, None)
    assert not may_archive(ItemStatus.CLOSED, date(2027, 1, 15))  # the follow-up is ahead
    assert not may_archive(ItemStatus.IN_PROGRESS, None)


def test_the_happy_path_reaches_the_archive() -> None:
    status = ItemStatus.DRAFT
    for action in (
        IA.SUBMIT_FOR_APPROVAL,
        IA.APPROVE,
        IA.DISPATCH,
        IA.ACKNOWLEDGE,
        IA.REPORT,
        IA.SUBMIT_COMPLETION,
        IA.RETURN_COMPLETION,
        IA.SUBMIT_COMPLETION,
        IA.CLOSE,
        IA.REOPEN,
        IA.SUBMIT_COMPLETION,
        IA.CLOSE,
        IA.FOLLOW_UP,
        IA.ARCHIVE,
    ):
        status = apply(status, action)
    assert status is ItemStatus.ARCHIVED


# --- approval guards -----------------------------------------------------------------------------


def test_draft_goes_out_directly_only_without_approval_steps() -> None:
    check_dispatch(ItemStatus.DRAFT, steps_required=0, steps_approved=0)
    with pytest.raises(Conflict):
        check_dispatch(ItemStatus.DRAFT, steps_required=1, steps_approved=0)


def test_pending_item_goes_out_after_its_last_step() -> None:
    with pytest.raises(Conflict) as caught:
        check_dispatch(ItemStatus.PENDING_APPROVAL, steps_required=2, steps_approved=1)
    assert caught.value.params == {"step": 2, "steps": 2}
    check_dispatch(ItemStatus.PENDING_APPROVAL, steps_required=2, steps_approved=2)


def test_dispatch_check_refuses_statuses_the_table_refuses() -> None:
    with pytest.raises(Conflict):
        check_dispatch(ItemStatus.CLOSED, steps_required=0, steps_approved=0)


def test_approve_returns_the_open_step() -> None:
    assert check_approve(ItemStatus.PENDING_APPROVAL, steps_required=2, steps_approved=1) == 1
    with pytest.raises(Conflict):
        check_approve(ItemStatus.PENDING_APPROVAL, steps_required=2, steps_approved=2)
    with pytest.raises(Conflict):
        check_approve(ItemStatus.DRAFT, steps_required=2, steps_approved=0)
