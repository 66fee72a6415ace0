"""Why an execution use case refuses: each error carries the message key of its answer."""

from __future__ import annotations

from domain.errors import Forbidden, NotFound
from domain.i18n import N_


class NotYourUnit(Forbidden):
    key = N_("This item is not assigned to your unit.")


class NotContact(Forbidden):
    key = N_("Only the unit's contact can acknowledge this item.")


class NotLeader(Forbidden):
    key = N_("Only the leaders in charge can write an instruction on this item.")


class NotVisible(Forbidden):
    key = N_("This item is not one of yours.")


class StaleButton(NotFound):
    key = N_("This button is no longer valid. Please use the latest message.")
