"""What every use case needs: the database, the clock, the zone and the policy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.clock import Clock
from storage.db import Database


@dataclass(frozen=True)
class Runtime:
    db: Database
    clock: Clock
    tz: ZoneInfo
    media_dir: Path
    default_locale: str = "zh_CN"
