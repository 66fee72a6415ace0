"""The ``duban`` commands as tables: a command's name, help, description, options and action.

Each command module declares its :class:`Command` (and the options it takes) instead of
calling argparse step by step; :func:`add_command` and :func:`add_group` turn the tables into
subparsers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """One argument: its name or flags and argparse's keywords for it (help, type, default…)."""

    flags: tuple[str, ...]
    settings: Mapping[str, Any]


def option(*flags: str, **settings: Any) -> Option:
    return Option(flags, settings)


@dataclass(frozen=True)
class Command:
    """One ``duban`` command (or a group's action): what it is called, says and runs."""

    name: str
    help: str
    description: str | None
    run: Callable[[argparse.Namespace], None]
    options: tuple[Option, ...] = field(default=())


def add_command(sub: Any, command: Command) -> argparse.ArgumentParser:
    """Add ``command`` to ``sub`` (an argparse subparsers action) with its options."""
    parser: argparse.ArgumentParser = sub.add_parser(
        command.name, help=command.help, description=command.description
    )
    for opt in command.options:
        parser.add_argument(*opt.flags, **opt.settings)
    parser.set_defaults(func=command.run)
    return parser


def add_group(
    sub: Any, name: str, help: str, description: str | None, actions: tuple[Command, ...]
) -> None:
    """Add ``duban NAME ACTION``: a command whose actions are commands of their own."""
    group = sub.add_parser(name, help=help, description=description)
    group_sub = group.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION")
    for action in actions:
        add_command(group_sub, action)
