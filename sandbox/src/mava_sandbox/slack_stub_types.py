"""The Slack stub's records and constants: the default workspace and its people, a
recorded call, a fault, the failure a method raises, and how requests are read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from aiohttp import web

from mava_sandbox import block_kit_rules

JSON = dict[str, Any]

DEFAULT_BOT_TOKEN: Final = "xoxb-test-token"
# The app-level token (Socket Mode): only apps.connections.open takes it.
DEFAULT_APP_TOKEN: Final = "xapp-1-A0MAVABOT-1-test-app-token"
DEFAULT_TEAM_ID: Final = "T0001"
DEFAULT_TEAM_NAME: Final = "Example"
DEFAULT_TEAM_DOMAIN: Final = "example"
# The stub's own identity, as auth.test reports it. Deliberately not U0BOT, which is
# "some other bot" in the directory (for tests that reject bot users).
STUB_BOT_USER_ID: Final = "U0MAVABOT"
STUB_BOT_ID: Final = "B0MAVABOT"
STUB_APP_ID: Final = "A0MAVABOT"
# Pseudo method name under which response_url posts are recorded (and faults injected).
RESPONSE_URL: Final = "response_url"
# How long a trigger id opens a modal, as on Slack.
TRIGGER_TTL_SECONDS: Final = 3.0


@dataclass(frozen=True, slots=True)
class StubUser:
    """A workspace member as the stub's directory holds it; `to_slack()` gives users.info shape."""

    id: str
    name: str
    real_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    team_id: str = DEFAULT_TEAM_ID
    is_bot: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    deleted: bool = False
    is_admin: bool = False
    tz: str = "Europe/London"

    @property
    def bot_id(self) -> str | None:
        return f"B{self.id[1:]}" if self.is_bot else None

    def to_slack(self) -> JSON:
        """The `user` object of users.info / users.lookupByEmail for this member."""
        real_name = self.real_name if self.real_name is not None else self.name
        display_name = self.display_name or ""  # Slack sends "" when the member never set one
        first, _, last = real_name.partition(" ")
        avatar = hashlib.sha1(self.id.encode()).hexdigest()[:12]
        zone = ZoneInfo(self.tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        profile: JSON = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": avatar,
            "first_name": first,
            "last_name": last,
            **{
                f"image_{size}": f"https://avatars.example.com/{self.id}_{size}.png"
                for size in (24, 32, 48, 72, 192, 512)
            },
            "status_text_canonical": "",
            "team": self.team_id,
        }
        if self.email is not None and not self.is_bot:
            profile["email"] = self.email
        if self.is_bot:
            profile.update({"bot_id": self.bot_id, "api_app_id": f"A{self.id[1:]}"})
            profile["always_active"] = False
        user: JSON = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": now.tzname() or self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted or self.is_ultra_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": self.email is not None and not self.is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }
        if not self.is_bot:
            user["has_2fa"] = False
        return user


# The seeded directory. Jane and Sam are full members whose emails match the sandbox Mava
# agents; the rest cover the cases access checks must refuse or treat specially.
DEFAULT_USERS: Final[tuple[StubUser, ...]] = (
    StubUser(
        "U0JANE", name="jane", real_name="Jane Smith", display_name="Jane", email="jane@example.com"
    ),
    StubUser(
        "U0SAM", name="sam", real_name="Sam Rivera", display_name="Sam", email="sam@example.com"
    ),
    StubUser(
        "U0GUEST",
        name="gary.guest",
        real_name="Gary Guest",
        email="guest@example.com",
        is_restricted=True,
    ),
    StubUser(
        "U0EXT",
        name="erin.external",
        real_name="Erin External",
        email="erin@partner.example.org",
        team_id="T0OTHER",
    ),
    StubUser("U0BOT", name="helperbot", real_name="Helper Bot", is_bot=True),
    StubUser(
        "U0GONE", name="olly.old", real_name="Olly Old", email="olly@example.com", deleted=True
    ),
)
# usergroup id -> member ids; "support" holds the two agents.
DEFAULT_USERGROUPS: Final[Mapping[str, tuple[str, ...]]] = {"S0SUPPORT": ("U0JANE", "U0SAM")}


@dataclass(frozen=True, slots=True)
class SlackCall:
    """One recorded request: what was asked, with which token, and what the stub answered."""

    method: str
    params: JSON
    token: str | None
    time: float
    status: int = 200
    response: JSON | None = None
    # For response_url posts: the `name` part of /response/{name}, and the sender's port
    # (a new port is a new connection).
    target: str | None = None
    client_port: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        if self.response is None:
            return None
        error = self.response.get("error")
        return str(error) if error is not None else None


@dataclass(slots=True)
class StubFault:
    kind: Literal["error", "ratelimit", "http"]
    remaining: int | None
    error: str = ""
    retry_after: int = 1
    status: int = 500
    body: JSON | str | None = None
    content_type: str = "text/plain"


@dataclass(slots=True)
class ResponseTarget:
    # What a response_url is bound to, so replace_original/in_channel can act on the store.
    channel: str | None
    message_ts: str | None
    ephemeral: bool = False  # message_ts is an ephemeral's (a click on it gave the url)


class SlackApiFailure(Exception):
    """Raised inside a method handler to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# Form fields slack_sdk serialises to JSON strings; decoded so records hold real objects.
JSON_FIELDS: Final = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks"}
)

MethodHandler = Callable[[JSON], JSON]

# ---------------------------------------------------------------------- parsing and validation


async def read_params(request: web.Request) -> tuple[JSON, str | None]:
    """Merge query and body the way Slack does; return (params, token)."""
    params: JSON = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type == "multipart/form-data":
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    value = f"<file {value.filename}>"
                params[key] = value if isinstance(value, str) else repr(value)
        else:
            params.update(parse_qsl(await request.text(), keep_blank_values=True))
    for key in JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    token: str | None = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip() or None
    param_token = params.pop("token", None)
    if token is None and param_token:
        token = str(param_token)
    return params, token


def parse_response_body(raw: str, content_type: str) -> JSON:
    if content_type == "application/json" or raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw)
        except ValueError:
            return {"_raw": raw}
        return body if isinstance(body, dict) else {"_raw": body}
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in fields:
        return parse_response_body(fields["payload"], "application/json")
    return dict(fields)


def new_view_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def invalid_failure(error: str, problems: list[str]) -> SlackApiFailure:
    # Slack explains validation failures in response_metadata.messages.
    return SlackApiFailure(
        error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
    )


def refusal_failure(refusal: block_kit_rules.Refusal) -> SlackApiFailure:
    return (
        invalid_failure(refusal.error, list(refusal.problems))
        if refusal.problems
        else (SlackApiFailure(refusal.error))
    )
