"""Domain errors: each carries a message key that handlers and routes turn into a polite answer."""

from __future__ import annotations

from typing import Any

from domain.i18n import N_


class DubanError(Exception):
    """Base of every error the product expects and explains to the user.

    ``key`` names the user-facing message (a Babel msgid); ``params`` fill it in.
    ``status`` is the HTTP status the JSON API answers with.
    """

    key: str = N_("Something went wrong.")
    status: int = 400

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        if key is not None:
            self.key = key
        self.params = params
        super().__init__(self.key.format(**params) if params else self.key)


class NotFound(DubanError):
    key = N_("Not found.")
    status = 404


class Forbidden(DubanError):
    key = N_("You are not allowed to do that.")
    status = 403


class InvalidInput(DubanError):
    key = N_("That input is not valid.")
    status = 422


class Conflict(DubanError):
    key = N_("That cannot be done in the item's current state.")
    status = 409
