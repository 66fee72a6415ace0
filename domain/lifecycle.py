"""The lifecycle of an item and of each unit's assignment, as tables of allowed moves (DESIGN §2).

Item: ``draft → pending_approval → dispatched → in_progress → completion_submitted → closed →
archived``, with 退回 (return_completion: back to in_progress), 延期申请 (extension requests, no
change of status) and 回头看 (follow_up after closing; reopen for rectification 整改 goes back to
in_progress with a new deadline). An open item can be withdrawn (撤销督办); a closed or withdrawn
item is archived (立卷归档) and is read-only from then on. ``overdue`` and the light are
derived from dates, not states.

A move not in the table raises :class:`domain.errors.Conflict`. Some moves also need facts the
table cannot see (all approval steps done, who is acting); those checks sit next to the table
(:func:`check_dispatch`) or in the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, TypeVar

from domain.errors import Conflict
from domain.i18n import N_
from domain.vocabulary import AssignmentStatus, ItemStatus


class ItemAction(StrEnum):
    EDIT = "edit"  # 修改草稿
    SUBMIT_FOR_APPROVAL = "submit_for_approval"  # 提交审核
    APPROVE = "approve"  # 审核通过 one approval step
    RETURN_DRAFT = "return_draft"  # 审核退回
    DISPATCH = "dispatch"  # 交办
    ACKNOWLEDGE = "acknowledge"  # 签收 (by any unit)
    REPORT = "report"  # 反馈 plan / progress / periodic report
    REQUEST_EXTENSION = "request_extension"  # 延期申请
    APPROVE_EXTENSION = "approve_extension"  # 同意延期 (new due date)
    MOVE_STEPS = "move_steps"  # 调整时限: new plan / first-feedback dates
    REFUSE_EXTENSION = "refuse_extension"  # 不同意延期
    URGE = "urge"  # 催办 / 督办
    INSTRUCT = "instruct"  # 批示
    ESCALATE = "escalate"  # a ladder level's notices go out
    SUBMIT_COMPLETION = "submit_completion"  # 办结报告, confirmed (核签), reaches the office
    CLOSE = "close"  # 核验销号
    RETURN_COMPLETION = "return_completion"  # 退回重办
    FOLLOW_UP = "follow_up"  # 回头看, nothing to fix
    REOPEN = "reopen"  # 回头看 finds a problem: 整改 with a new deadline
    ARCHIVE = "archive"  # 立卷归档: the end of an item's life, read-only from then on
    WITHDRAW = "withdraw"  # 撤销督办: the office takes an open item back, with a reason


class AssignmentAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # 签收
    REPORT = "report"  # 反馈
    REQUEST_EXTENSION = "request_extension"  # 延期申请
    SUBMIT_COMPLETION = "submit_completion"  # the contact submits the 办结报告
    CONFIRM = "confirm"  # 核签 by the unit head
    DECLINE = "decline"  # the unit head sends the report back to the contact
    CLOSE = "close"  # the office accepts (销号)
    RETURN_COMPLETION = "return_completion"  # the office sends it back (退回)
    REOPEN = "reopen"  # 整改 after 回头看


S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class StateMachine(Generic[S, A]):
    """A table of ``(status, action) → next status``; everything else is refused."""

    def __init__(self, subject: str, moves: Mapping[tuple[S, A], S], refusal: str) -> None:
        self.subject = subject
        self.moves: Mapping[tuple[S, A], S] = MappingProxyType(dict(moves))
        self._refusal = refusal

    def apply(self, status: S, action: A) -> S:
        try:
            return self.moves[(status, action)]
        except KeyError:
            raise Conflict(self._refusal, action=action, status=status) from None

    def allowed_actions(self, status: S) -> tuple[A, ...]:
        return tuple(action for (start, action) in self.moves if start == status)


def _stays(status: S, *actions: A) -> dict[tuple[S, A], S]:
    return {(status, action): status for action in actions}


_I = ItemStatus
_IA = ItemAction
_OPEN_ITEM_NOTES = (
    _IA.REQUEST_EXTENSION,
    _IA.APPROVE_EXTENSION,
    _IA.REFUSE_EXTENSION,
    _IA.MOVE_STEPS,
)
_CHASE = (_IA.URGE, _IA.INSTRUCT, _IA.ESCALATE)

ITEMS: StateMachine[ItemStatus, ItemAction] = StateMachine(
    "item",
    {
        (_I.DRAFT, _IA.EDIT): _I.DRAFT,
        (_I.DRAFT, _IA.SUBMIT_FOR_APPROVAL): _I.PENDING_APPROVAL,
        (_I.DRAFT, _IA.DISPATCH): _I.DISPATCHED,  # only when the policy needs no approval
        (_I.PENDING_APPROVAL, _IA.APPROVE): _I.PENDING_APPROVAL,
        (_I.PENDING_APPROVAL, _IA.RETURN_DRAFT): _I.DRAFT,
        (_I.PENDING_APPROVAL, _IA.DISPATCH): _I.DISPATCHED,  # once every step is approved
        (_I.DISPATCHED, _IA.ACKNOWLEDGE): _I.IN_PROGRESS,
        (_I.DISPATCHED, _IA.REPORT): _I.IN_PROGRESS,
        **_stays(_I.DISPATCHED, *_OPEN_ITEM_NOTES, *_CHASE),
        **_stays(_I.IN_PROGRESS, _IA.ACKNOWLEDGE, _IA.REPORT, *_OPEN_ITEM_NOTES, *_CHASE),
        (_I.IN_PROGRESS, _IA.SUBMIT_COMPLETION): _I.COMPLETION_SUBMITTED,
        # Co-units may still acknowledge and report while the office weighs the completion;
        # the ladder stops: the next move is the office's.
        **_stays(_I.COMPLETION_SUBMITTED, _IA.ACKNOWLEDGE, _IA.REPORT, _IA.INSTRUCT),
        (_I.COMPLETION_SUBMITTED, _IA.CLOSE): _I.CLOSED,
        (_I.COMPLETION_SUBMITTED, _IA.RETURN_COMPLETION): _I.IN_PROGRESS,
        (_I.CLOSED, _IA.FOLLOW_UP): _I.CLOSED,
        (_I.CLOSED, _IA.REOPEN): _I.IN_PROGRESS,
        (_I.CLOSED, _IA.ARCHIVE): _I.ARCHIVED,
        (_I.DISPATCHED, _IA.WITHDRAW): _I.WITHDRAWN,
        (_I.IN_PROGRESS, _IA.WITHDRAW): _I.WITHDRAWN,
        (_I.COMPLETION_SUBMITTED, _IA.WITHDRAW): _I.WITHDRAWN,
        (_I.WITHDRAWN, _IA.ARCHIVE): _I.ARCHIVED,
    },
    N_("You cannot {action} an item that is {status}."),
)

_S = AssignmentStatus
_SA = AssignmentAction

ASSIGNMENTS: StateMachine[AssignmentStatus, AssignmentAction] = StateMachine(
    "assignment",
    {
        (_S.DISPATCHED, _SA.ACKNOWLEDGE): _S.ACKNOWLEDGED,
        (_S.ACKNOWLEDGED, _SA.REPORT): _S.IN_PROGRESS,
        **_stays(_S.ACKNOWLEDGED, _SA.REQUEST_EXTENSION),
        (_S.ACKNOWLEDGED, _SA.SUBMIT_COMPLETION): _S.COMPLETION_SUBMITTED,
        **_stays(_S.IN_PROGRESS, _SA.REPORT, _SA.REQUEST_EXTENSION),
        (_S.IN_PROGRESS, _SA.SUBMIT_COMPLETION): _S.COMPLETION_SUBMITTED,
        (_S.COMPLETION_SUBMITTED, _SA.CONFIRM): _S.CONFIRMED,
        (_S.COMPLETION_SUBMITTED, _SA.DECLINE): _S.IN_PROGRESS,
        (_S.CONFIRMED, _SA.CLOSE): _S.COMPLETED,
        (_S.CONFIRMED, _SA.RETURN_COMPLETION): _S.IN_PROGRESS,
        (_S.COMPLETED, _SA.REOPEN): _S.IN_PROGRESS,
    },
    N_("You cannot {action} an assignment that is {status}."),
)


class ItemArchived(Conflict):
    """Every write to an archived item (立卷归档) is refused: it is kept as it was filed."""

    key = N_("This item is archived (立卷归档): it can be read but no longer changed.")


def check_writable(status: ItemStatus) -> None:
    """Refuse any change to an archived item, whatever the change."""
    if status is ItemStatus.ARCHIVED:
        raise ItemArchived()


def apply(status: ItemStatus, action: ItemAction) -> ItemStatus:
    """The item's next status, or :class:`Conflict` when the move is not allowed
    (:class:`ItemArchived` for any move of an archived item)."""
    check_writable(status)
    return ITEMS.apply(status, action)


def allowed_actions(status: ItemStatus) -> tuple[ItemAction, ...]:
    """What can be done to an item in ``status``, in table order (for buttons and checks)."""
    return ITEMS.allowed_actions(status)


def apply_assignment(status: AssignmentStatus, action: AssignmentAction) -> AssignmentStatus:
    """The assignment's next status, or :class:`Conflict` when the move is not allowed."""
    return ASSIGNMENTS.apply(status, action)


def allowed_assignment_actions(status: AssignmentStatus) -> tuple[AssignmentAction, ...]:
    return ASSIGNMENTS.allowed_actions(status)


def may_archive(status: ItemStatus, follow_up_on: date | None) -> bool:
    """Whether the office can archive (立卷归档) now: closed with no follow-up check still
    waiting (it found nothing, or none was set), or withdrawn."""
    return status is ItemStatus.WITHDRAWN or (status is ItemStatus.CLOSED and follow_up_on is None)


def check_dispatch(status: ItemStatus, *, steps_required: int, steps_approved: int) -> None:
    """Refuse to dispatch (交办) an item that has not passed every approval step (审核).

    A draft goes out directly only when the policy needs no approval; an item pending approval
    only after its last step is approved.
    """
    apply(status, ItemAction.DISPATCH)
    if status is ItemStatus.DRAFT and steps_required > 0:
        raise Conflict(N_("This item must be approved before it is dispatched."))
    if status is ItemStatus.PENDING_APPROVAL and steps_approved < steps_required:
        raise Conflict(
            N_("This item is still waiting for approval (step {step} of {steps})."),
            step=steps_approved + 1,
            steps=steps_required,
        )


def check_approve(status: ItemStatus, *, steps_required: int, steps_approved: int) -> int:
    """Check that an approval step is open and return its index (0-based) in the policy's steps."""
    apply(status, ItemAction.APPROVE)
    if steps_approved >= steps_required:
        raise Conflict(N_("This item has no approval step left; it can be dispatched."))
    return steps_approved
