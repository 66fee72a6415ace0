"""The ``duban`` command line, run as a user runs it: a real process, its output, its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES

DUBAN = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[2]


def duban(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return subprocess.run(
        [*DUBAN, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=300
    )


def test_help_on_every_command(tmp_path: Path) -> None:
    for args in (
        ["--help"],
        ["db", "upgrade", "--help"],
        ["roster", "import", "--help"],
        ["invite", "--help"],
        ["run", "--help"],
        ["demo", "--help"],
    ):
        result = duban(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "usage: duban" in result.stdout


def test_run_without_token_is_one_clear_line(tmp_path: Path) -> None:
    result = duban("run", cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "duban: DUBAN_BOT_TOKEN is not set: put the bot's token in the environment or .env"
    ]


def test_run_on_unmigrated_database_is_one_clear_line(tmp_path: Path) -> None:
    env = {"DUBAN_BOT_TOKEN": "1:x"}
    missing = duban("run", cwd=tmp_path, env=env)
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines() == [
        "duban: the database duban.db does not exist: run `duban db upgrade` first"
    ]
    (tmp_path / "duban.db").write_bytes(b"")
    empty = duban("run", cwd=tmp_path, env=env)
    assert empty.returncode != 0
    assert empty.stderr.strip().splitlines() == [
        "duban: the database is not migrated to the current schema: run `duban db upgrade`"
    ]


def test_token_read_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DUBAN_BOT_TOKEN=1:x\n", encoding="utf-8")
    result = duban("run", cwd=tmp_path)
    assert "DUBAN_BOT_TOKEN is not set" not in result.stderr
    assert "db upgrade" in result.stderr


def test_upgrade_import_and_invite(tmp_path: Path) -> None:
    env = {"DUBAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"}
    upgraded = duban("db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded" in upgraded.stdout
    assert "already" in duban("db", "upgrade", cwd=tmp_path, env=env).stdout

    imported = duban("roster", "import", str(EXAMPLES / "roster.yaml"), cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    assert "31 added" in imported.stdout
    again = duban("roster", "import", str(EXAMPLES / "roster.xlsx"), cwd=tmp_path, env=env)
    assert "0 added, 0 updated" in again.stdout

    invites = duban("invite", "--json", "--bot-username", "qinghe_duban_bot", cwd=tmp_path, env=env)
    assert invites.returncode == 0, invites.stderr
    listed = json.loads(invites.stdout)
    assert len(listed) == 31
    first = listed[0]
    assert set(first) == {"person", "name", "token", "link"}
    assert first["link"] == f"https://t.me/qinghe_duban_bot?start={first['token']}"


def test_bad_roster_names_row_and_imports_nothing(tmp_path: Path) -> None:
    env = {"DUBAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"}
    duban("db", "upgrade", cwd=tmp_path, env=env)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "people:\n  - {key: a, name: 甲, roles: [supervisor]}\n  - {key: a, name: 乙}\n",
        encoding="utf-8",
    )
    result = duban("roster", "import", str(bad), cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert "bad.yaml: line 3" in result.stderr
    listed = duban("invite", "--json", cwd=tmp_path, env=env)
    assert json.loads(listed.stdout) == []


def test_demo_everyone_joins(tmp_path: Path) -> None:
    result = duban("demo", "--no-serve", "--workdir", str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    names = [
        line.split("name: ")[1].split("}")[0].split(",")[0]
        for line in (EXAMPLES / "roster.yaml").read_text(encoding="utf-8").splitlines()
        if "{key:" in line
        and "name:" in line
        and all(word not in line for word in ("contacts", "leader", "members"))
    ]
    assert len(names) == 31
    for name in names:
        assert f"bot → {name}: {name}，欢迎加入督办系统" in out, name
    assert "已被使用" in out


def test_backup_command(tmp_path: Path) -> None:
    env = {"DUBAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"}
    duban("db", "upgrade", cwd=tmp_path, env=env)
    duban("roster", "import", str(EXAMPLES / "roster.yaml"), cwd=tmp_path, env=env)
    result = duban("backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    again = duban("backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=env)
    assert again.returncode != 0 and "already exists" in again.stderr
    pg = duban(
        "backup",
        "x.dump",
        cwd=tmp_path,
        env={"DUBAN_DATABASE_URL": "postgresql+asyncpg://u:pw@h/db"},
    )
    assert pg.returncode == 2 and "pg_dump" in pg.stderr and "pw" not in pg.stderr
