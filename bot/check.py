"""`mava-bot check`: is everything set up? One line per check, OK or FAIL with the fix."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError
from slack_sdk.errors import SlackApiError

from bot.mava.errors import MavaError
from bot.runtime import mava_client
from bot.settings import Settings, describe_errors
from bot.slack.web import slack_client
from bot.store.db import Database

SLACK_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is not a valid bot token: copy the Bot User OAuth Token "
    "(xoxb-...) from the app's OAuth & Permissions page",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: reinstall the app and copy the new token",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "the workspace or bot user behind SLACK_BOT_TOKEN is deactivated",
}


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


async def check_slack(settings: Settings) -> CheckResult:
    if settings.slack_bot_token is None:
        return CheckResult("slack", False, "SLACK_BOT_TOKEN is not set")
    client = slack_client(settings)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "error"))
        return CheckResult("slack", False, f"{error}: {SLACK_FIXES.get(error, 'see Slack docs')}")
    except Exception as exc:
        return CheckResult(
            "slack", False, f"cannot reach {settings.slack_api_url} ({type(exc).__name__})"
        )
    finally:
        session = getattr(client, "session", None)
        if session is not None:
            await session.close()
    return CheckResult(
        "slack", True, f"auth.test as {response.get('user')} in {response.get('team')}"
    )


async def check_mava(settings: Settings) -> CheckResult:
    if settings.mava_api_token is None:
        return CheckResult("mava", False, "MAVA_API_TOKEN is not set")
    async with mava_client(settings) as mava:
        try:
            categories = await mava.list_categories()
        except MavaError as exc:
            return CheckResult("mava", False, exc.user_message)
    return CheckResult(
        "mava", True, f"{settings.mava_api_url} answered ({len(categories)} categories)"
    )


async def check_database(settings: Settings) -> CheckResult:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        await db.ping()
    except Exception as exc:
        reason = type(exc).__name__
        return CheckResult(
            "database", False, f"{reason}: check DATABASE_URL and that the server is up"
        )
    finally:
        await db.dispose()
    return CheckResult("database", True, "reachable, schema up to date")


async def run_checks(settings: Settings) -> list[CheckResult]:
    checks: list[Callable[[Settings], Awaitable[CheckResult]]] = [
        check_database,
        check_slack,
        check_mava,
    ]
    results = [CheckResult("settings", True, "loaded")]
    missing = settings.missing_for_run()
    if missing:
        results = [CheckResult("settings", False, problem) for problem in missing]
    results += list(await asyncio.gather(*(check(settings) for check in checks)))
    return results


def check_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="mava-bot check",
        description="Check settings, Slack (auth.test), Mava (/api/categories) and the "
        "database. Exit code 0 only when every check passes.",
    )
    parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for problem in describe_errors(exc):
            print(CheckResult("settings", False, problem).line())
        return 1
    results = asyncio.run(run_checks(settings))
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1
