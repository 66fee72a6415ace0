"""Messages of registering (立项), approving (审核) and load control (基层减负)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.i18n import N_
from domain.registration import LoadWarning
from domain.views import ItemView
from texts import Markup, Text
from texts import items as item_texts

# Buttons
APPROVE = N_("✅ Approve")
RETURN = N_("↩️ Return")
SUBMIT_AGAIN = N_("Submit again")
DISPATCH_ANYWAY = N_("Dispatch anyway")
SUBMIT = N_("✅ Submit")
CANCEL = N_("✖️ Cancel")
DONE = N_("Done")
NO_CO_UNITS = N_("No co-units")
PREVIOUS = N_("◀️ Previous")
NEXT = N_("Next ▶️")
KEEP_DATE = N_("Use this date")
MAKE_CONFIDENTIAL = N_("🔒 Make internal (内部)")
MAKE_OPEN = N_("🔓 Not internal")
DEFAULT_MARK = N_("{name} (in charge of the lead unit)")


@dataclass(frozen=True)
class Card:
    """What the preview shows; names, not keys."""

    title: str
    body: str
    source: str
    time_class: str
    lead: str
    co_units: tuple[str, ...]
    leader: str | None
    due: date | None
    confidential: bool = False


def due_text(t: Text, due: date | None) -> str:
    return item_texts.day(t, due) if due is not None else t(N_("open-ended"))


def card(t: Text, c: Card) -> str:
    """The item as it will go out: the preview (and what approvers see)."""
    lines = [
        t(N_("<b>{title}</b>"), title=c.title),
        t(N_("Source: {source}"), source=t.raw(item_texts.SOURCE_NAMES[c.source])),
        t(N_("Class: {name}"), name=t.raw(item_texts.CLASS_NAMES[c.time_class])),
        t(N_("Lead: {unit}"), unit=c.lead),
    ]
    if c.co_units:
        lines.append(t(N_("Co-units: {units}"), units=t.raw(N_(", ")).join(c.co_units)))
    if c.leader:
        lines.append(t(N_("Leader in charge: {name}"), name=c.leader))
    lines.append(t(N_("Due: {due}"), due=due_text(t, c.due)))
    if c.confidential:
        lines.append(t(item_texts.CONFIDENTIAL))
    if c.body:
        lines += ["", item_texts.user_text(t, c.body)]
    return "\n".join(lines)


def view_card(view: ItemView) -> Card:
    lead = view.lead
    return Card(
        title=view.title,
        body=view.body,
        source=view.source,
        time_class=view.time_class,
        lead=lead.unit_name if lead else "",
        co_units=tuple(a.unit_name for a in view.co_units),
        leader=view.leader.name if view.leader else None,
        due=view.due,
        confidential=view.confidential,
    )


def _code_line(t: Text, view: ItemView) -> str:
    return t(N_("<b>{code}</b>"), code=view.code)


# --- the /new conversation -----------------------------------------------------------------


def office_only(t: Text) -> str:
    return t(N_("Only the supervision office can register items."))


def ask_title(t: Text) -> str:
    return t(
        N_(
            "📝 New item (立项). Step 1 of 8: send the title in one line.\n"
            "Send /cancel at any step to stop."
        )
    )


def title_bad(t: Text, limit: int) -> str:
    return t(
        N_(
            "The title must be one line of at most {max} characters (an emoji or a rare "
            "character counts as two). Send it again."
        ),
        max=limit,
    )


def ask_body(t: Text) -> str:
    return t(N_("Step 2 of 8: send the content: what must be done, the requirements."))


def body_bad(t: Text, limit: int) -> str:
    return t(
        N_(
            "The content must be at most {max} characters (an emoji or a rare character "
            "counts as two). Send it again."
        ),
        max=limit,
    )


def ask_source(t: Text) -> str:
    return t(N_("Step 3 of 8: where does the item come from?"))


def ask_class(t: Text) -> str:
    return t(N_("Step 4 of 8: which time-limit class?"))


def ask_lead(t: Text, search: str | None = None) -> str:
    text = t(N_("Step 5 of 8: choose the lead unit, or type part of its name to search."))
    if search:
        text += "\n" + t(N_("Units matching “{text}”:"), text=search)
    return text


def no_unit_match(t: Text, search: str) -> str:
    return t(N_("No unit matches “{text}”. Choose from the list or type again."), text=search)


def ask_co_units(t: Text, lead: str, chosen: Sequence[str], search: str | None = None) -> str:
    lines = [
        t(
            N_(
                "Step 6 of 8: choose co-units (any number; press again to remove), "
                "then press Done. Lead unit: {lead}."
            ),
            lead=lead,
        )
    ]
    if chosen:
        lines.append(t(N_("Chosen: {units}"), units=t.raw(N_(", ")).join(chosen)))
    if search:
        lines.append(t(N_("Units matching “{text}”:"), text=search))
    return "\n".join(lines)


def ask_leader(t: Text, default: str | None) -> str:
    text = t(N_("Step 7 of 8: who is the responsible leader?"))
    if default:
        text += "\n" + t(N_("Usually {name}, who is in charge of the lead unit."), name=default)
    return text


def ask_due(t: Text, class_name: str, due: date | None, needs_date: bool) -> str:
    if needs_date:
        return t(
            N_(
                "Step 8 of 8: this class has no fixed time limit. "
                "Type the due date, e.g. 2026-12-31, 12月31日 or 12-31."
            )
        )
    return t(
        N_(
            "Step 8 of 8: for a {name} item the due date is {due}. Press “Use this date”, "
            "or type another date, e.g. 2026-12-31, 12月31日 or 12-31."
        ),
        name=class_name,
        due=due_text(t, due),
    )


def due_not_a_date(t: Text) -> str:
    return t(N_("That is not a date. Type it like 2026-12-31, 12月31日 or 12-31."))


def due_in_past(t: Text) -> str:
    return t(N_("The due date cannot be in the past. Type a later date."))


def preview(t: Text, c: Card) -> str:
    return t(N_("Please check the item before you submit it:")) + "\n\n" + card(t, c)


def cancelled(t: Text) -> str:
    return t(N_("Registration cancelled. Nothing was saved."))


def stale(t: Text) -> str:
    return t(N_("This button belongs to an earlier message. Please use the latest one."))


def submitted_for_approval(t: Text, view: ItemView) -> str:
    return t(
        N_("{code} registered and sent for approval. You will hear when it is decided."),
        code=Markup(_code_line(t, view)),
    )


def dispatched(t: Text, view: ItemView) -> str:
    units = [a.unit_name for a in view.assignments]
    return t(
        N_("{code} {title} is dispatched to {units}."),
        code=Markup(_code_line(t, view)),
        title=view.title,
        units=t.raw(N_(", ")).join(units),
    )


def failed(t: Text, reason: str) -> str:
    return t(N_("The item was not registered: {reason}"), reason=reason)


# --- approval ------------------------------------------------------------------------------


def approval_request(
    t: Text, view: ItemView, tz: ZoneInfo, now: datetime, *, step: int, steps: int, registrar: str
) -> str:
    return "\n".join(
        [
            t(
                N_("🔎 {code} awaits your approval (step {step} of {steps}), from {name}."),
                code=Markup(_code_line(t, view)),
                step=step,
                steps=steps,
                name=registrar,
            ),
            "",
            card(t, view_card(view)),
        ]
    )


def approved_by_you(t: Text, view: ItemView) -> str:
    return t(
        N_("✅ You approved {code} {title}."), code=Markup(_code_line(t, view)), title=view.title
    )


def approved_and_dispatched(t: Text, view: ItemView) -> str:
    return t(
        N_("✅ {code} {title} is approved and dispatched."),
        code=Markup(_code_line(t, view)),
        title=view.title,
    )


def ask_return_reason(t: Text, view: ItemView) -> str:
    return t(
        N_("Why is {code} {title} returned? Send the reason, or /cancel."),
        code=Markup(_code_line(t, view)),
        title=view.title,
    )


def returned_by_you(t: Text, view: ItemView) -> str:
    return t(
        N_("↩️ {code} is returned to its registrar with your reason."),
        code=Markup(_code_line(t, view)),
    )


def return_cancelled(t: Text) -> str:
    return t(N_("Nothing was returned."))


def returned_to_registrar(t: Text, view: ItemView, who: str, reason: str) -> str:
    return "\n".join(
        [
            t(
                N_("↩️ {code} {title} was returned by {name}."),
                code=Markup(_code_line(t, view)),
                title=view.title,
                name=who,
            ),
            t(N_("Reason: {reason}"), reason=reason),
            t(N_("Revise it as asked, then press “Submit again”.")),
        ]
    )


def resubmitted(t: Text, view: ItemView) -> str:
    return t(N_("{code} is submitted for approval again."), code=Markup(_code_line(t, view)))


# --- load control --------------------------------------------------------------------------


def warning_line(t: Text, warning: LoadWarning) -> str:
    parts = []
    if warning.too_many:
        parts.append(
            t(
                N_("{unit} already has {count} open items."),
                unit=warning.unit_name,
                count=warning.open_items,
            )
        )
    if warning.similar_ref and warning.similar_title:
        parts.append(
            t(
                N_("{unit} already has a similar item: {ref} {title}."),
                unit=warning.unit_name,
                ref=warning.similar_ref,
                title=warning.similar_title,
            )
        )
    return "⚠️ " + " ".join(parts)


def load_warning(t: Text, view: ItemView, warnings: Sequence[LoadWarning]) -> str:
    lines = [
        t(
            N_("{code} {title} has not gone out yet: please check the load on the units."),
            code=Markup(_code_line(t, view)),
            title=view.title,
        )
    ]
    lines += [warning_line(t, w) for w in warnings]
    lines.append(t(N_("Press “Dispatch anyway” to send it as it is.")))
    return "\n".join(lines)
