"""Messages about evidence files: the office's warning notice and the timeline's detail."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.evidence import AttachmentKind
from domain.i18n import N_
from domain.views import ItemView
from texts import Text
from texts.items import header, moment

REUSED_PHOTO = N_("A photo in {unit}'s report was already used in: {refs}.")
REUSED_FILE = N_("A file in {unit}'s report was already used in: {refs}.")
OLD_CAPTURE = N_(
    "A photo in {unit}'s report was taken at {taken}, before the item was dispatched "
    "({dispatched})."
)
VERIFY = N_("Photos are supporting evidence only; please verify with the unit.")


def reused_detail(t: Text, kind: AttachmentKind, unit: str, refs: list[str]) -> str:
    """Plain text (not HTML) for the timeline: what was reused and where it was used before."""
    template = REUSED_PHOTO if kind is AttachmentKind.PHOTO else REUSED_FILE
    return t.raw(template).format(unit=unit, refs=t.raw(N_(", ")).join(refs))


def old_capture_detail(
    t: Text, unit: str, taken: datetime, dispatched: datetime, tz: ZoneInfo
) -> str:
    """Plain text (not HTML) for the timeline: when the photo was taken and the item sent."""
    return t.raw(OLD_CAPTURE).format(
        unit=unit, taken=moment(t, taken, tz), dispatched=moment(t, dispatched, tz)
    )


def warning_notice(t: Text, item: ItemView, line: str) -> str:
    """The office's notice (HTML): the item first, then the warning, then what to do."""
    return "\n".join(
        [header(t, item), t(N_("⚠️ Evidence warning: {warning}"), warning=line), t(VERIFY)]
    )
