"""Messages of complainants' ratings (满意度) and requests for review (异议复核): to the
complainant (chat; the web page shows the same words) and to the office."""

from __future__ import annotations

from datetime import date

from domain import callbacks
from domain.i18n import N_
from domain.satisfaction import REASON_MIN, Rating, Review
from texts import Text

RATING_NAMES: dict[str, str] = {
    Rating.SATISFIED: N_("Satisfied"),
    Rating.BASIC: N_("Basically satisfied"),
    Rating.DISSATISFIED: N_("Not satisfied"),
}
REVIEW_NAMES: dict[str, str] = {
    Review.PENDING: N_("being reviewed"),
    Review.REOPENED: N_("review failed: rectified again"),
    Review.UPHELD: N_("answer upheld"),
}
REVIEW_REOPEN = N_("Review fails: rectify again")
REVIEW_ASSIGN = N_("Review fails: assign to a unit")
REVIEW_UPHOLD = N_("Uphold the answer")
SATISFACTION = N_("Complainants' satisfaction")
SATISFACTION_COLUMNS = (
    (N_("Satisfied"), 10),
    (N_("Basically satisfied"), 12),
    (N_("Not satisfied"), 10),
    (N_("Satisfaction rate"), 12),
)

# What each complainant's button says in its callback data: cmp:rate:<rating>.
RATE = "rate"


def rate_buttons(t: Text) -> list[list[tuple[str, str]]]:
    return [
        [(t.raw(RATING_NAMES[r]), callbacks.make(callbacks.COMPLAINT, RATE, r.value))]
        for r in Rating
    ]


def ask_rating(t: Text) -> str:
    return t(N_("Are you satisfied with the answer? Choose below."))


def feedback_text(
    t: Text,
    rating: str,
    rated_on: date,
    review: str | None,
    reply: str | None,
    superseded: bool,
) -> str:
    """What the complainant reads of their rating and its review."""
    lines = [
        t(
            N_("Your rating ({day}): {rating}"),
            day=rated_on.isoformat(),
            rating=t.raw(RATING_NAMES.get(rating, RATING_NAMES[Rating.DISSATISFIED])),
        )
    ]
    if review == Review.PENDING:
        lines.append(t(N_("Request for review: the supervision office is reviewing the answer.")))
    elif review == Review.REOPENED:
        lines.append(
            t(
                N_(
                    "Review result: the answer did not stand. The responsible unit must deal "
                    "with it again, starting from your reason; the new answer will be shown "
                    "here, and you may rate it again."
                )
            )
        )
    elif review == Review.UPHELD:
        lines.append(
            t(
                N_("Review result: the original answer stands. The office's reason: {reply}"),
                reply=reply or "",
            )
        )
    if superseded and review != Review.REOPENED:
        lines.append(t(N_("The answer you rated was withdrawn; a new one will follow.")))
    return "\n".join(lines)


def ask_reason(t: Text) -> str:
    return t(
        N_(
            "Please write why you are not satisfied (at least {min} characters). It goes to the "
            "supervision office as a request for review. Send /cancel to stop."
        ),
        min=REASON_MIN,
    )


def send_reason_as_text(t: Text) -> str:
    return t(N_("Please write the reason as text."))


def thanks(t: Text) -> str:
    return t(N_("Thank you for your rating."))


def review_sent(t: Text) -> str:
    return t(
        N_(
            "Your request for review has reached the supervision office. Check the result "
            "later with /track and your code."
        )
    )


# --- the office -----------------------------------------------------------------------------


def office_review(
    t: Text,
    public_id: str,
    item_code: str | None,
    title: str | None,
    answer: str,
    reason: str,
) -> str:
    head = (
        t(N_("{code} {title}"), code=item_code, title=title)
        if item_code is not None
        else t(N_("Complaint {id} (answered without an item)"), id=public_id)
    )
    body = t(
        N_(
            "⚠️ Request for review: the complainant of complaint {id} is not satisfied with "
            "the answer.\nThe answer: {answer}\nTheir reason: {reason}\n"
            "Review it: have the item rectified again, or uphold the answer with a reason."
        ),
        id=public_id,
        answer=answer,
        reason=reason,
    )
    return f"{head}\n{body}"


def review_buttons(t: Text, rating_id: int, *, can_reopen: bool) -> list[list[tuple[str, str]]]:
    """Reopen the complaint's item, or (answered by the office itself) assign it to a unit;
    or uphold the answer."""

    def data(step: str) -> str:
        return callbacks.make(callbacks.REVIEW, rating_id, step)

    fails = (REVIEW_REOPEN, "reopen") if can_reopen else (REVIEW_ASSIGN, "assign")
    return [[(t.raw(fails[0]), data(fails[1])), (t.raw(REVIEW_UPHOLD), data("uphold"))]]


def unit_buttons(rating_id: int, units: list[tuple[int, str]]) -> list[list[tuple[str, str]]]:
    """The units to assign a complaint to on review, two a row."""
    buttons = [
        (name, callbacks.make(callbacks.REVIEW, rating_id, "unit", unit_id))
        for unit_id, name in units
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def choose_unit(t: Text, public_id: str) -> str:
    return t(
        N_(
            "Complaint {id}: choose the unit to handle it. It becomes an item with the "
            "complaint, your answer and the complainant's reason, dispatched at once."
        ),
        id=public_id,
    )


def assigned_done(t: Text, public_id: str, code: str, unit: str) -> str:
    return t(
        N_(
            "✅ Review decided: complaint {id} is now item {code}, dispatched to {unit}. The "
            "complainant reads that it is being handled, and may rate the next answer."
        ),
        id=public_id,
        code=code,
        unit=unit,
    )


def review_item_body(t: Text, text: str, answer: str, reason: str) -> str:
    """What the unit reads of a complaint assigned on review: the complaint, the office's
    answer that did not satisfy, and why (plain text: an item's body)."""
    lines = [text, t.raw(N_("The supervision office's answer: {answer}")).format(answer=answer)]
    if reason:
        lines.append(
            t.raw(N_("Why the complainant is not satisfied: {reason}")).format(reason=reason)
        )
    return "\n".join(lines)


def ask_due(t: Text, public_id: str) -> str:
    return t(
        N_(
            "Complaint {id}: the item will be reopened for rectification, with the "
            "complainant's reason as its first problem. Reply with the new due date (e.g. "
            "2027-03-31) on the first line; more problems may follow, one per line."
        ),
        id=public_id,
    )


def ask_uphold_reason(t: Text, public_id: str) -> str:
    return t(
        N_(
            "Complaint {id}: reply with the reason for upholding the answer. The complainant "
            "reads it with their code."
        ),
        id=public_id,
    )


def reopened_done(t: Text, due: date) -> str:
    return t(
        N_("Review decided: reopened for rectification, due {due}. The complainant can see it."),
        due=due.isoformat(),
    )


def upheld_done(t: Text) -> str:
    return t(N_("Review decided: the answer is upheld; the complainant reads your reason."))


def satisfaction_line(t: Text, satisfied: int, basic: int, dissatisfied: int, rate: str) -> str:
    return t(
        N_(
            "Complainants: {satisfied} satisfied, {basic} basically satisfied, "
            "{dissatisfied} not satisfied; satisfaction rate {rate}"
        ),
        satisfied=satisfied,
        basic=basic,
        dissatisfied=dissatisfied,
        rate=rate,
    )
