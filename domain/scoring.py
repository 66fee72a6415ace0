"""The assessment's score (考核得分): a base, and points taken off or added per event.

The scheme is policy data (``assessment.scheme``, see ``examples/policy.yaml``): a ``base``
and, per event kind, a weight in points per occurrence (per day for ``day_late``), negative for
a deduction (扣分) and positive for an addition (加分), with an optional ``cap`` on how many
points one kind may move one unit's (or leader's) score in the period. With ``signs: fixed``
(the default) a deduction kind must weigh 0 or less and an addition 0 or more; ``signs: free``
lets a deployment weigh any kind either way. ``negative_total: false`` (the default) stops a
total at 0.

What each kind counts (the statistics of :mod:`domain.assessment` gather them as
:class:`Occurrence` values, each naming its item):

- ``day_late``: per day an item due in the period was closed after its due day, or, still
  open, is past it now (逾期一天扣0.5分); counted per unit's assignment, per leader's item.
- ``late_feedback``: a plan (研究部署) or first feedback (首次反馈) sent after its deadline, or
  not at all; ``late_report``: a periodic report (monthly, quarterly) late or missing.
- ``escalation``: a step of the ladder sent; ``return``: a completion sent back (退回重办);
  ``extension``: an extension (延期) approved; ``reopening``: a closed item reopened for
  rectification (整改) after a follow-up check.
- ``talk``: a talk (约谈) held; ``criticism``: a notice of criticism (通报批评) sent;
  ``referral``: a referral for accountability (问责建议).
- ``satisfaction``: a complainant's 不满意 rating of the answer to a complaint that became the
  unit's item. The statistics add one occurrence per rating once ratings are recorded.
- ``praise``: a notice of praise (通报表扬) sent; ``on_time``: an item closed by its due day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)


class EventKind(StrEnum):
    DAY_LATE = "day_late"
    LATE_FEEDBACK = "late_feedback"
    LATE_REPORT = "late_report"
    ESCALATION = "escalation"
    RETURN = "return"
    EXTENSION = "extension"
    REOPENING = "reopening"
    TALK = "talk"
    CRITICISM = "criticism"
    REFERRAL = "referral"
    SATISFACTION = "satisfaction"
    PRAISE = "praise"
    ON_TIME = "on_time"


ADDITIONS = frozenset({EventKind.PRAISE, EventKind.ON_TIME})
"""The kinds that add points under ``signs: fixed``; every other kind takes points off."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Weight(_Model):
    """Points per occurrence (per day for ``day_late``); ``cap``: at most this many points
    (as a magnitude) of this kind per unit or leader in the period; null: no cap."""

    points: float
    cap: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_number(cls, value: Any) -> Any:
        """``talk: -2`` is short for ``talk: {points: -2}``."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"points": value}
        return value

    @model_serializer(mode="wrap")
    def _written_short(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Written back the short way when there is no cap, as the example file writes it."""
        return self.points if self.cap is None else handler(self)


Kinds = dict[EventKind, Weight]


class Scheme(_Model):
    """A scoring scheme; a kind it does not name scores nothing."""

    base: float
    negative_total: bool = False
    signs: Literal["fixed", "free"] = "fixed"
    weights: Kinds = {}

    @field_validator("weights", mode="before")
    @classmethod
    def _known_kinds(cls, weights: Any) -> Any:
        """An unknown kind is refused by name, with the kinds there are."""
        if isinstance(weights, Mapping):
            known = {kind.value for kind in EventKind}
            for name in weights:
                if name not in known:
                    raise ValueError(
                        f"unknown event kind {name!r}; the kinds are: {', '.join(sorted(known))}"
                    )
        return weights

    @model_validator(mode="after")
    def _signs_fit(self) -> Self:
        if self.signs == "free":
            return self
        for kind, weight in self.weights.items():
            if kind in ADDITIONS and weight.points < 0:
                raise ValueError(
                    f"weights.{kind.value}: {kind.value!r} adds points, so its weight is 0 or "
                    f"more (got {weight.points:g}); set signs: free to allow it"
                )
            if kind not in ADDITIONS and weight.points > 0:
                raise ValueError(
                    f"weights.{kind.value}: {kind.value!r} takes points off, so its weight is "
                    f"0 or less, e.g. -{weight.points:g} (got {weight.points:g}); "
                    "set signs: free to allow it"
                )
        return self


def _w(points: float, cap: float | None = None) -> Weight:
    return Weight(points=points, cap=cap)


DEFAULT_SCHEME = Scheme(
    base=100,
    weights={
        EventKind.DAY_LATE: _w(-0.5, 20),
        EventKind.LATE_FEEDBACK: _w(-1),
        EventKind.LATE_REPORT: _w(-1),
        EventKind.ESCALATION: _w(0),
        EventKind.RETURN: _w(-1),
        EventKind.EXTENSION: _w(0),
        EventKind.REOPENING: _w(-1),
        EventKind.TALK: _w(-2),
        EventKind.CRITICISM: _w(-3),
        EventKind.REFERRAL: _w(-5),
        EventKind.SATISFACTION: _w(-1),
        EventKind.PRAISE: _w(2, 10),
        EventKind.ON_TIME: _w(0),
    },
)


class Assessment(_Model):
    scheme: Scheme = DEFAULT_SCHEME


# --- scoring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One counted event: its kind, its local day (for lateness: the deadline's day), the item
    it is about (None for a notice of praise) and, for ``day_late``, the days late."""

    kind: EventKind
    on: date
    item_ref: str | None = None
    item_code: str | None = None
    days: int = 1


@dataclass(frozen=True)
class ScoreLine:
    """One deduction or addition: the occurrence, and the points it moved (after the cap)."""

    occurrence: Occurrence
    points: float
    capped: bool = False  # the kind's cap took some or all of its points

    def as_json(self) -> dict[str, object]:
        o = self.occurrence
        return {
            "kind": o.kind.value,
            "item": o.item_ref,
            "code": o.item_code,
            "on": o.on.isoformat(),
            "days_late": o.days if o.kind is EventKind.DAY_LATE else None,
            "points": self.points,
            "capped": self.capped,
        }


@dataclass(frozen=True)
class Score:
    base: float
    total: float
    lines: tuple[ScoreLine, ...]
    floored: bool = False  # the lines took it below 0, and the scheme stops at 0

    @property
    def deducted(self) -> float:
        return round(sum(line.points for line in self.lines if line.points < 0), 2)

    @property
    def added(self) -> float:
        return round(sum(line.points for line in self.lines if line.points > 0), 2)


def _order(o: Occurrence) -> tuple[date, str, str]:
    return (o.on, o.item_code or "", o.kind.value)


def score(scheme: Scheme, occurrences: Iterable[Occurrence]) -> Score:
    """The score of one unit or leader: the base, plus each occurrence's points in the order
    they happened, each kind stopped at its cap (what the cap takes stays listed, as 0)."""
    used: dict[EventKind, float] = {}
    lines: list[ScoreLine] = []
    for occurrence in sorted(occurrences, key=_order):
        weight = scheme.weights.get(occurrence.kind)
        if weight is None or weight.points == 0:
            continue
        per = occurrence.days if occurrence.kind is EventKind.DAY_LATE else 1
        points = weight.points * per
        capped = False
        if weight.cap is not None:
            room = max(weight.cap - used.get(occurrence.kind, 0.0), 0.0)
            if abs(points) > room:
                points, capped = (room if points > 0 else -room), True
        used[occurrence.kind] = used.get(occurrence.kind, 0.0) + abs(points)
        lines.append(ScoreLine(occurrence, round(points, 2) + 0.0, capped))
    total = round(scheme.base + sum(line.points for line in lines), 2)
    floored = not scheme.negative_total and total < 0
    return Score(scheme.base, 0.0 if floored else total, tuple(lines), floored)


def ranks(totals: Mapping[str, float]) -> dict[str, int]:
    """Rank by score, highest first; equal scores share a rank (1, 1, 3)."""
    ordered = sorted(totals.values(), reverse=True)
    return {key: ordered.index(total) + 1 for key, total in totals.items()}
