"""Rules of approval (审核): which step a decision is about, a return's reason, the refusals."""

from __future__ import annotations

from domain.errors import Conflict, Forbidden, InvalidInput
from domain.i18n import N_
from domain.lifecycle import ItemAction, apply, check_approve
from domain.text import ReasonTooLong, check_length
from domain.vocabulary import ItemStatus

REASON_MAX = 1000


class NotApprover(Forbidden):
    key = N_("You are not an approver of this step.")


class AlreadyDecided(Conflict):
    key = N_("This has already been decided; nothing was changed.")


class NotReturnable(Conflict):
    key = N_("Only a returned draft can be submitted again.")


def step_to_decide(
    status: ItemStatus,
    action: ItemAction,
    *,
    steps_required: int,
    steps_approved: int,
    step: int | None,
) -> int:
    """The approval step (0-based) that ``action`` (approve, or return the draft) decides now.

    ``step`` is the one on the button pressed, if any: a button for a step already decided, or
    an item no longer waiting for approval, is :class:`AlreadyDecided`.
    """
    try:
        if action is ItemAction.APPROVE:
            current = check_approve(
                status, steps_required=steps_required, steps_approved=steps_approved
            )
        else:
            apply(status, action)
            current = steps_approved
    except Conflict:
        raise AlreadyDecided() from None
    if step is not None and step != current:
        raise AlreadyDecided()
    return current


def return_reason(text: str) -> str:
    """Why an approver returns an item: required, at most :data:`REASON_MAX` characters."""
    reason = text.strip()
    if not reason:
        raise InvalidInput(N_("Please give a reason."), field="reason")
    check_length(reason, REASON_MAX, ReasonTooLong, field="reason")
    return reason
