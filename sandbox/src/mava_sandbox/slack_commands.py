"""Slash commands and shortcuts as Slack sends them: a form, or a form with one
``payload`` field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from mava_sandbox.slack_signing import (
    DEFAULT_APP_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    JSON,
    USERNAMES,
    VERIFICATION_TOKEN,
    name_of_channel,
    new_action_ts,
    new_trigger_id,
    payload_form,
    team_object,
    user_object,
)
from mava_sandbox.slack_stub import (
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
)

# ---------------------------------------------------------------------- slash commands


def slash_command(
    text: str,
    *,
    command: str = "/mava",
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str | None = None,
    response_url: str,
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
) -> str:
    """The form-encoded body of a slash command invocation."""
    fields = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name or name_of_channel(channel_id)),
        ("user_id", user_id),
        ("user_name", user_name or USERNAMES.get(user_id, user_id.lower())),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields)


# ---------------------------------------------------------------------- shortcuts


def message_shortcut(
    callback_id: str,
    *,
    message: Mapping[str, Any],
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    response_url: str,
    trigger_id: str | None = None,
) -> str:
    """A message shortcut (``type: message_action``) on `message`.

    `message` is the Slack message object; ``type`` and ``ts`` are filled in when missing."""
    shown: JSON = {"type": "message", **message}
    shown.setdefault("ts", new_action_ts())
    payload: JSON = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": new_action_ts(),
        "team": team_object(team_id, team_domain),
        "user": user_object(user_id, team_id, user_name),
        "channel": {"id": channel_id, "name": channel_name or name_of_channel(channel_id)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url,
        "message_ts": shown["ts"],
        "message": shown,
    }
    return payload_form(payload)


def global_shortcut(
    callback_id: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    trigger_id: str | None = None,
) -> str:
    """A global shortcut (``type: shortcut``): no channel, no message, no response_url."""
    payload: JSON = {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": new_action_ts(),
        "team": team_object(team_id, team_domain),
        "user": user_object(user_id, team_id, user_name),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return payload_form(payload)
