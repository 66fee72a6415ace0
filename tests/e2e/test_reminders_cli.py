"""``duban sweep`` from the command line, and a bad policy refused at start-up in one line."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_cli import duban


def test_a_bad_policy_is_refused_with_key_and_reason(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "ladder:\n  levels:\n"
        "    - {level: 1, after_days: 3, recipients: [office]}\n"
        "    - {level: 2, after_days: 1, recipients: [office]}\n",
        encoding="utf-8",
    )
    env = {"DUBAN_BOT_TOKEN": "1:x", "DUBAN_POLICY_FILE": str(policy)}
    for command in (["run"], ["sweep"]):
        result = duban(*command, cwd=tmp_path, env=env)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"duban: Policy file {policy}: ladder.levels: [1].after_days (1) must be greater "
            "than [0].after_days (3)"
        ]


def test_sweep_queues_and_says_what_without_a_token(tmp_path: Path) -> None:
    assert duban("db", "upgrade", cwd=tmp_path).returncode == 0
    assert (
        duban(
            "roster",
            "import",
            str(Path(__file__).parents[2] / "examples" / "roster.yaml"),
            cwd=tmp_path,
        ).returncode
        == 0
    )
    result = duban("sweep", "--now", "2026-12-01T09:00", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "sweep at 2026-12-01T09:00+08:00: 0 items checked; queued 0 reminders, 0 escalations, "
        "0 digests",
        "not delivered: DUBAN_BOT_TOKEN is not set",
    ]
    bad = duban("sweep", "--now", "yesterday", cwd=tmp_path)
    assert bad.returncode == 2
    assert "not an ISO date" in bad.stderr
    assert "usage: duban sweep" in duban("sweep", "--help", cwd=tmp_path).stdout
