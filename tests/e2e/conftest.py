"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.clock import FakeClock
from storage.db import Database
from testbench import FakeTelegram
from tests.conftest import Bench, bench_settings, running


@pytest.fixture
async def quick_groups(
    database_url: str, db: Database, clock: FakeClock, fake: FakeTelegram, tmp_path: Path
) -> AsyncIterator[Bench]:
    """The bench with groups paced at 600 a minute instead of Telegram's 20, for tests that
    send many messages into one group (the pacing itself is tested in test_delivery_pacing)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("delivery:\n  group_per_minute: 600\n", encoding="utf-8")
    settings = bench_settings(fake, database_url, tmp_path, policy_file=policy)
    async with running(settings, clock, fake) as started:
        yield started
