"""All configuration, read once from the environment (and an optional `.env`).

A wrong or missing setting stops start-up with one readable line per problem and exit
code 2: a config mistake must never look like a crash. Every problem is listed in one
pass (bad values and missing required ones together), in our own words, with the bad
value echoed unless it is a secret.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Final, Literal, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mava_bridge.domain.cron import cron_trigger
from mava_bridge.domain.tickets import Priority
from mava_bridge.domain.webhook_key import load_signing_key
from mava_bridge.settings_problems import (
    FIXES,
    ID_SHAPES,
    SECRETS,
    WANTED_PREFIX,
    check_channel,
    check_emoji,
    check_public_base,
    check_slack_ids,
    check_token,
    describe_errors,
    dotenv_problems,
)

CommaList = Annotated[tuple[str, ...], NoDecode]

# What each command needs set, beyond valid values. SLACK_SIGNING_SECRET is only
# needed in HTTP mode (Socket Mode requests come over the app's own socket).
FOR_RUN: Final = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MAVA_API_TOKEN")
FOR_MAVA: Final = ("MAVA_API_TOKEN",)

CHANNELS: Final = ("audit_channel", "digest_channel", "alert_channel")
REACTIONS: Final = ("reaction_assign", "reaction_resolve", "reaction_create")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # `NAME=` (in .env or the environment) means unset, as people expect.
        env_ignore_empty=True,
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
    # A replica's own share while the shared budget (PostgreSQL) cannot be reached.
    mava_rate_fallback_limit: int | None = Field(default=None, ge=1)

    # Mava's webhooks (webhooks/): the dashboard's signing key (mava_wh_...; unset: no
    # POST /mava/webhook) and the payload's AES mode, which Mava's docs leave cut off.
    mava_webhook_signing_key: SecretStr | None = None
    mava_webhook_cipher: Literal["aes-256-cbc", "aes-256-gcm", "aes-256-ctr"] = "aes-256-cbc"

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
    # How many one-year windows back a digest searches at most (delivery.queries).
    digest_max_years: int = Field(default=5, ge=1)
    alert_channel: str | None = None
    alert_min_priority: Literal["low", "medium", "high"] = "high"
    alert_unassigned: bool = False
    poll_interval_seconds: float = Field(default=60.0, ge=1)
    # Followed tickets' threads (delivery.threads): the LONGEST wait between reads of Mava
    # for them (sooner as a third of its budget allows, 2 s at least: delivery.pacing),
    # and how long a resolved ticket is still followed in case it reopens.
    thread_sync_seconds: float = Field(default=15.0, ge=1)
    thread_resolved_grace_hours: float = Field(default=24.0, gt=0)
    # The desk (App Home, assignment DMs, reminders): the LONGEST the shared open-tickets
    # board is kept before a read (sooner as a sixth of the budget allows, 2 s at least).
    desk_refresh_seconds: float = Field(default=60.0, ge=1)
    # Reactions that act (slack/listeners/actions.py): emoji names, colons optional.
    reaction_assign: str = "eyes"
    reaction_resolve: str = "white_check_mark"
    reaction_create: str = "ticket"
    # Tickets created from Slack (POST /api/ticket): the origin Mava records (unset: Mava's
    # default, web; Mava has no "slack" origin) and Mava's `silent` flag, whose meaning
    # its docs leave cut off (unset: not sent, so Mava's default applies).
    create_ticket_source_type: (
        Literal["web", "discord", "telegram", "telegram-group", "email"] | None
    ) = None
    create_ticket_silent: bool | None = None
    # Files shared in followed threads: where Mava reaches this bot (its files door,
    # `GET /files/<token>`); unset, files are named in notes and not attached.
    public_url: AnyHttpUrl | None = None
    file_max_mb: float = Field(default=20.0, gt=0, le=1024)
    # PostgreSQL: how often replicas check which one runs the poller and digests.
    leader_check_seconds: float = Field(default=5.0, ge=0.5)
    # Socket Mode: /healthz answers 503 once no connection has been up for this long.
    socket_mode_unhealthy_seconds: float = Field(default=30.0, gt=0)

    @field_validator(*WANTED_PREFIX, "slack_signing_secret", "mava_api_token", mode="before")
    @classmethod
    def _token_shape(cls, value: Any, info: ValidationInfo) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            return value
        return check_token(raw, str(info.field_name))

    @field_validator("mava_webhook_signing_key")
    @classmethod
    def _webhook_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                load_signing_key(value.get_secret_value().strip())
            except ValueError as exc:
                raise PydanticCustomError("webhook_key", str(exc)) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_base(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        return check_public_base(value) if value is not None else None

    @field_validator(*CHANNELS, mode="before")
    @classmethod
    def _channel_id(cls, value: Any) -> Any:
        return check_channel(value) if isinstance(value, str) else value

    @field_validator("allowed_slack_user_ids", "allowed_slack_usergroup_ids", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(*ID_SHAPES)
    @classmethod
    def _slack_ids(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return check_slack_ids(value, str(info.field_name))

    @field_validator(*REACTIONS)
    @classmethod
    def _emoji(cls, value: str, info: ValidationInfo) -> str:
        # Fields are checked in order: each reaction is compared with those before it.
        return check_emoji(value, [info.data.get(f) for f in REACTIONS if f in info.data])

    @field_validator("alert_min_priority", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("does not start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known time zone") from exc
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        try:  # crontab's rules (0/7 = Sunday), as the scheduler will run it
            cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"is not a valid crontab ({exc})") from exc
        return value

    @field_validator("mava_ticket_url_template")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{ticket_id}" not in value:
            raise ValueError("does not contain {ticket_id}")
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
    def mava_rate_fallback(self) -> int:
        """MAVA_RATE_FALLBACK_LIMIT, default a third of MAVA_RATE_LIMIT; never above it."""
        share = self.mava_rate_fallback_limit or max(1, self.mava_rate_limit // 3)
        return min(share, self.mava_rate_limit)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def file_url(self, token: str) -> str | None:
        """Where Mava fetches a shared file, or None without PUBLIC_URL."""
        return f"{str(self.public_url).rstrip('/')}/files/{token}" if self.public_url else None

    def ticket_url(self, ticket_id: str) -> str:
        dashboard = str(self.mava_dashboard_url).rstrip("/")
        return self.mava_ticket_url_template.format(dashboard=dashboard, ticket_id=ticket_id)

    def secret_values(self) -> list[str]:
        """Every secret value set, the database password too: what the logs redact
        (`configure_logging(secrets=...)`)."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.mava_api_token,
                self.mava_webhook_signing_key,
            )
            if secret is not None
        ]
        password = database_password(self.database_url)
        if password:
            values.append(password)
        return values

    def missing(self, required: Collection[str], *, invalid: Collection[str] = ()) -> list[str]:
        """Required settings (env names) that are not set. `invalid` fields were set, just
        wrongly (already reported); an invalid SLACK_APP_TOKEN still means Socket Mode."""
        socket_mode = self.socket_mode or "slack_app_token" in invalid
        lines = []
        for name in required:
            field = name.lower()
            if field in invalid or (name == "SLACK_SIGNING_SECRET" and socket_mode):
                continue
            value = getattr(self, field)
            if value is None or not value.get_secret_value():
                lines.append(f"{name}: is not set; {FIXES[name]}.")
        return lines

    def missing_for_run(self) -> list[str]:
        """Problems that only matter when talking to real Slack and Mava."""
        return self.missing(FOR_RUN)


def database_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


def _field_order(line: str) -> int:
    """Sort problems as the settings are listed (the README's table order)."""
    fields = list(Settings.model_fields)
    name = re.match(r"[A-Z_]*", line)
    field = name.group(0).lower() if name else ""
    return fields.index(field) if field in fields else len(fields)


def read_settings(
    required: Collection[str] = (), **overrides: Any
) -> tuple[Settings | None, list[str]]:
    """Read the settings and list every problem at once: bad values and required
    settings (env names) that are missing. Settings is None when a value is bad."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = describe_errors(exc)
        invalid = {str(item["loc"][0]) for item in exc.errors() if item["loc"]}
        # Read again with the bad values left at their defaults, to find what is missing.
        defaults = {name: Settings.model_fields[name].get_default() for name in invalid}
        try:
            partial = Settings(**{**overrides, **defaults})
        except ValidationError:
            return None, problems
        problems += partial.missing(required, invalid=invalid) + _dotenv(overrides)
        return None, sorted(problems, key=_field_order)
    return settings, settings.missing(required) + _dotenv(overrides)


def _dotenv(overrides: dict[str, Any]) -> list[str]:
    """The .env file's lines that docker --env-file would read differently."""
    env_file = overrides.get("_env_file", Settings.model_config.get("env_file"))
    if not isinstance(env_file, str | os.PathLike):
        return []  # None (no .env read) or several files: only the usual one is checked
    return dotenv_problems(Path(env_file))


def load_settings(required: Collection[str] = (), **overrides: Any) -> Settings:
    """Read settings, or print every problem and exit with code 2."""
    settings, problems = read_settings(required, **overrides)
    if settings is None or problems:
        fail(problems)
    return settings


def drop_secrets_from_environment() -> None:
    """Once read into Settings, the secrets leave os.environ, so that no library picks up
    a copy of its own (Bolt's AsyncApp falls back to SLACK_BOT_TOKEN when given no token,
    then warns "As you gave `client` as well, `token` will be unused") and no child
    process inherits them."""
    names = {field.upper() for field in SECRETS}
    for key in [key for key in os.environ if key.upper() in names]:
        del os.environ[key]


def fail(problems: list[str]) -> NoReturn:
    print("mava-bot cannot start: the configuration has problems:", file=sys.stderr)
    for line in problems:
        print(f"  - {line}", file=sys.stderr)
    raise SystemExit(2)
