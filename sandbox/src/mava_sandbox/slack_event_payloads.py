"""Events API callbacks: the event envelope, url_verification and retry headers."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from mava_sandbox.slack_signing import DEFAULT_APP_ID, JSON, VERIFICATION_TOKEN, serial
from mava_sandbox.slack_stub import (
    DEFAULT_TEAM_ID,
    STUB_BOT_USER_ID,
)

# ---------------------------------------------------------------------- Events API


def event_callback(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = STUB_BOT_USER_ID,
    is_ext_shared_channel: bool | None = None,
) -> str:
    """An Events API ``event_callback`` JSON body wrapping `event` (e.g. an app_mention, or
    a message event from `SlackStub.user_message`). `is_ext_shared_channel` defaults to
    whether the event's author is from another team (a Slack Connect channel)."""
    if is_ext_shared_channel is None:
        is_ext_shared_channel = event.get("user_team", team_id) != team_id
    body: JSON = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(serial):08d}",
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": is_ext_shared_channel,
        "event_context": secrets.token_hex(16),
    }
    return json.dumps(body, separators=(",", ":"))


def url_verification(challenge: str | None = None) -> str:
    """The body Slack posts (signed) when the Event Subscriptions URL is saved; the app
    must answer with the `challenge`."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "challenge": challenge or secrets.token_urlsafe(32),
            "type": "url_verification",
        },
        separators=(",", ":"),
    )


def retry_headers(retry_num: int, reason: str = "http_timeout") -> dict[str, str]:
    """What Slack adds when it redelivers an event the app did not ack in time (up to 3
    retries: reasons http_timeout, http_error, too_many_redirects, connection_failed...)."""
    return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
