"""Configuration problems in our own words: the checks of values whose shape we know
better than a type does, how to fix each setting, and pydantic's errors said our way."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, SecretStr, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from mava_bridge.domain.cron import cron_trigger
from mava_bridge.domain.webhook_key import load_signing_key

# Never echoed back in a problem line.
SECRETS: Final = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "mava_api_token",
    "mava_webhook_signing_key",
)
# Slack token kinds by prefix, to say what was pasted instead of the right one.
TOKEN_KINDS: Final = {
    "xoxb-": "a bot token",
    "xapp-": "an app-level token",
    "xoxp-": "a user token",
    "xoxe": "a token-rotation token",
}
WANTED_PREFIX: Final = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}
NOT_A_TOKEN: Final = {"slack_signing_secret": "the signing secret", "mava_api_token": "a Mava key"}

CHANNEL_ID: Final = re.compile(r"[CG][A-Z0-9]{2,}")
# Slack ids are capitals and digits: members U... (W... on Enterprise Grid), groups S...
ID_SHAPES: Final = {
    "allowed_slack_user_ids": (re.compile(r"[UW][A-Z0-9]+"), "a Slack member id"),
    "allowed_slack_usergroup_ids": (re.compile(r"S[A-Z0-9]+"), "a Slack user group id"),
}

# An emoji's name as Slack sends it in reaction_added: `thumbsup`, `+1`, `e-mail`, and
# a skin tone after two colons (`wave::skin-tone-3`).
EMOJI: Final = re.compile(r"[a-z0-9_+'-]+(::skin-tone-[2-6])?")
REACTIONS: Final = ("reaction_assign", "reaction_resolve", "reaction_create")
EMOJI_FIX: Final = (
    "an emoji's name as Slack shows it, with or without colons, e.g. eyes or :eyes:; "
    "each reaction setting a different one"
)

FIND_CHANNEL_ID = (
    "use the channel id (C... or G...): in Slack click the channel's name to open its "
    "details, and copy the Channel ID at the bottom of the About tab"
)

# How to fix each setting, shown after what is wrong.
FIXES: dict[str, str] = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from your Slack app's "
    "OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy the Signing Secret from your Slack app's Basic Information "
    "page (HTTP mode), or use Socket Mode instead: set SLACK_APP_TOKEN (xapp-...), which needs "
    "no signing secret",
    "SLACK_APP_TOKEN": "create an app-level token (xapp-...) with connections:write, or leave "
    "it unset for HTTP mode",
    "SLACK_API_URL": "leave unset for real Slack (https://slack.com/api/)",
    "MAVA_API_TOKEN": "create an API key in the Mava dashboard (Admin > API keys)",
    "MAVA_WEBHOOK_SIGNING_KEY": "copy the signing key (mava_wh_...) from the Mava dashboard "
    "(Admin > API & Webhooks), or leave it unset to rely on polling alone",
    "MAVA_WEBHOOK_CIPHER": "leave it unset for aes-256-cbc",
    "PUBLIC_URL": "give the bot's address as Mava reaches it from outside, with nothing after "
    "the host or path, e.g. https://bridge.example.com (http:// is accepted, but Mava fetches "
    "files from the internet: use an https:// address that forwards /files/ to the bot), or "
    "leave it unset to name thread files in notes without attaching them",
    "MAVA_API_URL": "leave unset for https://gateway.mava.app",
    "MAVA_DASHBOARD_URL": "leave unset for https://dashboard.mava.app",
    "MAVA_TICKET_URL_TEMPLATE": "use a URL containing {ticket_id} (and optionally {dashboard})",
    "DATABASE_URL": "e.g. sqlite+aiosqlite:///./mava-bot.db or postgresql+asyncpg://user@host/db",
    "PORT": "a port number between 1 and 65535 (0 picks a free one)",
    # A choice's error already lists the choices: the fix does not list them again.
    "LOG_LEVEL": "leave it unset for INFO",
    "DIGEST_SCHEDULE": 'a 5-field crontab, e.g. "0 9 * * 1-5" for weekdays at 09:00',
    "DIGEST_TIMEZONE": "an IANA time zone name such as Europe/Berlin",
    "ALERT_MIN_PRIORITY": "leave it unset for high",
    "CREATE_TICKET_SOURCE_TYPE": "leave it unset for Mava's default",
    "ALLOWED_SLACK_USER_IDS": "list member ids (U... or W..., capitals and digits) separated "
    "by commas, not names: in Slack open the person's profile, click the three dots and "
    "Copy member ID",
    "ALLOWED_SLACK_USERGROUP_IDS": "list user group ids (S..., capitals and digits) "
    "separated by commas, not @handles",
    "MAVA_TIMEOUT_SECONDS": "seconds to wait for Mava, more than 0 and at most 120 (default 10)",
    "MAVA_RATE_LIMIT": "requests per window allowed by Mava, at least 1 (default 90)",
    "MAVA_RATE_WINDOW_SECONDS": "the rate-limit window in seconds, more than 0 (default 30)",
    "MAVA_RATE_FALLBACK_LIMIT": "requests per window while the shared budget is down, at least 1",
    "USER_CACHE_TTL_SECONDS": "seconds to cache Slack user lookups, 0 or more (default 300)",
    "IDEMPOTENCY_WINDOW_SECONDS": "seconds a repeated submission counts as a duplicate, at "
    "least 1 (default 120)",
    "POLL_INTERVAL_SECONDS": "seconds between alert polls, at least 1 (default 60)",
    "LEADER_CHECK_SECONDS": "seconds between leader checks on PostgreSQL, at least 0.5 (default 5)",
    "SOCKET_MODE_UNHEALTHY_SECONDS": "seconds without a Socket Mode connection before "
    "/healthz answers 503, more than 0 (default 30)",
    "DIGEST_SKIP_EMPTY": "true or false",
    "DIGEST_MAX_YEARS": "how many years back a digest looks, a whole number, at least 1 "
    "(default 5)",
    "ALERT_UNASSIGNED": "true or false",
    "REACTION_ASSIGN": EMOJI_FIX,
    "REACTION_RESOLVE": EMOJI_FIX,
    "REACTION_CREATE": EMOJI_FIX,
    "AUDIT_CHANNEL": FIND_CHANNEL_ID,
    "DIGEST_CHANNEL": FIND_CHANNEL_ID,
    "ALERT_CHANNEL": FIND_CHANNEL_ID,
}

# Problems that name the values at fault themselves (a list's bad entries) or have none.
NAMES_ITS_VALUES: Final = frozenset({"missing", "slack_id"})

# pydantic's own error types, said our way ({...} filled from the error's context).
OWN_WORDS: Final = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a number",
    "bool_parsing": "is not true or false",
    "literal_error": "is not one of {expected}",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "url_parsing": "is not a URL",
    "url_scheme": "is not an http:// or https:// URL",
    "url_syntax_violation": "is not a URL",
    "string_type": "is not text",
}


def check_pasted(value: str) -> None:
    """Catch the two ways a value gets mangled on its way into .env or docker --env-file."""
    if len(value) > 1 and value[0] in "\"'" and value[-1] == value[0]:
        raise PydanticCustomError(
            "quoted", "is wrapped in quotes; remove them (docker --env-file keeps them)"
        )
    if any(char.isspace() for char in value):
        raise PydanticCustomError(
            "has_space", "contains a space; in .env put each setting on its own line, as NAME=value"
        )


def check_token(value: Any, info: ValidationInfo) -> Any:
    """A Slack token, the signing secret or the Mava key: stripped (None when empty), or
    a problem naming what was pasted instead."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str):
        return value
    raw, field = raw.strip(), str(info.field_name)
    if not raw:
        return None
    check_pasted(raw)
    wanted = WANTED_PREFIX.get(field)
    kind = next((k for prefix, k in TOKEN_KINDS.items() if raw.startswith(prefix)), None)
    if wanted is None:  # the signing secret and the Mava key have no prefix of their own
        if kind is not None:
            raise PydanticCustomError(
                "slack_token", f"is {kind} from Slack ({raw[:4]}...), not {NOT_A_TOKEN[field]}"
            )
        return raw
    if raw.startswith(wanted):
        if not re.fullmatch(r"[A-Za-z0-9-]+", raw):
            raise PydanticCustomError(
                "token_chars", "has characters a Slack token never has (letters, digits, -)"
            )
        return raw
    if kind is None:
        raise PydanticCustomError("token_prefix", f"does not start with {wanted}")
    # Named by type so that describe_errors can tell a swapped pair.
    raise PydanticCustomError(
        f"{raw[:4]}_in_{field}",
        f"is {kind} ({raw[:5]}...), not {TOKEN_KINDS[wanted]} ({wanted}...)",
    )


def check_channel(value: Any) -> Any:
    """A channel id (C... or G...), stripped (None when empty); not a #name."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    if not value:
        return None
    check_pasted(value)
    if value.startswith("#"):
        raise PydanticCustomError("channel_name", "is a channel name, not a channel id")
    if not CHANNEL_ID.fullmatch(value):
        raise PydanticCustomError("channel_id", "is not a channel id")
    return value


def check_emoji(value: str, info: ValidationInfo) -> str:
    """An emoji name without its colons; not one a reaction setting before it uses
    (fields are checked in order)."""
    name = value.strip().removeprefix(":").removesuffix(":")
    if not EMOJI.fullmatch(name):
        raise PydanticCustomError("emoji", "is not an emoji name")
    if name in [info.data.get(field) for field in REACTIONS]:
        raise PydanticCustomError("emoji_taken", "is the emoji of another reaction setting")
    return name


def split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def check_slack_ids(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    """Member or user group ids (ID_SHAPES); a problem names every wrong one."""
    shape, kind = ID_SHAPES[str(info.field_name)]
    wrong = [part for part in value if not shape.fullmatch(part)]
    if len(wrong) == 1:
        raise PydanticCustomError("slack_id", f"{wrong[0]!r} is not {kind}")
    if wrong:
        listed = ", ".join(repr(part) for part in wrong)
        raise PydanticCustomError("slack_id", f"{listed} are not {kind[2:]}s")
    return value


def check_public_base(url: AnyHttpUrl) -> AnyHttpUrl:
    """PUBLIC_URL is a base that `/files/<token>` is appended to: a query or a fragment
    would end up in front of it, and a user:password would be handed to Mava."""
    if url.query or url.fragment:
        raise PydanticCustomError("public_url_tail", "has a query or fragment (? or #)")
    if url.username or url.password:
        raise PydanticCustomError("public_url_login", "has a user name or password in it")
    return url


def check_webhook_key(value: SecretStr) -> SecretStr:
    try:
        load_signing_key(value.get_secret_value().strip())
    except ValueError as exc:
        raise PydanticCustomError("webhook_key", str(exc)) from None
    return value


def check_driver(value: str) -> str:
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("does not start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    return value


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("is not a known time zone") from exc
    return value


def check_cron(value: str) -> str:
    try:  # crontab's rules (0/7 = Sunday), as the scheduler will run it
        cron_trigger(value, "UTC")
    except ValueError as exc:
        raise ValueError(f"is not a valid crontab ({exc})") from exc
    return value


def check_ticket_url(value: str) -> str:
    if "{ticket_id}" not in value:
        raise ValueError("does not contain {ticket_id}")
    try:  # other placeholders or stray braces would fail on every ticket link
        value.format(dashboard="https://dashboard.mava.app", ticket_id="0" * 24)
    except (KeyError, IndexError, AttributeError, ValueError) as exc:
        raise ValueError("may only use the placeholders {dashboard} and {ticket_id}") from exc
    return value


def _shown(value: Any) -> str:
    """A bad value as echoed back: a URL's password masked, long values cut."""
    text = re.sub(r"(://[^:/@\s]*:)[^@/\s]*@", r"\1***@", str(value))
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _in_own_words(item: Any) -> str:
    words = OWN_WORDS.get(item["type"])
    if words is None:
        return str(item["msg"]).removeprefix("Value error, ")
    context = {
        key: f"{value:g}" if isinstance(value, float) else value
        for key, value in (item.get("ctx") or {}).items()
    }
    try:
        return words.format(**context)
    except (KeyError, IndexError):
        return str(item["msg"])


def describe_errors(error: ValidationError) -> list[str]:
    """One line per problem: the variable, its value (unless secret), what is wrong, and
    how to fix it."""
    items = error.errors()
    types = {item["type"] for item in items}
    # A bot token in SLACK_APP_TOKEN and an app token in SLACK_BOT_TOKEN: one line says so.
    swapped = {"xapp_in_slack_bot_token", "xoxb_in_slack_app_token"} <= types
    lines = []
    if swapped:
        lines.append(
            "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are swapped: the bot token (xoxb-...) goes "
            "in SLACK_BOT_TOKEN, the app-level token (xapp-...) in SLACK_APP_TOKEN; swap the "
            "two values."
        )
    for item in items:
        if swapped and item["loc"] and item["loc"][0] in WANTED_PREFIX:
            continue
        field = str(item["loc"][0]) if item["loc"] else ""
        name = field.upper() or "settings"
        problem = _in_own_words(item)
        if field and field not in SECRETS and item["type"] not in NAMES_ITS_VALUES:
            problem = f"{_shown(item['input'])} {problem}"
        fix = FIXES.get(name)
        lines.append(f"{name}: {problem}" + (f"; {fix}." if fix else "."))
    return lines


# `NAME = value` or `NAME= value`: python-dotenv (how we read .env) drops the spaces;
# `docker run --env-file` refuses a name with a space and keeps a space in a value. Read
# the same file the same way in both, or name the line.
_SPACED = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(\s*)=(\s*)(\S?)")


def dotenv_problems(path: Path) -> list[str]:
    """Lines of a .env file that docker --env-file would read differently. Names the line
    and the variable, never the value (it may be a secret)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []  # unreadable: pydantic-settings reports it, or it is not there
    problems = []
    for number, line in enumerate(lines, start=1):
        match = _SPACED.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        name, before, after, value = match.groups()
        if before or (after and value):
            problems.append(
                f"{path.name} line {number} ({name}): has spaces around =; write it as "
                f"{name}=value, with no spaces (docker run --env-file would read it "
                "differently: it refuses a name with a space and keeps a space in a value)."
            )
    return problems
