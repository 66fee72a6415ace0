"""Messages about joining, roles, help and language."""

from __future__ import annotations

from domain.authority import COMMAND_ROLES, PUBLIC_COMMANDS, commands_for
from domain.i18n import N_
from domain.vocabulary import Role
from texts import Text

ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: N_("administrator"),
    Role.SUPERVISOR: N_("supervision office"),
    Role.PRINCIPAL: N_("principal leader"),
    Role.DEPUTY: N_("deputy leader"),
    Role.UNIT_HEAD: N_("unit head"),
    Role.UNIT_CONTACT: N_("unit contact"),
}

COMMAND_DESCRIPTIONS: dict[str, str] = {
    "items": N_("My items"),
    "item": N_("Item details: /item REF"),
    "report": N_("Report on an item: /report REF"),
    "overdue": N_("Overdue items"),
    "new": N_("Register a new item"),
    "stats": N_("Statistics"),
    "bind": N_("Work groups: links to bind a group"),
    "help": N_("Help"),
    "lang": N_("Language / 语言"),
    "cancel": N_("Cancel the current step"),
    "complain": N_("Anonymous complaint"),
    "track": N_("Check a complaint: /track CODE"),
    "start": N_("Join with an invitation"),
}

assert set(COMMAND_ROLES) | set(PUBLIC_COMMANDS) <= set(COMMAND_DESCRIPTIONS)


def role_list(t: Text, roles: frozenset[Role], unit_names: list[str]) -> str:
    names = [t(ROLE_NAMES[role]) for role in Role if role in roles]
    text = t.raw(N_(", ")).join(names)
    if unit_names:
        text = t("{roles} ({units})", roles=text, units=t.raw(N_(", ")).join(unit_names))
    return text


def welcome(t: Text, name: str, roles: frozenset[Role], unit_names: list[str]) -> str:
    return t(
        N_(
            "Welcome, {name}.\n"
            "You joined Duban as: <b>{roles}</b>.\n"
            "Your commands are in the menu; send /help to see what you can do."
        ),
        name=name,
        roles=role_list(t, roles, unit_names),
    )


def already_joined(t: Text, name: str, roles: frozenset[Role], unit_names: list[str]) -> str:
    return t(
        N_("You have already joined, {name}, as <b>{roles}</b>. Send /help to see your commands."),
        name=name,
        roles=role_list(t, roles, unit_names),
    )


def not_joined(t: Text) -> str:
    return t(
        N_(
            "You have not joined Duban yet.\n"
            "Open the invitation link the supervision office sent you to join.\n"
            "To make an anonymous complaint, send /complain. If you were writing one, it was "
            "not kept (the service may have restarted): send /complain to start again."
        )
    )


def help_text(t: Text, roles: frozenset[Role] | None) -> str:
    commands = commands_for(roles) if roles is not None else list(PUBLIC_COMMANDS)
    lines = [f"/{command} — {t(COMMAND_DESCRIPTIONS[command])}" for command in commands]
    if roles is None:
        header = t(N_("Duban, the supervision office's bot. You can:"))
    else:
        header = t(N_("What you can do:"))
    return "\n".join([header, *lines])


def choose_language(t: Text) -> str:
    return t(N_("Choose your language:"))


def language_set(t: Text) -> str:
    return t(N_("Language set to English."))


def stale_button(t: Text) -> str:
    return t(N_("This button is no longer valid. Please use the latest message."))


def something_went_wrong(t: Text) -> str:
    return t(N_("Sorry, something went wrong. Nothing was changed; please try again later."))
