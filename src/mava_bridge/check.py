"""`mava-bot check`: one line per check, OK or FAIL with the fix. It changes nothing: no
database is created or migrated and nothing is posted to Slack."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError

from mava_bridge.app import mava_client
from mava_bridge.domain.webhook_key import load_signing_key
from mava_bridge.mava.errors import MavaEndpointNotFound, MavaError, MavaForbidden, MavaUnavailable
from mava_bridge.settings import FOR_RUN, Settings, read_settings
from mava_bridge.slack.errors import slack_error
from mava_bridge.slack.web import slack_client
from mava_bridge.store.db import UnknownRevision, schema_state, sqlite_file, sqlite_problem

SLACK = "SLACK_API_URL (unset for real Slack)"
SLACK_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid bot token: copy the Bot User OAuth Token "
    "(xoxb-...) from the app's OAuth & Permissions page",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: reinstall the app and copy the new token",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "the workspace or bot user behind SLACK_BOT_TOKEN is deactivated",
}


NETWORK = "this machine's network: DNS, firewall or proxy"


def unreachable(url: str, setting: str, cause: BaseException) -> str:
    """No 'try again': waiting does not fix a wrong URL or a closed firewall."""
    return f"cannot reach {url} ({_describe(cause)}): check {setting} and {NETWORK}"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()[:200]
    return f"{type(exc).__name__}{': ' + text if text else ''}"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


async def ask_slack(
    settings: Settings,
    name: str,
    call: Awaitable[Any],
    fixes: dict[str, str],
    other: str,
    method: str = "",
) -> Any:
    """Slack's answer to `call`, or the failed CheckResult `name` saying what to fix."""
    try:  # without a session of its own, slack_sdk closes each call's connection
        return await call
    except SlackApiError as exc:
        error = slack_error(exc)
        return CheckResult(name, False, f"{method}{error}: {fixes.get(error, other)}")
    except Exception as exc:
        return CheckResult(name, False, unreachable(str(settings.slack_api_url), SLACK, exc))


async def check_slack(settings: Settings) -> CheckResult:
    if settings.slack_bot_token is None:
        return CheckResult("slack", False, "SLACK_BOT_TOKEN is not set")
    call = slack_client(settings).auth_test()
    answer = await ask_slack(settings, "slack", call, SLACK_FIXES, "see Slack docs")
    if isinstance(answer, CheckResult):
        return answer
    return CheckResult("slack", True, f"auth.test as {answer.get('user')} in {answer.get('team')}")


APP_TOKEN_FIXES = {
    "invalid_auth": "SLACK_APP_TOKEN is not a valid app-level token: generate one under Basic "
    "Information > App-Level Tokens with the connections:write scope (xapp-...)",
    "not_allowed_token_type": "SLACK_APP_TOKEN must be an app-level token (xapp-...), not a "
    "bot or user token: generate one under Basic Information > App-Level Tokens",
    "token_revoked": "SLACK_APP_TOKEN was revoked: generate a new app-level token",
    "missing_scope": "give the app-level token the connections:write scope",
    "not_authed": "SLACK_APP_TOKEN is missing",
}


async def check_socket_mode(settings: Settings) -> CheckResult:
    """Does Slack accept the app token? Asks for a socket URL (a one-time ticket, not
    shown) and does not open it."""
    if settings.slack_app_token is None:
        return CheckResult("socket mode", False, "SLACK_APP_TOKEN is not set")
    token = settings.slack_app_token.get_secret_value()
    call = slack_client(settings).apps_connections_open(app_token=token)
    other = "see Slack's apps.connections.open docs"
    method = "apps.connections.open: "
    failed = await ask_slack(settings, "socket mode", call, APP_TOKEN_FIXES, other, method)
    if isinstance(failed, CheckResult):
        return failed
    return CheckResult(
        "socket mode", True, "apps.connections.open accepted SLACK_APP_TOKEN (not connected)"
    )


async def check_mava(settings: Settings) -> CheckResult:
    if settings.mava_api_token is None:
        return CheckResult("mava", False, "MAVA_API_TOKEN is not set")
    url = f"{str(settings.mava_api_url).rstrip('/')}/api/categories"
    async with mava_client(settings) as mava:
        try:
            categories = await mava.list_categories()
        except (MavaForbidden, MavaEndpointNotFound) as exc:
            return CheckResult("mava", False, exc.user_message)  # names the URL already
        except MavaUnavailable as exc:
            return CheckResult("mava", False, _mava_unreachable(url, settings, exc))
        except MavaError as exc:
            return CheckResult("mava", False, f"GET {url}: {exc.user_message}{_cause(exc)}")
    return CheckResult("mava", True, f"GET {url} answered ({len(categories)} categories)")


def _mava_unreachable(url: str, settings: Settings, exc: MavaUnavailable) -> str:
    cause = exc.__cause__ or exc
    if isinstance(cause, httpx.TimeoutException):
        return (
            f"no answer from {url} within MAVA_TIMEOUT_SECONDS ({settings.mava_timeout_seconds:g}"
            f" s; {_describe(cause)}): check MAVA_API_URL and {NETWORK}"
        )
    return unreachable(url, "MAVA_API_URL", cause)


def _cause(exc: BaseException) -> str:
    """The network error under a Mava failure (refused, DNS, TLS...), if there is one."""
    cause = exc.__cause__
    return "" if cause is None or isinstance(cause, MavaError) else f" (cause: {_describe(cause)})"


async def check_database(settings: Settings) -> CheckResult:
    """Where the schema stands; connects only (no SQLite file is created, nothing migrated)."""
    path = sqlite_file(settings.database_url)
    problem = sqlite_problem(path) if path is not None else None
    if problem is not None:
        return CheckResult("database", False, f"{problem}: `mava-bot run` could not use it")
    try:
        state = await schema_state(settings.database_url)
        if path is not None and not path.exists():
            plural = "s" if state.due != 1 else ""
            detail = f"{path} does not exist yet; `mava-bot run` will create it and apply"
            return CheckResult("database", True, f"{detail} {state.due} migration{plural}")
    except UnknownRevision as exc:
        detail = (
            f"schema revision {exc} is unknown to this version (a newer mava-bot migrated "
            "it?): run that version, or upgrade this one"
        )
        return CheckResult("database", False, detail)
    except Exception as exc:
        detail = f"{type(exc).__name__}: check DATABASE_URL and that the server is up"
        return CheckResult("database", False, detail)
    return CheckResult("database", True, f"reachable, {state.describe()}")


CHANNEL_SETTINGS = ("digest_channel", "alert_channel", "audit_channel")
CHANNEL_FIXES = {
    "channel_not_found": "no such channel, or a private one the bot is not in: check the id, "
    "and /invite the bot there",
    "missing_scope": "the app lacks channels:read/groups:read: reinstall it from manifest.yml",
}


async def check_channels(settings: Settings) -> list[CheckResult]:
    """Can the bot post where the settings send digests, alerts and audit lines? Asks
    conversations.info; posts nothing."""
    wanted: dict[str, list[str]] = {}
    for field in CHANNEL_SETTINGS:
        channel = getattr(settings, field)
        if channel is not None:
            wanted.setdefault(channel, []).append(field.upper())
    if not wanted:
        return []
    client = slack_client(settings)
    results = []
    try:  # the bot's name, for the /invite hint
        bot_name = str((await client.auth_test()).get("user") or "Mava")
    except Exception:
        bot_name = "Mava"
    for channel, names in wanted.items():
        label = f"channel {channel} ({', '.join(names)})"
        call = client.conversations_info(channel=channel)
        other = "see Slack's conversations.info docs"
        answer = await ask_slack(settings, label, call, CHANNEL_FIXES, other)
        if isinstance(answer, CheckResult):
            results.append(answer)
            continue
        info = answer.get("channel") or {}
        name = f"#{info.get('name', channel)}"
        if info.get("is_archived"):
            results.append(CheckResult(label, False, f"{name} is archived: pick another"))
        elif not info.get("is_member"):
            fix = f"the bot is not a member of {name}: type /invite @{bot_name} there"
            results.append(CheckResult(label, False, fix))
        else:
            results.append(CheckResult(label, True, f"{name}: the bot is a member"))
    return results


def check_webhook_key(settings: Settings) -> CheckResult:
    """What the key is and where webhooks go (settings already refused a bad key)."""
    assert settings.mava_webhook_signing_key is not None
    key = load_signing_key(settings.mava_webhook_signing_key.get_secret_value().strip())
    return CheckResult(
        "webhooks",
        True,
        f"MAVA_WEBHOOK_SIGNING_KEY is an RSA-{key.key_size} key: Mava's webhooks are taken "
        f"at POST /mava/webhook on {settings.host}:{settings.port} "
        f"(payload read as {settings.mava_webhook_cipher}, else only a nudge)",
    )


async def run_checks(settings: Settings) -> list[CheckResult]:
    checks = [check_database, check_slack, check_mava]
    if settings.socket_mode:
        checks.append(check_socket_mode)
    results = [CheckResult("settings", True, "loaded")]
    missing = settings.missing_for_run()
    if missing:
        results = [CheckResult("settings", False, problem) for problem in missing]
    results += list(await asyncio.gather(*(check(settings) for check in checks)))
    if settings.mava_webhook_signing_key is not None:
        results.append(check_webhook_key(settings))
    # Channels only with a working bot token: otherwise each would repeat its error.
    if all(result.ok for result in results if result.name == "slack"):
        results += await check_channels(settings)
    return results


def check_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="mava-bot check",
        description="Check settings, Slack (auth.test, membership of the digest, alert and "
        "audit channels), Mava (/api/categories) and the database (schema revision). "
        "Changes nothing. Exit code 0 only when every check passes.",
    )
    parser.parse_args(argv)
    settings, problems = read_settings(FOR_RUN)  # every problem at once
    if settings is None:
        for problem in problems:
            print(CheckResult("settings", False, problem).line())
        return 1
    results = asyncio.run(run_checks(settings))
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1
