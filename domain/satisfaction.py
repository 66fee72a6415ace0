"""Whether complainants are satisfied (满意度) and their requests for review (异议复核).

Once a complaint has its answer, the complainant rates it with their receipt code: 满意,
基本满意 or 不满意. One rating per answer, final once given: it is what the statistics count,
and a request for review that has reached the office is not withdrawn behind its back. 不满意
needs a reason and is a request for review: the office reopens the item with that reason as
its problem (复核不通过) or upholds the answer with a reason of its own (维持原答复), which the
complainant reads with ``/track``. When a review reopens the item, the answer it rated is
withdrawn; the next answer may be rated again.

The **satisfaction rate** (满意率) of a unit or of everyone over a period is
(满意 + 基本满意) / rated, over each complaint's latest rating given in the period; ``None``
when nothing was rated.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Conflict, InvalidInput, NotFound
from domain.i18n import N_
from domain.text import check_length

REASON_MIN = 2
REASON_MAX = 2000


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意: a request for review


class Review(StrEnum):
    """Where a request for review stands."""

    PENDING = "pending"  # with the office
    REOPENED = "reopened"  # 复核不通过: the item is reopened with the reason as its problem
    UPHELD = "upheld"  # 维持原答复, with the office's reason


# --- errors ---------------------------------------------------------------------------------


class NotAnswered(Conflict):
    key = N_("Complaint {id} has no answer yet: you can rate it once it is answered.")


class AlreadyRated(Conflict):
    key = N_("Complaint {id}'s answer has already been rated.")


class ReasonRequired(InvalidInput):
    key = N_("Please say why you are not satisfied (at least {min} characters).")


class UnknownRating(InvalidInput):
    key = N_("Please choose satisfied, basically satisfied or not satisfied.")


class ReviewDecided(Conflict):
    key = N_("This request for review has already been decided.")


class ReviewNotFound(NotFound):
    key = N_("No request for review {id}.")


class NothingToReopen(Conflict):
    key = N_(
        "Complaint {id} has no item to reopen: assign it to a unit, uphold the answer, or "
        "answer it anew."
    )


class HasItem(Conflict):
    key = N_("Complaint {id} has an item: reopen that item for rectification instead.")


# --- rules ----------------------------------------------------------------------------------


def parse_rating(value: str) -> Rating:
    try:
        return Rating(value.strip())
    except ValueError:
        raise UnknownRating() from None


def check_may_rate(public_id: str, settled: bool, rated: bool) -> None:
    """A complaint is rated once per answer, and only once it has one."""
    if not settled:
        raise NotAnswered(id=public_id)
    if rated:
        raise AlreadyRated(id=public_id)


def reason_text(rating: Rating, text: str | None) -> str | None:
    """The reason given: required (and kept) for 不满意; otherwise nothing is kept."""
    if rating is not Rating.DISSATISFIED:
        return None
    cleaned = (text or "").strip()
    if len(cleaned) < REASON_MIN:
        raise ReasonRequired(min=REASON_MIN)
    return check_length(cleaned, REASON_MAX)


def satisfaction_rate(satisfied: int, basic: int, dissatisfied: int) -> float | None:
    """(满意 + 基本满意) / rated; None when nothing was rated."""
    rated = satisfied + basic + dissatisfied
    return (satisfied + basic) / rated if rated else None
