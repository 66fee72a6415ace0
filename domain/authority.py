"""Who may use which bot command. The services check every action again; this is the menu."""

from __future__ import annotations

from collections.abc import Iterable

from domain.vocabulary import Role

# Commands in menu order, with the roles that see them (None: every person who joined).
COMMAND_ROLES: dict[str, frozenset[Role] | None] = {
    "items": None,
    "item": None,
    "report": frozenset({Role.UNIT_CONTACT, Role.UNIT_HEAD}),
    "overdue": frozenset({Role.SUPERVISOR, Role.PRINCIPAL, Role.DEPUTY, Role.UNIT_HEAD}),
    "new": frozenset({Role.SUPERVISOR}),
    "stats": frozenset({Role.SUPERVISOR, Role.PRINCIPAL, Role.DEPUTY}),
    "help": None,
    "lang": None,
    "cancel": None,
}

# What anyone may do, joined or not: the public's channel.
PUBLIC_COMMANDS = ("complain", "track", "help", "lang")


def commands_for(roles: Iterable[Role]) -> list[str]:
    have = set(roles)
    return [
        command for command, allowed in COMMAND_ROLES.items() if allowed is None or allowed & have
    ]
