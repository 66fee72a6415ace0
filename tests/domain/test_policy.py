"""The policy: defaults from DESIGN.md, the example file, partial overrides, one-line errors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.errors import DubanError
from domain.policy import (
    Classes,
    LadderAction,
    Policy,
    PolicyError,
    Recipient,
    ReportEvery,
    ResolveRuleKind,
    load_policy,
)
from domain.vocabulary import TimeClass

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path / "policy.yaml") in message
    return message


# --- defaults ------------------------------------------------------------------------------------


def test_every_time_class_has_limits() -> None:
    assert set(Classes.model_fields) == {tc.value for tc in TimeClass}
    policy = Policy()
    for tc in TimeClass:
        assert policy.classes[tc] is getattr(policy.classes, tc.value)


def test_default_time_limits_follow_design_table() -> None:
    classes = Policy().classes
    for tc in TimeClass:
        assert classes[tc].acknowledge_days == 1
        assert classes[tc].working_days is False
    for tc in (TimeClass.GENERAL, TimeClass.MAJOR, TimeClass.INSTRUCTION):
        assert (classes[tc].plan_days, classes[tc].first_feedback_days) == (1, 7)
    for tc in (TimeClass.ROUTINE, TimeClass.PROPOSAL, TimeClass.MEETING, TimeClass.ANNUAL):
        assert (classes[tc].plan_days, classes[tc].first_feedback_days) == (None, None)
    resolve = {tc: (classes[tc].resolve.rule, classes[tc].resolve.amount) for tc in TimeClass}
    assert resolve == {
        TimeClass.GENERAL: (ResolveRuleKind.DAYS, 10),
        TimeClass.MAJOR: (ResolveRuleKind.MONTHS, 1),
        TimeClass.ROUTINE: (ResolveRuleKind.OPEN_ENDED, None),
        TimeClass.INSTRUCTION: (ResolveRuleKind.DAYS, 30),
        TimeClass.PROPOSAL: (ResolveRuleKind.MONTHS, 3),
        TimeClass.MEETING: (ResolveRuleKind.DAYS, 30),
        TimeClass.ANNUAL: (ResolveRuleKind.YEAR_END, None),
        TimeClass.CUSTOM: (ResolveRuleKind.GIVEN_DATE, None),
    }
    routine, annual, proposal = (
        classes.routine.reports,
        classes.annual.reports,
        classes.proposal.reports,
    )
    assert routine is not None and routine.every is ReportEvery.MONTH
    assert annual is not None and (annual.every, annual.months, annual.day) == (
        ReportEvery.QUARTER,
        (1, 4, 7, 10),
        15,
    )
    assert proposal is not None and (proposal.every, proposal.days) == (
        ReportEvery.AFTER_RESOLVE,
        20,
    )


def test_default_ladder_follows_county_rules() -> None:
    levels = Policy().ladder.levels
    assert [(lv.level, lv.after_days) for lv in levels] == [(1, 0), (2, 3), (3, 7), (4, 15)]
    assert levels[0].recipients == (Recipient.DEPUTY_LEADER, Recipient.OFFICE)
    assert levels[0].actions == (LadderAction.URGE, LadderAction.INSTRUCT, LadderAction.TALK)
    assert levels[1].urging_notice and not levels[0].urging_notice and not levels[2].urging_notice
    assert Recipient.UNIT_HEAD in levels[1].recipients
    assert levels[2].inspection_item and not levels[1].inspection_item
    assert levels[2].actions == (LadderAction.TALK, LadderAction.CRITICISM)
    assert all(lv.quiet_hours for lv in levels)
    # 问责: after a talk only, to the principal leader and the office.
    assert [lv.after_talk for lv in levels] == [False, False, False, True]
    assert levels[3].recipients == (Recipient.PRINCIPAL, Recipient.OFFICE)
    assert levels[3].actions == (LadderAction.REFERRAL,)


def test_default_reminders_quiet_hours_and_schedule() -> None:
    policy = Policy()
    assert [(s.after_hours, s.recipients) for s in policy.reminders.receipt_chase] == [
        (24, (Recipient.UNIT_CONTACT,)),
        (48, (Recipient.UNIT_HEAD,)),
    ]
    assert policy.reminders.before_due_days == (3, 1, 0)
    assert policy.reminders.time_of_day == time(9, 0)
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == (time(22, 0), time(8, 0))
    assert policy.quiet_hours.escalations
    assert policy.lights.warning_window == timedelta(days=3)
    assert policy.digest.time == time(8, 30)
    assert (policy.bulletin.weekday_number, policy.bulletin.time) == (0, time(9, 0))
    assert not policy.approval.required
    assert (policy.load.open_items_per_unit, policy.load.title_similarity) == (15, 0.8)
    assert policy.delivery.max_attempts == 8


def test_load_none_gives_defaults() -> None:
    assert load_policy(None) == Policy()


# --- the example file ----------------------------------------------------------------------------


def test_example_file_is_the_default_policy() -> None:
    assert load_policy(EXAMPLE) == Policy()


def _missing_keys(defaults: Mapping[str, Any], written: Mapping[str, Any], path: str) -> list[str]:
    missing = []
    for key, value in defaults.items():
        where = f"{path}.{key}" if path else key
        if key not in written:
            # a one-rule mapping (resolve, reports) names only the fields its rule uses
            if not (value is None and path.endswith(("resolve", "reports"))):
                missing.append(where)
        elif isinstance(value, Mapping) and isinstance(written[key], Mapping):
            missing += _missing_keys(value, written[key], where)
    return missing


def test_example_file_writes_out_every_key() -> None:
    written = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert _missing_keys(Policy().model_dump(mode="json"), written, "") == []
    # and on its own, without the defaults filling gaps:
    assert Policy.model_validate(written) == Policy()


# --- partial files -------------------------------------------------------------------------------


def test_partial_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "classes:\n  general:\n    first_feedback_days: 5\nlights: {warning_window_days: 2}\n",
        )
    )
    defaults = Policy()
    assert policy.classes.general.first_feedback_days == 5
    assert policy.classes.general.plan_days == 1
    assert policy.classes.general.resolve == defaults.classes.general.resolve
    assert policy.classes.major == defaults.classes.major
    assert policy.lights.warning_window_days == 2
    assert policy.ladder == defaults.ladder


def test_resolve_rule_replaces_the_default_whole(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "classes:\n  general:\n    resolve: {rule: year_end}\n"))
    assert policy.classes.general.resolve.rule is ResolveRuleKind.YEAR_END
    assert policy.classes.general.resolve.amount is None


def test_lists_replace_the_default_whole(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "reminders:\n  before_due_days: [2]\n"))
    assert policy.reminders.before_due_days == (2,)


def test_unquoted_times_are_read_as_times(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "quiet_hours: {start: 21:30, end: 07:00}\n"))
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == (time(21, 30), time(7, 0))


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, "# nothing changed\n")) == Policy()


def test_working_days_and_approval_can_be_set(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "classes: {general: {working_days: true}}\napproval: {steps: [[supervisor], [zhao]]}\n",
        )
    )
    assert policy.classes.general.working_days
    assert policy.approval.required
    assert policy.approval.may_approve(0, "qian", ["supervisor"])
    assert not policy.approval.may_approve(0, "zhao", ["principal"])
    assert policy.approval.may_approve(1, "zhao", [])
    assert not policy.approval.may_approve(2, "zhao", [])


# --- errors: file, key path and reason on one line ----------------------------------------------

LADDER_HEAD = "ladder:\n  levels:\n    - {level: 1, after_days: 0, recipients: [office]}\n"


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        (
            LADDER_HEAD + "    - {level: 2, after_days: -1, recipients: [office]}\n",
            "ladder.levels[1].after_days",
            "greater than or equal to 0",
        ),
        (
            LADDER_HEAD + "    - {level: 2, after_days: 0, recipients: [office]}\n",
            "ladder.levels",
            "[1].after_days (0) must be greater than [0].after_days (0)",
        ),
        (
            LADDER_HEAD + "    - {level: 1, after_days: 3, recipients: [office]}\n",
            "ladder.levels",
            "[1].level (1) must be greater than [0].level (1)",
        ),
        (
            LADDER_HEAD + "    - {level: 2, after_days: 3, recipients: []}\n",
            "ladder.levels[1].recipients",
            "at least 1 item",
        ),
        (
            LADDER_HEAD + "    - {level: 2, after_days: 3, recipients: [mayor]}\n",
            "ladder.levels[1].recipients[0]",
            "'deputy_leader'",
        ),
        ("quiet_hours: {begin: '23:00'}\n", "quiet_hours.begin", "Extra inputs are not permitted"),
        ("quiet_hours: {start: '25:00'}\n", "quiet_hours.start", "HH:MM"),
        ("quiet_hours: {start: '08:00'}\n", "quiet_hours", "start and end are equal"),
        ("classes: {urgent: {acknowledge_days: 1}}\n", "classes.urgent", "Extra inputs"),
        (
            "classes: {general: {resolve: {rule: days}}}\n",
            "classes.general.resolve",
            "rule 'days' needs an amount",
        ),
        (
            "classes: {annual: {reports: {every: quarter, day: 15}}}\n",
            "classes.annual.reports",
            "need 'months'",
        ),
        ("codes: {item: '督〔{year}〕号'}\n", "codes.item", "{year} and {seq}"),
        ("codes: {item: '督{year}{seq}{unit}'}\n", "codes.item", "{year} and {seq}"),
        ("codes: {ref: '{year}/{seq}'}\n", "codes.ref", "ASCII"),
        ("codes: {ref: '督{year}-{seq}'}\n", "codes.ref", "ASCII"),
        ("codes: {ref: '{year}-{seq:q}'}\n", "codes.ref", "bad template"),
        ("reminders: {before_due_days: [3, 3]}\n", "reminders.before_due_days", "only once"),
        ("load: {title_similarity: 1.5}\n", "load.title_similarity", "less than or equal to 1"),
        ("bulletin: {weekday: someday}\n", "bulletin.weekday", "'monday'"),
        ("approval: {steps: [[]]}\n", "approval.steps[0]", "at least 1 item"),
        ("- just\n- a list\n", "(top level)", "expected a mapping"),
        ("ladder: [unclosed\n", "line 2, column 1", "invalid YAML"),
    ],
)
def test_bad_file_names_file_key_path_and_reason(
    tmp_path: Path, text: str, path: str, reason: str
) -> None:
    message = error_for(tmp_path, text)
    assert f": {path}: " in message
    assert reason in message


def test_several_errors_are_counted_on_the_same_line(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, "lights: {warning_window_days: -1}\nload: {open_items_per_unit: 0}\n"
    )
    assert "(and 1 more)" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in str(caught.value)
    assert isinstance(caught.value, DubanError)


# --- small rules on the policy -------------------------------------------------------------------


def test_code_templates() -> None:
    codes = Policy().codes
    assert codes.item_code(2026, 17) == "督〔2026〕17号"
    assert codes.item_ref(2026, 17) == "2026-17"
    assert codes.urging_notice_code(2026, 3) == "催〔2026〕3号"


def test_code_template_may_pad_the_number(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "codes: {item: '督〔{year}〕{seq:03d}号'}\n"))
    assert policy.codes.item_code(2026, 7) == "督〔2026〕007号"


def test_retry_delay_doubles_and_is_capped() -> None:
    delivery = Policy().delivery
    assert [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert delivery.retry_delay(40) == timedelta(seconds=3600)


def test_policy_is_frozen() -> None:
    policy = Policy()
    with pytest.raises(ValueError, match="frozen"):
        policy.lights = policy.lights  # type: ignore[misc]
