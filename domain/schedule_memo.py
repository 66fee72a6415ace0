"""Remembering the occasions of a schedule: the ladder's and the before-due reminders' occasions
depend only on dates, the policy and the zone, and the sweep's morning burst asks for the same
few dates hundreds of times (every item due on one day has the same reminders and ladder).

A policy is a frozen model whose hash walks all of it (~16 µs), so it is keyed by identity; the
memo keeps a reference to it, so its id is not reused while remembered. The results are
immutable occasions, handed out as a new list each time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import wraps
from typing import ParamSpec, TypeVar

from domain.policy import Policy

P = ParamSpec("P")
T = TypeVar("T")

LIMIT = 4096  # remembered results per function; forgotten all at once when full


def by_policy(fn: Callable[P, list[T]]) -> Callable[P, list[T]]:
    """``fn``, a pure function of hashable arguments and a policy, computed once per arguments
    (positional ones; a call with keywords is computed every time)."""
    known: dict[tuple[Hashable, ...], tuple[tuple[Policy, ...], list[T]]] = {}

    @wraps(fn)
    def remembered(*args: P.args, **kwargs: P.kwargs) -> list[T]:
        if kwargs:
            return fn(*args, **kwargs)
        policies = tuple(a for a in args if isinstance(a, Policy))
        key = tuple(id(a) if isinstance(a, Policy) else a for a in args)
        hit = known.get(key)
        if hit is not None and all(a is b for a, b in zip(hit[0], policies, strict=True)):
            return list(hit[1])
        found = fn(*args, **kwargs)
        if len(known) >= LIMIT:
            known.clear()
        known[key] = (policies, list(found))
        return found

    return remembered
