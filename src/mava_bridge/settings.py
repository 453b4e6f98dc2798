"""All configuration, read once from the environment (and an optional `.env`). A wrong or
missing setting stops start-up with one readable line per problem and exit code 2: a
config mistake must never look like a crash."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mava_bridge.domain.tickets import Priority
from mava_bridge.settings_problems import (
    FIXES,
    SECRETS,
    check_channel,
    check_cron,
    check_driver,
    check_emoji,
    check_public_base,
    check_slack_ids,
    check_ticket_url,
    check_token,
    check_webhook_key,
    check_zone,
    describe_errors,
    dotenv_problems,
    split_commas,
)

Token = Annotated[SecretStr | None, BeforeValidator(check_token)]
Channel = Annotated[str | None, BeforeValidator(check_channel)]
Emoji = Annotated[str, AfterValidator(check_emoji)]
SlackIds = Annotated[
    tuple[str, ...], NoDecode, BeforeValidator(split_commas), AfterValidator(check_slack_ids)
]

# What each command needs set, beyond valid values. SLACK_SIGNING_SECRET is only
# needed in HTTP mode (Socket Mode requests come over the app's own socket).
FOR_RUN: Final = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MAVA_API_TOKEN")
FOR_MAVA: Final = ("MAVA_API_TOKEN",)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


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
    slack_bot_token: Token = None
    slack_signing_secret: Token = None
    slack_app_token: Token = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api/")

    # Mava
    mava_api_token: Token = None
    mava_api_url: AnyHttpUrl = AnyHttpUrl("https://gateway.mava.app")
    mava_dashboard_url: AnyHttpUrl = AnyHttpUrl("https://dashboard.mava.app")
    # Where a single ticket opens; seen in community code, not official docs, hence a setting.
    mava_ticket_url_template: Annotated[str, AfterValidator(check_ticket_url)] = (
        "{dashboard}/dashboard/ticket?id={ticket_id}"
    )
    mava_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    mava_rate_limit: int = Field(default=90, ge=1)
    mava_rate_window_seconds: float = Field(default=30.0, gt=0)
    mava_rate_fallback_limit: int | None = Field(default=None, ge=1)

    # Mava's webhooks (webhooks/): the dashboard's signing key (mava_wh_...; unset: no
    # POST /mava/webhook) and the payload's AES mode, which Mava's docs leave cut off.
    mava_webhook_signing_key: Annotated[SecretStr, AfterValidator(check_webhook_key)] | None = None
    mava_webhook_cipher: Literal["aes-256-cbc", "aes-256-gcm", "aes-256-ctr"] = "aes-256-cbc"

    # Service
    database_url: Annotated[str, AfterValidator(check_driver)] = "sqlite+aiosqlite:///./mava-bot.db"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)] = (
        "INFO"
    )

    # Who may act (empty both: every full member of the workspace)
    allowed_slack_user_ids: SlackIds = ()
    allowed_slack_usergroup_ids: SlackIds = ()
    user_cache_ttl_seconds: float = Field(default=300.0, ge=0)
    idempotency_window_seconds: float = Field(default=120.0, ge=1)
    audit_channel: Channel = None

    # Digest and alerts
    digest_channel: Channel = None
    digest_schedule: Annotated[str, AfterValidator(check_cron)] = "0 9 * * 1-5"
    digest_timezone: Annotated[str, AfterValidator(check_zone)] = "UTC"
    digest_skip_empty: bool = False
    digest_max_years: int = Field(default=5, ge=1)
    alert_channel: Channel = None
    alert_min_priority: Annotated[Literal["low", "medium", "high"], BeforeValidator(_lower)] = (
        "high"
    )
    alert_unassigned: bool = False
    poll_interval_seconds: float = Field(default=60.0, ge=1)
    # The LONGEST wait between reads of followed tickets (sooner as a third of the budget
    # allows: delivery.pacing), and how long a resolved one is still followed.
    thread_sync_seconds: float = Field(default=15.0, ge=1)
    thread_resolved_grace_hours: float = Field(default=24.0, gt=0)
    # The LONGEST the desk's open-tickets board is kept (sooner as a sixth allows).
    desk_refresh_seconds: float = Field(default=60.0, ge=1)
    # Reactions that act (slack/listeners/actions.py): emoji names, colons optional.
    reaction_assign: Emoji = "eyes"
    reaction_resolve: Emoji = "white_check_mark"
    reaction_create: Emoji = "ticket"
    # Tickets created from Slack: the origin Mava records (it has no "slack") and its
    # `silent` flag, whose meaning its docs leave cut off; unset, Mava's defaults apply.
    create_ticket_source_type: (
        Literal["web", "discord", "telegram", "telegram-group", "email"] | None
    ) = None
    create_ticket_silent: bool | None = None
    # Where Mava fetches files shared in followed threads (`GET /files/<token>`).
    public_url: Annotated[AnyHttpUrl, AfterValidator(check_public_base)] | None = None
    file_max_mb: float = Field(default=20.0, gt=0, le=1024)
    leader_check_seconds: float = Field(default=5.0, ge=0.5)
    socket_mode_unhealthy_seconds: float = Field(default=30.0, gt=0)

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
        """Every secret value set, the database password too: what the logs redact."""
        values = [getattr(self, field) for field in SECRETS]
        found = [value.get_secret_value() for value in values if value is not None]
        return found + [p for p in [database_password(self.database_url)] if p]

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


def _dotenv_problems(overrides: dict[str, Any]) -> list[str]:
    # None (no .env read) or several files: only the usual one is checked.
    env_file = overrides.get("_env_file", Settings.model_config.get("env_file"))
    return dotenv_problems(Path(env_file)) if isinstance(env_file, str | os.PathLike) else []


def read_settings(
    required: Collection[str] = (), **overrides: Any
) -> tuple[Settings | None, list[str]]:
    """The settings (None when a value is bad) and every problem at once: bad values and
    required settings (env names) that are missing."""
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
        problems += partial.missing(required, invalid=invalid) + _dotenv_problems(overrides)
        return None, sorted(problems, key=_field_order)
    return settings, settings.missing(required) + _dotenv_problems(overrides)


def load_settings(required: Collection[str] = (), **overrides: Any) -> Settings:
    """Read settings, or print every problem and exit with code 2."""
    settings, problems = read_settings(required, **overrides)
    if settings is None or problems:
        print("mava-bot cannot start: the configuration has problems:", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(2)
    return settings


def drop_secrets_from_environment() -> None:
    """Once read, the secrets leave os.environ: no library picks up a copy of its own (Bolt
    falls back to SLACK_BOT_TOKEN, then warns) and no child process inherits them."""
    names = {field.upper() for field in SECRETS}
    for key in [key for key in os.environ if key.upper() in names]:
        del os.environ[key]
