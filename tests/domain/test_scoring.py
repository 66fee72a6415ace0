"""The assessment's scoring scheme: refused at start-up when wrong, and how a score is reached."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.policy import Policy, load_policy
from domain.scoring import (
    DEFAULT_SCHEME,
    EventKind,
    Occurrence,
    Scheme,
    Weight,
    ranks,
    score,
)
from tests.domain.test_policy import error_for, write


def test_the_default_scheme_is_the_policys() -> None:
    scheme = Policy().assessment.scheme
    assert scheme == DEFAULT_SCHEME and scheme.base == 100
    assert scheme.weights[EventKind.DAY_LATE] == Weight(points=-0.5, cap=20)
    assert scheme.weights[EventKind.TALK].points == -2
    assert scheme.weights[EventKind.PRAISE] == Weight(points=2, cap=10)
    # The kind point 4 feeds (不满意 ratings) has its place in the scheme.
    assert EventKind.SATISFACTION in scheme.weights


def test_a_scheme_in_the_file_replaces_the_default_whole(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "assessment:\n  scheme:\n    base: 90\n    weights:\n"
            "      day_late: -1\n      praise: {points: 3, cap: 6}\n",
        )
    )
    scheme = policy.assessment.scheme
    assert scheme.base == 90 and scheme.signs == "fixed" and not scheme.negative_total
    assert scheme.weights == {
        EventKind.DAY_LATE: Weight(points=-1),
        EventKind.PRAISE: Weight(points=3, cap=6),
    }


def test_a_scheme_without_a_base_is_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, "assessment:\n  scheme:\n    weights: {talk: -2}\n")
    assert "assessment.scheme.base: Field required" in message


def test_an_unknown_event_kind_is_refused_by_name(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, "assessment:\n  scheme:\n    base: 100\n    weights: {talks: -2}\n"
    )
    assert "assessment.scheme.weights: unknown event kind 'talks'" in message
    assert message.endswith("satisfaction, talk")  # the kinds there are


def test_a_weight_of_the_wrong_sign_is_refused_where_signs_are_fixed(tmp_path: Path) -> None:
    message = error_for(tmp_path, "assessment:\n  scheme:\n    base: 100\n    weights: {talk: 2}\n")
    assert "assessment.scheme: weights.talk: 'talk' takes points off" in message
    assert "e.g. -2" in message
    message = error_for(
        tmp_path,
        "assessment:\n  scheme:\n    base: 100\n    weights: {praise: {points: -2, cap: 4}}\n",
    )
    assert "assessment.scheme: weights.praise: 'praise' adds points" in message
    # signs: free lets the deployment weigh a kind either way.
    free = load_policy(
        write(
            tmp_path,
            "assessment:\n  scheme:\n    base: 100\n    signs: free\n"
            "    weights: {talk: 2, praise: -1}\n",
        )
    )
    assert free.assessment.scheme.weights[EventKind.TALK].points == 2


def test_a_cap_is_more_than_nothing_and_a_weight_a_number(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        "assessment:\n  scheme:\n    base: 100\n    weights: {talk: {points: -2, cap: 0}}\n",
    )
    assert "assessment.scheme.weights.talk.cap" in message
    message = error_for(
        tmp_path, "assessment:\n  scheme:\n    base: 100\n    weights: {talk: {pts: -2}}\n"
    )
    assert "assessment.scheme.weights.talk" in message
    message = error_for(tmp_path, "assessment:\n  scheme:\n    base: lots\n")
    assert "assessment.scheme.base" in message


# --- scoring -------------------------------------------------------------------------------------


def _on(day: int, kind: EventKind, code: str | None = "A", days: int = 1) -> Occurrence:
    return Occurrence(kind, date(2026, 12, day), code, code, days)


def test_each_occurrence_is_a_line_and_caps_stop_a_kind() -> None:
    scheme = Scheme(
        base=100,
        weights={
            EventKind.DAY_LATE: Weight(points=-0.5, cap=3),
            EventKind.TALK: Weight(points=-2),
            EventKind.PRAISE: Weight(points=2),
            EventKind.ESCALATION: Weight(points=0),
        },
    )
    result = score(
        scheme,
        [
            _on(9, EventKind.DAY_LATE, "B", days=4),  # -2
            _on(3, EventKind.DAY_LATE, "A", days=3),  # -1.5, then the cap leaves 1.5 for B
            _on(5, EventKind.TALK),  # -2
            _on(6, EventKind.ESCALATION),  # weighs nothing: not a line
            _on(7, EventKind.RETURN),  # not in the scheme: not a line
            _on(8, EventKind.PRAISE, None),  # +2
        ],
    )
    assert [(line.occurrence.kind, line.points, line.capped) for line in result.lines] == [
        (EventKind.DAY_LATE, -1.5, False),
        (EventKind.TALK, -2.0, False),
        (EventKind.PRAISE, 2.0, False),
        (EventKind.DAY_LATE, -1.5, True),
    ]
    assert result.total == 97.0 and result.deducted == -5.0 and result.added == 2.0
    assert result.lines[0].as_json() == {
        "kind": "day_late",
        "item": "A",
        "code": "A",
        "on": "2026-12-03",
        "days_late": 3,
        "points": -1.5,
        "capped": False,
    }


def test_a_total_stops_at_zero_unless_the_scheme_allows_less() -> None:
    heavy = [_on(day, EventKind.REFERRAL) for day in range(1, 4)]
    weights = {EventKind.REFERRAL: Weight(points=-5)}
    floored = score(Scheme(base=10, weights=weights), heavy)
    assert floored.total == 0.0 and floored.floored and len(floored.lines) == 3
    below = score(Scheme(base=10, negative_total=True, weights=weights), heavy)
    assert below.total == -5.0 and not below.floored


def test_equal_scores_share_a_rank() -> None:
    assert ranks({"a": 95.0, "b": 100.0, "c": 95.0, "d": 90.5}) == {
        "b": 1,
        "a": 2,
        "c": 2,
        "d": 4,
    }


def test_a_weight_may_be_written_short() -> None:
    assert Weight.model_validate(-2) == Weight(points=-2)
    assert Weight(points=-2).model_dump() == -2
    with pytest.raises(ValueError):
        Weight.model_validate(True)
