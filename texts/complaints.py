"""Messages of the complaint channel: to the complainant (chat and web) and to the office."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from domain import callbacks
from domain.complaints import PHOTOS_MAX, format_code
from domain.i18n import N_
from domain.vocabulary import ComplaintCategory, ComplaintStatus
from texts import Text

Render = Callable[[Text], str]

CATEGORY_NAMES: dict[str, str] = {
    ComplaintCategory.POLICY: N_("Policy not carried out"),
    ComplaintCategory.CONDUCT: N_("Work style and conduct"),
    ComplaintCategory.LIVELIHOOD: N_("People's livelihood"),
    ComplaintCategory.OTHER: N_("Other"),
}

# What the complainant reads about their complaint.
STATUS_NAMES: dict[str, str] = {
    ComplaintStatus.NEW: N_("received, waiting to be handled"),
    ComplaintStatus.ACCEPTED: N_("accepted and passed to the responsible unit"),
    ComplaintStatus.MERGED: N_("being handled together with a related matter"),
    ComplaintStatus.REJECTED: N_("not accepted"),
    ComplaintStatus.ANSWERED: N_("answered"),
}

SKIP = N_("Skip")
DONE = N_("Done")
SUBMIT = N_("✅ Submit")
CANCEL = N_("Cancel")
ADD_INFORMATION = N_("Add information or photos")
ACCEPT = N_("Accept and dispatch")
MERGE = N_("Merge")
REJECT = N_("Reject")
ANSWER = N_("Answer directly")
NOT_GIVEN = N_("not given")

# Triage actions in callback data.
ACT_ACCEPT, ACT_MERGE, ACT_REJECT, ACT_ANSWER, ACT_UNIT = "acc", "mrg", "rej", "ans", "u"


def category(t: Text, value: str) -> str:
    return t.raw(CATEGORY_NAMES.get(value, N_("Other")))


def start(t: Text) -> str:
    return t(
        N_(
            "<b>Anonymous complaint</b>\n"
            "We do not keep who you are: not your Telegram account, name or number. "
            "Location and device data are removed from photos.\n\n"
            "Step 1 of 4: what is it about?"
        )
    )


def ask_place(t: Text) -> str:
    return t(
        N_("Step 2 of 4: which unit or place is it about? Choose a unit, type the place, or skip.")
    )


def ask_text(t: Text) -> str:
    return t(
        N_(
            "Step 3 of 4: describe the problem — what happened, where and when.\n"
            "Leave out your name and phone number unless you want the office to know them."
        )
    )


def ask_photos(t: Text) -> str:
    return t(
        N_("Step 4 of 4: send photos if you have any (at most {max}), then press Done."),
        max=PHOTOS_MAX,
    )


def photo_received(t: Text, count: int) -> str:
    return t(N_("Photo {count} received. Send more, or press Done."), count=count)


def send_photo_or_done(t: Text) -> str:
    return t(N_("Send a photo, or press Done."))


def use_buttons(t: Text) -> str:
    return t(N_("Please choose with the buttons above, or send /cancel."))


def preview(t: Text, category_value: str, place: str, text: str, photos: int) -> str:
    return t(
        N_(
            "Please check your complaint:\n"
            "Category: {category}\n"
            "Unit or place: {place}\n"
            "Photos: {photos}\n\n"
            "{text}\n\n"
            "Submit it?"
        ),
        category=category(t, category_value),
        place=place or t.raw(NOT_GIVEN),
        photos=photos,
        text=text,
    )


def filed(t: Text, public_id: str, code: str) -> str:
    return t(
        N_(
            "Your complaint {id} has been received.\n\n"
            "Your receipt code:\n<code>{code}</code>\n\n"
            "⚠️ It is shown only this once. Write it down or take a screenshot and keep it "
            "safe. With it you can check progress, read the office's answer and add "
            "information (/track). Nobody can give it to you again: we do not know who you are."
        ),
        id=public_id,
        code=format_code(code),
    )


def cancelled(t: Text) -> str:
    return t(N_("Cancelled. Nothing was kept."))


def lost(t: Text) -> str:
    return t(
        N_(
            "That complaint was not finished and is no longer here (the service may have "
            "restarted). Nothing was kept. Send /complain to start again."
        )
    )


def too_many_filings(t: Text) -> str:
    return t(N_("You have sent several complaints in a short time. Please try again later."))


def ask_code(t: Text) -> str:
    return t(N_("Send your receipt code (20 letters and digits, dashes optional)."))


def wrong_code(t: Text) -> str:
    return t(N_("No complaint matches this code. Check it and try again."))


def refused(t: Text) -> str:
    return t(N_("Too many wrong codes. Please try again later."))


def status_text(
    t: Text,
    public_id: str,
    category_value: str,
    status: str,
    created_on: date,
    answer: str | None,
    additions: int,
) -> str:
    lines = [
        t(
            N_("Complaint {id} ({category}), received on {day}.\nStatus: <b>{status}</b>"),
            id=public_id,
            category=category(t, category_value),
            day=created_on.isoformat(),
            status=t.raw(STATUS_NAMES.get(status, N_("answered"))),
        )
    ]
    if additions:
        lines.append(t(N_("You have added information {count} times."), count=additions))
    if answer:
        lines.append(t(N_("\nThe office's answer:\n{answer}"), answer=answer))
    return "\n".join(lines)


def ask_addition(t: Text) -> str:
    return t(
        N_("Send more information as text and/or photos (at most {max}), then press Done."),
        max=PHOTOS_MAX,
    )


def addition_received(t: Text) -> str:
    return t(N_("Received. Send more, or press Done."))


def added(t: Text) -> str:
    return t(N_("Thank you. Your additional information has reached the office."))


def nothing_added(t: Text) -> str:
    return t(N_("Nothing was sent, so nothing was added."))


def track_first(t: Text) -> str:
    return t(
        N_(
            "This is no longer open (the service may have restarted). "
            "Send /track with your code to start again."
        )
    )


# --- to the office --------------------------------------------------------------------------


def office_new(
    t: Text, public_id: str, category_value: str, place: str, text: str, photos: int
) -> str:
    return t(
        N_(
            "📮 New complaint <b>{id}</b> ({category})\n"
            "Unit or place: {place}\n"
            "Photos: {photos}\n\n"
            "{text}\n\n"
            "The sender is anonymous. Accept it as an item, merge it, reject it with a "
            "reason, or answer directly."
        ),
        id=public_id,
        category=category(t, category_value),
        place=place or t.raw(NOT_GIVEN),
        photos=photos,
        text=text,
    )


def office_photo(t: Text, public_id: str, number: int, total: int) -> str:
    return t(
        N_("Complaint {id}: photo {number} of {total}"), id=public_id, number=number, total=total
    )


def office_added(t: Text, public_id: str, text: str, photos: int) -> str:
    return t(
        N_(
            "📮 Complaint <b>{id}</b>: the complainant added information ({photos} photos).\n{text}"
        ),
        id=public_id,
        photos=photos,
        text=text,
    )


def triage_buttons(t: Text, public_id: str) -> list[list[tuple[str, str]]]:
    def data(action: str) -> str:
        return callbacks.make(callbacks.TRIAGE, public_id, action)

    return [
        [(t.raw(ACCEPT), data(ACT_ACCEPT)), (t.raw(MERGE), data(ACT_MERGE))],
        [(t.raw(REJECT), data(ACT_REJECT)), (t.raw(ANSWER), data(ACT_ANSWER))],
    ]


def choose_lead_unit(t: Text, public_id: str, title: str) -> str:
    return t(
        N_(
            "Complaint {id}: choose the lead unit. The item will be titled “{title}” and "
            "carry the complaint's text; edit it through the API if it needs changes."
        ),
        id=public_id,
        title=title,
    )


def accepted(t: Text, public_id: str, code: str, unit: str) -> str:
    return t(
        N_("Complaint {id} accepted as item {code} and dispatched to {unit}."),
        id=public_id,
        code=code,
        unit=unit,
    )


def ask_reason(t: Text, public_id: str) -> str:
    return t(
        N_(
            "Complaint {id}: write the reason for not accepting it. The complainant reads it "
            "with their code. Send /cancel to stop."
        ),
        id=public_id,
    )


def ask_answer(t: Text, public_id: str) -> str:
    return t(
        N_(
            "Complaint {id}: write the answer. The complainant reads it with their code. "
            "Send /cancel to stop."
        ),
        id=public_id,
    )


def ask_merge(t: Text, public_id: str) -> str:
    return t(
        N_(
            "Complaint {id}: send the number of the complaint (like T2026-3) or of the item "
            "(like 2026-17) to merge it into. Send /cancel to stop."
        ),
        id=public_id,
    )


def rejected(t: Text, public_id: str) -> str:
    return t(
        N_("Complaint {id} was not accepted; the reason is now the complainant's answer."),
        id=public_id,
    )


def answered(t: Text, public_id: str) -> str:
    return t(N_("Complaint {id} answered."), id=public_id)


def merged(t: Text, public_id: str, into: str) -> str:
    return t(N_("Complaint {id} merged into {into}."), id=public_id, into=into)


def triage_stopped(t: Text) -> str:
    return t(N_("Stopped; the complaint is unchanged."))
