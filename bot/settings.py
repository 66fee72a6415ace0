"""Deployment settings (DESIGN §7): environment variables prefixed DUBAN_, a .env file read too."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.sealing import derive

Locale = Literal["zh_CN", "en"]
SECRET_LABEL = b"duban deployment secret"
TOKEN_LABEL = b"duban deployment secret from the bot token"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DUBAN_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    """Keys complaint drafts and limits in the database (never stored there); every instance
    sharing a database needs the same. Unset: derived from the bot token."""
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///duban.db"
    timezone: str = "Asia/Shanghai"
    locale: Locale = "zh_CN"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    api_token: SecretStr | None = None
    policy_file: Path | None = None
    media_dir: Path = Path("./media")
    public_url: str | None = None
    """The console's address as people reach it (behind a proxy), for the links the bot
    sends; by default the origin of ``run --webhook URL``, else the bound address."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http://)")
        return value

    def complaint_secret(self) -> bytes | None:
        """The deployment secret: from DUBAN_SECRET_KEY, else derived from the bot token (a
        new token then makes drafts in progress unreadable), else None."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            material, label = self.secret_key.get_secret_value(), SECRET_LABEL
        elif self.bot_token is not None:
            material, label = self.bot_token.get_secret_value(), TOKEN_LABEL
        else:
            return None
        return derive(material.encode(), label)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def bot_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"
