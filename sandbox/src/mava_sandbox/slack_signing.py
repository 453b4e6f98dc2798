"""Signing what Slack sends the bot, and the pieces every request shares: the defaults,
trigger ids, and the user, team and channel objects of a payload.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any, Final
from urllib.parse import urlencode

from mava_sandbox.slack_stub import (
    DEFAULT_USERS,
    STUB_APP_ID,
)

JSON = dict[str, Any]

DEFAULT_SIGNING_SECRET: Final = "test-signing-secret"
# The deprecated verification token Slack still puts in every payload.
VERIFICATION_TOKEN: Final = "vErIfIcAtIoNtOkEn0000000"
DEFAULT_USER_ID: Final = "U0JANE"
DEFAULT_CHANNEL_ID: Final = "C0SUPPORT"
DEFAULT_APP_ID: Final = STUB_APP_ID
FORM: Final = "application/x-www-form-urlencoded"
# Used when neither the call, the sender nor a stub provides one: nothing listens on port 9,
# so a stray respond() fails fast instead of reaching the internet.
UNROUTABLE_RESPONSE_URL: Final = "http://127.0.0.1:9/response-url-not-configured"

serial = itertools.count(1)
USERNAMES: Final = {u.id: u.name for u in DEFAULT_USERS}


def sign(
    signing_secret: str,
    body: bytes | str,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with `body`: timestamp, ``v0=`` signature and Content-Type.

    Content-Type defaults to JSON for bodies starting with ``{`` (Events API), else form."""
    ts = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    basestring = b"v0:" + str(ts).encode() + b":" + raw
    digest = hmac.new(signing_secret.encode(), basestring, hashlib.sha256).hexdigest()
    if content_type is None:
        content_type = "application/json" if raw.lstrip().startswith(b"{") else FORM
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
    }


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's ``<digits>.<digits>.<hex>`` shape."""
    return f"{int(time.time() * 1000)}.{next(serial)}.{secrets.token_hex(16)}"


def new_action_ts() -> str:
    now = time.time()
    return f"{now:.6f}"


def user_object(user_id: str, team_id: str, user_name: str | None) -> JSON:
    name = user_name or USERNAMES.get(user_id, user_id.lower())
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def team_object(team_id: str, team_domain: str) -> JSON:
    return {"id": team_id, "domain": team_domain}


def name_of_channel(channel_id: str) -> str:
    # What Slack puts in channel_name for DMs; otherwise the id lowered stands in for a name.
    return "directmessage" if channel_id.startswith("D") else channel_id.lower()


def payload_form(payload: JSON) -> str:
    # Slack's interactivity body: one form field holding compact JSON.
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
