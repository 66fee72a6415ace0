"""What every use case needs: the database, the clock, the zone and the policy."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.clock import Clock
from domain.policy import Policy, load_policy
from services.documents.templates import Templates, shipped_templates
from services.sealing import Sealer
from storage.db import Database
from texts import Text, Translator


@dataclass(frozen=True)
class Runtime:
    db: Database
    clock: Clock
    tz: ZoneInfo
    media_dir: Path
    default_locale: str = "zh_CN"
    policy: Policy = field(default_factory=lambda: load_policy(None))
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    translator: Translator = field(default_factory=Translator)
    templates: Templates = field(default_factory=shipped_templates, compare=False)
    soffice: str | None = None  # LibreOffice, for documents' PDFs; None: .docx alone
    outbox_ready: asyncio.Event = field(default_factory=asyncio.Event, compare=False)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    """The deployment secret keying complaint drafts and limits (never stored in the database);
    instances sharing a database must share it. A fresh random one lasts one process."""

    @cached_property
    def sealer(self) -> Sealer:
        return Sealer(self.secret)

    def wake_outbox(self) -> None:
        """Tell the delivery worker that new notifications are waiting (it also polls)."""
        self.outbox_ready.set()

    def text(self, locale: str | None) -> Text:
        """Texts in a person's language, or the deployment's when they chose none."""
        return self.translator.text(locale or self.default_locale)
