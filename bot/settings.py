"""All configuration, read once from the environment (and an optional `.env`).

A wrong or missing setting stops start-up with one readable line per problem and exit
code 2: a config mistake must never look like a crash.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.mava.models import Priority

CommaList = Annotated[tuple[str, ...], NoDecode]

# How to fix each setting, shown next to what pydantic found wrong.
FIXES: dict[str, str] = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from your Slack app's "
    "OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy the Signing Secret from your Slack app's Basic Information page",
    "SLACK_APP_TOKEN": "create an app-level token (xapp-...) with connections:write, or leave "
    "it unset for HTTP mode",
    "SLACK_API_URL": "leave unset for real Slack (https://slack.com/api/)",
    "MAVA_API_TOKEN": "create an API key in the Mava dashboard (Admin > API keys)",
    "MAVA_API_URL": "leave unset for https://gateway.mava.app",
    "MAVA_DASHBOARD_URL": "leave unset for https://dashboard.mava.app",
    "MAVA_TICKET_URL_TEMPLATE": "use a URL containing {ticket_id} (and optionally {dashboard})",
    "DATABASE_URL": "e.g. sqlite+aiosqlite:///./mava-bot.db or postgresql+asyncpg://user@host/db",
    "PORT": "a port number between 1 and 65535 (0 picks a free one)",
    "LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR",
    "DIGEST_SCHEDULE": 'a 5-field crontab, e.g. "0 9 * * 1-5" for weekdays at 09:00',
    "DIGEST_TIMEZONE": "an IANA time zone name such as Europe/Berlin",
    "ALERT_MIN_PRIORITY": "low, medium or high",
    "MAVA_TIMEOUT_SECONDS": "seconds to wait for Mava, more than 0 and at most 120 (default 10)",
    "MAVA_RATE_LIMIT": "requests per window allowed by Mava, at least 1 (default 90)",
    "MAVA_RATE_WINDOW_SECONDS": "the rate-limit window in seconds, more than 0 (default 30)",
    "USER_CACHE_TTL_SECONDS": "seconds to cache Slack user lookups, 0 or more (default 300)",
    "IDEMPOTENCY_WINDOW_SECONDS": "seconds a repeated submission counts as a duplicate, at "
    "least 1 (default 120)",
    "POLL_INTERVAL_SECONDS": "seconds between alert polls, at least 1 (default 60)",
    "LEADER_CHECK_SECONDS": "seconds between leader checks on PostgreSQL, at least 0.5 (default 5)",
    "DIGEST_SKIP_EMPTY": "true or false",
    "ALERT_UNASSIGNED": "true or false",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api/")

    # Mava
    mava_api_token: SecretStr | None = None
    mava_api_url: AnyHttpUrl = AnyHttpUrl("https://gateway.mava.app")
    mava_dashboard_url: AnyHttpUrl = AnyHttpUrl("https://dashboard.mava.app")
    # Where a single ticket opens; seen in community code, not official docs, hence a setting.
    mava_ticket_url_template: str = "{dashboard}/dashboard/ticket?id={ticket_id}"
    mava_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    mava_rate_limit: int = Field(default=90, ge=1)
    mava_rate_window_seconds: float = Field(default=30.0, gt=0)

    # Service
    database_url: str = "sqlite+aiosqlite:///./mava-bot.db"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Who may act (empty both: every full member of the workspace)
    allowed_slack_user_ids: CommaList = ()
    allowed_slack_usergroup_ids: CommaList = ()
    user_cache_ttl_seconds: float = Field(default=300.0, ge=0)
    idempotency_window_seconds: float = Field(default=120.0, ge=1)
    audit_channel: str | None = None

    # Digest and alerts
    digest_channel: str | None = None
    digest_schedule: str = "0 9 * * 1-5"
    digest_timezone: str = "UTC"
    digest_skip_empty: bool = False
    alert_channel: str | None = None
    alert_min_priority: Literal["low", "medium", "high"] = "high"
    alert_unassigned: bool = False
    poll_interval_seconds: float = Field(default=60.0, ge=1)
    # PostgreSQL: how often replicas check which one runs the poller and digests.
    leader_check_seconds: float = Field(default=5.0, ge=0.5)

    @field_validator("allowed_slack_user_ids", "allowed_slack_usergroup_ids", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("alert_min_priority", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from bot.digest.schedules import digest_trigger  # crontab rules, 0/7 = Sunday

        try:
            digest_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"not a valid crontab: {exc}") from exc
        return value

    @field_validator("mava_ticket_url_template")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{ticket_id}" not in value:
            raise ValueError("must contain {ticket_id}")
        try:  # other placeholders or stray braces would fail on every ticket link
            value.format(dashboard="https://dashboard.mava.app", ticket_id="0" * 24)
        except (KeyError, IndexError, AttributeError, ValueError) as exc:
            raise ValueError("may only use the placeholders {dashboard} and {ticket_id}") from exc
        return value

    # --- derived values -----------------------------------------------------------

    @property
    def alert_priority(self) -> Priority:
        return Priority[self.alert_min_priority.upper()]

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def ticket_url(self, ticket_id: str) -> str:
        dashboard = str(self.mava_dashboard_url).rstrip("/")
        return self.mava_ticket_url_template.format(dashboard=dashboard, ticket_id=ticket_id)

    def missing_for_run(self) -> list[str]:
        """Problems that only matter when talking to real Slack and Mava."""
        required = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "MAVA_API_TOKEN": self.mava_api_token,
        }
        if not self.socket_mode:
            required["SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        return [
            f"{name}: is not set; {FIXES[name]}."
            for name, value in required.items()
            if value is None or not value.get_secret_value()
        ]


def describe_errors(error: ValidationError) -> list[str]:
    """One line per problem: the variable, what is wrong, and how to fix it.

    The offending value is not echoed, since it may be a secret.
    """
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        problem = str(item["msg"]).removeprefix("Value error, ")
        fix = FIXES.get(name)
        lines.append(f"{name}: {problem}" + (f"; {fix}." if fix else "."))
    return lines


def load_settings(**overrides: Any) -> Settings:
    """Read settings, or print what is wrong and exit with code 2."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        return fail(describe_errors(exc))


def fail(problems: list[str]) -> NoReturn:
    print("mava-bot cannot start: the configuration has problems:", file=sys.stderr)
    for line in problems:
        print(f"  - {line}", file=sys.stderr)
    raise SystemExit(2)
