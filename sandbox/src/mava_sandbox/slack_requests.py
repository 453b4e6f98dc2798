"""Build and sign the requests Slack sends to the bot, byte for byte the way Slack does.

Slash commands arrive form-encoded; interactivity (shortcuts, block actions, view submissions)
arrives as a form with one ``payload=<json>`` field; Events API callbacks arrive as JSON. Every
request carries ``X-Slack-Request-Timestamp`` and a v0 HMAC-SHA256 ``X-Slack-Signature``.
Driving the bot with these exercises its real path: signature check, Bolt routing
(commands by ``command``, shortcuts/views by ``callback_id``, actions by ``action_id``), acks.

Usage::

    async with running_slack_stub() as stub, SlackEventSender(app_url, SECRET, stub=stub) as s:
        response = await s.command("list")
        assert response.status_code == 200

The builders live by request kind: slack_signing, slack_commands (commands and
shortcuts), slack_actions, slack_view_payloads, slack_event_payloads, slack_sender;
their public names are exported here.
"""

from __future__ import annotations

from mava_sandbox.slack_actions import block_actions, element_state, plain_text_state, state_values
from mava_sandbox.slack_commands import global_shortcut, message_shortcut, slash_command
from mava_sandbox.slack_event_payloads import event_callback, retry_headers, url_verification
from mava_sandbox.slack_sender import SlackEventSender
from mava_sandbox.slack_signing import (
    DEFAULT_APP_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_USER_ID,
    FORM,
    UNROUTABLE_RESPONSE_URL,
    VERIFICATION_TOKEN,
    new_trigger_id,
    sign,
)
from mava_sandbox.slack_view_payloads import view_closed, view_submission

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_SIGNING_SECRET",
    "DEFAULT_USER_ID",
    "FORM",
    "UNROUTABLE_RESPONSE_URL",
    "VERIFICATION_TOKEN",
    "SlackEventSender",
    "block_actions",
    "element_state",
    "event_callback",
    "global_shortcut",
    "message_shortcut",
    "new_trigger_id",
    "plain_text_state",
    "retry_headers",
    "sign",
    "slash_command",
    "state_values",
    "url_verification",
    "view_closed",
    "view_submission",
]
