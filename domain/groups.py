"""Work groups (工作群): who may bind a group to what, and what a bound group is.

An office member may bind a group to any unit, to the office or to the leaders; a unit's head
may bind a group to their own unit only. Nobody gets more power in a group than their own
roster entry gives them: a press in a group is judged by the presser's own role.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.authority import Actor
from domain.vocabulary import GroupKind

OFFICE_WORD = "office"
LEADERS_WORD = "leaders"


@dataclass(frozen=True, slots=True)
class Target:
    """What a group is (to be) bound to: the office, the leaders, or one unit."""

    kind: GroupKind
    unit_id: int | None = None


def may_bind(actor: Actor, target: Target) -> bool:
    """The office binds anything; a unit's head binds their own unit's group."""
    if actor.is_office:
        return True
    return target.kind is GroupKind.UNIT and target.unit_id in actor.head_of


def targets_for(actor: Actor, unit_ids: list[int]) -> list[Target]:
    """What ``actor`` may bind, of the office, the leaders and the units ``unit_ids``."""
    found = [Target(GroupKind.OFFICE), Target(GroupKind.LEADERS)]
    found += [Target(GroupKind.UNIT, unit_id) for unit_id in unit_ids]
    return [target for target in found if may_bind(actor, target)]
