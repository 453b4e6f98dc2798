"""A local Slack Web API that records every call, for tests, the terminal demo and benchmarks.

Point slack_sdk at it unchanged: ``AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)``.
It speaks the wire protocol slack_sdk uses (``GET``/``POST /api/{method}``, form or JSON bodies,
``Authorization: Bearer``) and answers with the documented response shapes, including the
``ok: false`` errors real Slack gives for bad channels, unknown users, stale view hashes and
the like, so that code exercised here behaves the same against slack.com.

Besides the Web API it serves ``POST /response/{name}``: the ``response_url`` Slack puts in
command and interaction payloads, which Bolt's ``respond()`` posts JSON to.

Usage::

    async with running_slack_stub() as stub:
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
        await client.chat_postMessage(channel="C0SUPPORT", text="hi")
        assert stub.messages("C0SUPPORT")[0]["text"] == "hi"
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import math
import secrets
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from aiohttp import web

from mava_sandbox import block_kit_rules, slack_events, slack_history, slack_unfurls
from mava_sandbox.slack_files import StubFiles

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
    # For response_url posts: the `name` part of /response/{name}.
    target: str | None = None

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
class _Fault:
    kind: Literal["error", "ratelimit", "http"]
    remaining: int | None
    error: str = ""
    retry_after: int = 1
    status: int = 500
    body: JSON | str | None = None
    content_type: str = "text/plain"


@dataclass(slots=True)
class _ResponseTarget:
    # What a response_url is bound to, so replace_original/in_channel can act on the store.
    channel: str | None
    message_ts: str | None


class SlackApiFailure(Exception):
    """Raised inside a method handler to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# Form fields slack_sdk serialises to JSON strings; decoded so records hold real objects.
_JSON_FIELDS: Final = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks"}
)

MethodHandler = Callable[[JSON], JSON]


class SlackStub:
    """State, recording and behaviour of the fake Slack. Serve it with `create_slack_stub_app`."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_BOT_TOKEN,),
        app_tokens: Iterable[str] = (DEFAULT_APP_TOKEN,),
        users: Iterable[StubUser] = DEFAULT_USERS,
        usergroups: Mapping[str, Iterable[str]] = DEFAULT_USERGROUPS,
        team_id: str = DEFAULT_TEAM_ID,
        team_name: str = DEFAULT_TEAM_NAME,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        bot_user_id: str = STUB_BOT_USER_ID,
        bot_id: str = STUB_BOT_ID,
        app_id: str = STUB_APP_ID,
        strict_users: bool = False,
        channel_post_limit: int | None = None,
    ) -> None:
        """`strict_users`: refuse DMs/ephemerals to ids missing from the directory, as Slack
        would. Off by default so tests may use ad-hoc user ids without seeding them.
        `channel_post_limit`: see the attribute (Slack's 1 message per second per channel)."""
        self.tokens: set[str] = set(tokens)
        self.app_tokens: set[str] = set(app_tokens)
        # Set by SocketModeServer.attach(): hands out a fresh wss URL per apps.connections.open.
        self.socket_mode_url: Callable[[], str] | None = None
        self.revoked: set[str] = set()
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.strict_users = strict_users
        # Posting to (or reading) any of these answers channel_not_found.
        self.channels_not_found: set[str] = set()
        # views.open/push answer expired_trigger_id this long after the click.
        self.trigger_ttl = TRIGGER_TTL_SECONDS
        # Slack's posting limit: chat.postMessage "generally allows posting one message per
        # second per channel". None (default) = off; N = at most N posts per channel in
        # any second, the next one answered HTTP 429 ratelimited with Retry-After.
        self.channel_post_limit: int | None = channel_post_limit
        self._posted_at: dict[str, deque[float]] = {}
        # The message events Slack sends an app about its own posts and updates.
        self._echoes: list[JSON] = []
        # Every payload with blocks or a view, validated as Slack would (block_kit_rules).
        self.tally = block_kit_rules.Tally()
        # Hosts whose images "cannot be downloaded": a message drawing one is refused.
        self.unreachable_image_hosts: set[str] = set()

        self._users: dict[str, StubUser] = {}
        for user in users:
            self._users[user.id] = user
        self._users.setdefault(
            bot_user_id, StubUser(bot_user_id, name="mava", real_name="Mava", is_bot=True)
        )
        self._usergroups: dict[str, JSON] = {}
        for group_id, members in usergroups.items():
            self.add_usergroup(group_id, members)
        self._channels: dict[str, JSON] = {}
        self._members: dict[str, set[str]] = {}  # channel -> user ids (users.conversations)

        self._calls: list[SlackCall] = []
        self._messages: dict[str, list[JSON]] = {}
        self._ephemerals: list[JSON] = []
        self._views: dict[str, JSON] = {}
        self._home_views: dict[str, str] = {}  # user id -> view id of their App Home
        self._unfurl_ids: dict[str, tuple[str, str]] = {}  # unfurl_id -> (channel, ts)
        self._faults: dict[str, list[_Fault]] = {}
        self._slow: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}  # calls of a slowed method not answered yet
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._last_ts_us = 0
        self._ids = itertools.count(1)
        self._base_url: str | None = None
        self._runner: web.AppRunner | None = None
        # Files people share: `files.add(...)` gives the `files` of a user_message.
        self.files = StubFiles(self)

        self._methods: dict[str, MethodHandler] = {
            "api.test": self._api_test,
            "apps.connections.open": self._apps_connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.unfurl": self._chat_unfurl,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "users.conversations": self._users_conversations,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.info": self.files.info,
        }

    # ------------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        """Root of the running stub, e.g. ``http://127.0.0.1:54321/``."""
        if self._base_url is None:
            raise RuntimeError("the Slack stub is not serving yet: start() it or bind_url() it")
        return self._base_url

    @property
    def api_url(self) -> str:
        """What to give slack_sdk as `base_url` (ends in ``/api/``)."""
        return f"{self.base_url}api/"

    def bind_url(self, base_url: str) -> None:
        """Tell an embedded stub (see `create_slack_stub_app`) where it is served."""
        self._base_url = base_url if base_url.endswith("/") else f"{base_url}/"

    def response_url(
        self,
        name: str | None = None,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url to put in a payload. Bound to `channel` (and `message_ts`), posts to
        it act like Slack's: in_channel posts a message, replace/delete_original edit it."""
        name = name or f"r{next(self._ids)}"
        if channel is not None:
            self._response_targets[name] = _ResponseTarget(channel, message_ts)
        return f"{self.base_url}response/{name}"

    def permalink(self, channel: str, ts: str) -> str:
        return f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def dm_channel(self, user_id: str) -> str:
        """The IM channel id Slack would open for `user_id` (posting to a user id lands here)."""
        return f"D{user_id[1:]}"

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on `host`; port 0 picks a free one. Sets `base_url`/`api_url`."""
        if self._runner is not None:
            raise RuntimeError("the Slack stub is already running")
        runner = web.AppRunner(
            create_slack_stub_app(self),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,  # tests should not wait a minute for keep-alive clients
        )
        await runner.setup()
        # Bind the socket ourselves so the chosen port is known without private attributes.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        bound_host, bound_port = sock.getsockname()[:2]
        self._runner = runner
        self.bind_url(f"http://{bound_host}:{bound_port}/")

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # ------------------------------------------------------------------ directory

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        is_bot: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        tz: str = "Europe/London",
    ) -> StubUser:
        user = StubUser(
            user_id,
            name=name,
            real_name=real_name,
            display_name=display_name,
            email=email,
            team_id=team_id,
            is_bot=is_bot,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            deleted=deleted,
            is_admin=is_admin,
            tz=tz,
        )
        self._users[user_id] = user
        return user

    def remove_user(self, user_id: str) -> None:
        self._users.pop(user_id, None)

    def user(self, user_id: str) -> StubUser | None:
        return self._users.get(user_id)

    def add_usergroup(
        self,
        group_id: str,
        user_ids: Iterable[str],
        *,
        handle: str | None = None,
        name: str | None = None,
    ) -> None:
        handle = handle or group_id.lower()
        self._usergroups[group_id] = {
            "id": group_id,
            "handle": handle,
            "name": name or handle,
            "users": list(user_ids),
        }

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
        is_ext_shared: bool = False,
    ) -> JSON:
        """Give conversations.info something specific to say (unknown ids get a public channel)."""
        channel = self._synth_channel(channel_id, name or channel_id.lower())
        channel.update(
            {
                "is_private": is_private,
                "is_group": is_private,
                "is_channel": not is_private,
                "is_archived": is_archived,
                "is_member": is_member,
                "is_ext_shared": is_ext_shared,
                "is_shared": is_ext_shared,
            }
        )
        self._channels[channel_id] = channel
        return channel

    def join(self, channel_id: str, *user_ids: str) -> None:
        """`user_ids` are members of `channel_id` (what users.conversations answers)."""
        self._members.setdefault(channel_id, set()).update(user_ids)

    def home_view(self, user_id: str) -> JSON | None:
        """The App Home view last published for `user_id` (None: never published)."""
        view_id = self._home_views.get(user_id)
        return copy.deepcopy(self._views.get(view_id)) if view_id else None

    # ------------------------------------------------------------------ auth and faults

    def revoke(self, token: str) -> None:
        """From now on calls with `token` answer token_revoked."""
        self.revoked.add(token)

    def fail(self, method: str, error: str = "channel_not_found", times: int | None = 1) -> None:
        """Answer the next `times` calls of `method` with ``{"ok": false, "error": error}``.
        `method` may be ``"*"`` (any API method) or RESPONSE_URL. None = until clear_faults()."""
        self._add_fault(method, _Fault("error", times, error=error))

    def rate_limit(self, method: str, times: int | None = 1, retry_after: int = 1) -> None:
        """Answer HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``."""
        self._add_fault(method, _Fault("ratelimit", times, retry_after=retry_after))

    def http_error(
        self,
        method: str,
        status: int = 500,
        times: int | None = 1,
        body: JSON | str | None = None,
        content_type: str = "text/plain",
    ) -> None:
        """Answer HTTP `status`. The default body is JSON ``{"ok": false, "error":
        "internal_error"}``; pass a str for a non-JSON one (a proxy's HTML 502:
        ``body="<html>…", content_type="text/html"``), which slack_sdk cannot parse."""
        fault = _Fault("http", times, status=status, body=body, content_type=content_type)
        self._add_fault(method, fault)

    def slow_down(self, method: str, seconds: float) -> None:
        """Answer every `method` call `seconds` late (stamped with its arrival time), until
        clear_faults(): lets a test hold many callers inside one call at once."""
        self._slow[method] = seconds

    def in_flight(self, method: str) -> int:
        """How many calls of a slowed `method` arrived and are not answered yet."""
        return self._in_flight.get(method, 0)

    def clear_faults(self) -> None:
        """Forget injected faults, slow methods, revoked tokens and unreachable images."""
        self._faults.clear()
        self._slow.clear()
        self.revoked.clear()
        self.unreachable_image_hosts.clear()

    def _add_fault(self, method: str, fault: _Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be >= 1, or None for 'until clear_faults()'")
        self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str, kinds: tuple[str, ...]) -> _Fault | None:
        keys = [method] if method == RESPONSE_URL else [method, "*"]
        for key in keys:
            queue = self._faults.get(key, [])
            for fault in queue:
                if fault.kind not in kinds:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        queue.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ people and other bots

    # What others do in a channel: each stores (or edits, or removes) the message in the
    # stub's history, so conversations.history/replies see it, and returns the Events API
    # `message` event Slack would send; wrap it with slack_requests.event_callback (HTTP,
    # SlackEventSender.event) or SocketModeServer.send_event (Socket Mode).

    def user_message(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[JSON] | None = None,
    ) -> JSON:
        """`user_id` writes `text` in `channel` (in the thread at `thread_ts`). `subtype`:
        None, "thread_broadcast" (also sent to the channel) or "file_share" (with `files`,
        default one screenshot). The user's team comes from the directory: a Slack
        Connect member (another team_id) carries it in team/user_team/source_team."""
        user = self._users.get(user_id)
        team = user.team_id if user is not None else self.team_id
        target = self._dm_or_channel(channel)
        message = slack_events.user_message(
            user=user_id, team=team, text=text, ts=self._next_ts(), subtype=subtype, files=files
        )
        if thread_ts is not None:
            self._join_thread(target, message, thread_ts, user_id)
        self._messages.setdefault(target, []).append(message)
        return self.message_event(target, message["ts"])

    def user_link(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        source: str | None = "conversations_history",
        with_unfurl_id: bool = True,
    ) -> JSON:
        """`user_id` posts `text` holding links in `channel`: the `link_shared` event Slack
        sends (`message_event` of its ts gives the message event). `source` "composer":
        the link is still in the composer (channel COMPOSER, no message stored).
        `with_unfurl_id` False: an event without unfurl_id and source."""
        urls = slack_unfurls.links_in(text)
        if source == "composer":
            ts, target = f"{user_id}-{secrets.token_hex(8)}", slack_unfurls.COMPOSER
        else:
            self.user_message(channel, user_id, text, thread_ts=thread_ts)
            target = self._dm_or_channel(channel)
            ts = self._messages[target][-1]["ts"]
        event_unfurl_id = slack_unfurls.unfurl_id(target, ts) if with_unfurl_id else None
        if event_unfurl_id is not None:
            self._unfurl_ids[event_unfurl_id] = (target, ts)
        return slack_unfurls.link_shared(
            channel=target,
            user=user_id,
            message_ts=ts,
            urls=urls,
            event_unfurl_id=event_unfurl_id,
            source=source if with_unfurl_id else None,
            thread_ts=thread_ts,
        )

    def unfurls(self, channel: str, ts: str) -> JSON:
        """What chat.unfurl attached under the message at `ts`: URL -> unfurl."""
        found = self._find_message(self._dm_or_channel(channel), ts)
        return copy.deepcopy((found or {}).get("unfurls") or {})

    def user_edit(self, channel: str, ts: str, text: str) -> JSON:
        """The author edits the message at `ts`: a `message_changed` event."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        before = copy.deepcopy(message)
        edited_at = self._next_ts()
        message["text"] = text
        message["blocks"] = slack_events.rich_text(text)
        message["edited"] = {"user": message.get("user", ""), "ts": edited_at}
        kind = self._channel_kind(target)
        return slack_events.changed_event(before, message, target, kind=kind, event_ts=edited_at)

    def user_delete(self, channel: str, ts: str) -> JSON:
        """The author deletes the message at `ts`: a `message_deleted` event."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        self._remove_message(target, ts)
        parent = self._find_message(target, message.get("thread_ts") or "")
        if parent is not None and parent is not message and parent.get("reply_count"):
            parent["reply_count"] -= 1
        kind = self._channel_kind(target)
        return slack_events.deleted_event(message, target, kind=kind, event_ts=self._next_ts())

    def bot_message(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        bot_id: str = "B0HOOK",
        username: str = "Status Hook",
    ) -> JSON:
        """Another integration posts (subtype bot_message). Our own posts and other apps'
        chat.postMessage carry bot_id without a subtype: use `message_event` for those."""
        target = self._dm_or_channel(channel)
        message = slack_events.bot_message(
            bot_id=bot_id, text=text, ts=self._next_ts(), username=username
        )
        if thread_ts is not None:
            self._join_thread(target, message, thread_ts, bot_id)
        self._messages.setdefault(target, []).append(message)
        return self.message_event(target, message["ts"])

    def message_event(self, channel: str, ts: str) -> JSON:
        """The `message` event Slack sends for the stored message at `ts`: e.g. the echo of
        the bot's own post (bot_id, app_id, user = the bot user, no subtype)."""
        target = self._dm_or_channel(channel)
        message = self._find_message(target, ts)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        return slack_events.message_event(message, target, kind=self._channel_kind(target))

    def echo_events(self, channel: str | None = None) -> list[JSON]:
        """The `message` events Slack sends an app subscribed to message.channels/groups
        about the bot's own chat.postMessage (bot_id, no subtype) and chat.update
        (message_changed) calls, oldest first: forward them to prove the bot ignores
        itself."""
        return [
            copy.deepcopy(e) for e in self._echoes if channel is None or e["channel"] == channel
        ]

    def _channel_kind(self, channel: str) -> str:
        private = bool(self._channels.get(channel, {}).get("is_private"))
        return slack_events.channel_type(channel, is_private=private)

    # ------------------------------------------------------------------ recording

    def calls(self, method: str | None = None) -> list[SlackCall]:
        """Every recorded call (including refused ones), oldest first; optionally one method."""
        return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        """Forget recorded calls and posted state; keeps users, tokens and faults."""
        self._calls.clear()
        self._messages.clear()
        self._ephemerals.clear()
        self._views.clear()
        self._home_views.clear()
        self._unfurl_ids.clear()
        self._response_targets.clear()
        self._posted_at.clear()
        self._echoes.clear()
        self.files.downloads.clear()

    def channels(self) -> list[str]:
        """Ids of the channels (and DMs) that hold messages, in first-post order."""
        return [channel for channel, stored in self._messages.items() if stored]

    def messages(self, channel: str) -> list[JSON]:
        """Current messages in `channel` (a user id means its DM), oldest first, after updates
        and deletes. Thread replies are included; they carry `thread_ts`."""
        return copy.deepcopy(self._messages.get(self._dm_or_channel(channel), []))

    def thread(self, channel: str, thread_ts: str) -> list[JSON]:
        """Parent and replies of one thread, oldest first."""
        return [
            m
            for m in self.messages(channel)
            if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
        ]

    def message(self, channel: str, ts: str) -> JSON | None:
        found = self._find_message(self._dm_or_channel(channel), ts)
        return copy.deepcopy(found) if found is not None else None

    def reactions(self, channel: str, ts: str) -> list[str]:
        """Names of the reactions the bot has on the message at `ts` (reactions.add)."""
        found = self._find_message(self._dm_or_channel(channel), ts)
        if found is None:
            return []
        return [r["name"] for r in found.get("reactions", []) if self.bot_user_id in r["users"]]

    def ephemerals(self, user: str | None = None) -> list[JSON]:
        """Ephemeral messages sent (to `user`), each: channel, user, text, blocks?, message_ts."""
        return [copy.deepcopy(e) for e in self._ephemerals if user is None or e["user"] == user]

    def responses(self, name: str | None = None) -> list[JSON]:
        """JSON bodies posted to response URLs (optionally one `name`), oldest first."""
        return [
            copy.deepcopy(c.params)
            for c in self._calls
            if c.method == RESPONSE_URL and c.ok and (name is None or c.target == name)
        ]

    def views(self) -> list[JSON]:
        """Current state of every view opened/pushed/published, in opening order."""
        return [copy.deepcopy(v) for v in self._views.values()]

    def view(self, view_id: str) -> JSON | None:
        """One view by id or external_id."""
        found = self._find_view(view_id, None) or self._find_view(None, view_id)
        return copy.deepcopy(found) if found is not None else None

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the agreed test-facing signature
        predicate: Callable[[SlackCall], bool] | None = None,
    ) -> list[SlackCall]:
        """Wait until at least `count` calls of `method` matching `predicate` are recorded;
        return them all. Bolt acks before handlers finish, so tests need this after a request.
        Raises TimeoutError naming what was recorded instead."""
        # Polling keeps this independent of which event loop (or thread) serves the stub.
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method) if predicate is None or predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = ", ".join(c.method for c in self._calls) or "nothing"
                raise TimeoutError(
                    f"waited {timeout}s for {count} {method} call(s), got {len(found)}; "
                    f"recorded: {seen}"
                )
            await asyncio.sleep(0.005)

    def _record(self, call: SlackCall) -> None:
        self._calls.append(call)

    # ------------------------------------------------------------------ HTTP entry points

    async def handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        now = time.time()
        try:
            params, token = await _read_params(request)
        except ValueError:  # malformed JSON body
            self._record(
                SlackCall(method, {}, None, now, 200, {"ok": False, "error": "invalid_json"})
            )
            return web.json_response({"ok": False, "error": "invalid_json"})

        def answer(body: JSON, status: int = 200) -> JSON:
            self._record(SlackCall(method, params, token, now, status, body))
            return body

        if method in self._slow:
            self._in_flight[method] = self._in_flight.get(method, 0) + 1
            try:  # answered even when the caller has gone (killed): as Slack does
                await asyncio.sleep(self._slow[method])
            finally:
                self._in_flight[method] -= 1
        if method not in self._methods:
            body = answer({"ok": False, "error": "unknown_method", "req_method": method})
            return web.json_response(body)

        infra = self._take_fault(method, ("ratelimit", "http"))
        if infra is not None:
            return self._fault_response(infra, answer)

        auth_error = self._auth_error(token, method)
        if auth_error is not None:
            return web.json_response(answer({"ok": False, "error": auth_error}))

        wait = self._posting_wait(method, params)
        if wait is not None:
            return self._fault_response(_Fault("ratelimit", None, retry_after=wait), answer)

        injected = self._take_fault(method, ("error",))
        if injected is not None:
            return web.json_response(answer({"ok": False, "error": injected.error}))

        try:
            result = self._methods[method](params)
        except SlackApiFailure as failure:
            result = {"ok": False, "error": failure.error, **failure.extra}
        if method == "chat.postMessage" and result.get("ok"):
            self._posted_at.setdefault(str(result["channel"]), deque()).append(time.monotonic())
        return web.json_response(answer(result))

    def _posting_wait(self, method: str, params: JSON) -> int | None:
        """Under `channel_post_limit`: the Retry-After (whole seconds) a chat.postMessage to a
        channel that already had its posts this second gets, else None."""
        if method != "chat.postMessage" or self.channel_post_limit is None:
            return None
        channel = self._dm_or_channel(str(params.get("channel") or ""))
        posted = self._posted_at.get(channel)
        now = time.monotonic()
        while posted and now - posted[0] >= 1.0:
            posted.popleft()
        if posted is None or len(posted) < self.channel_post_limit:
            return None
        return max(1, math.ceil(1.0 - (now - posted[0])))

    async def handle_response_url(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.text()
        params = _parse_response_body(raw, request.content_type)
        now = time.time()

        def answer(body: JSON, status: int = 200) -> JSON:
            self._record(SlackCall(RESPONSE_URL, params, None, now, status, body, target=name))
            return body

        fault = self._take_fault(RESPONSE_URL, ("ratelimit", "http", "error"))
        if fault is not None and fault.kind != "error":
            return self._fault_response(fault, answer)
        if fault is not None:
            answer({"ok": False, "error": fault.error}, 404)
            return web.Response(status=404, text=fault.error, content_type="text/plain")
        try:
            self._check_message(params, require_content=False)
        except SlackApiFailure as refused:  # Slack answers a bad webhook body 400, in words
            answer({"ok": False, "error": refused.error, **refused.extra}, 400)
            return web.Response(status=400, text=refused.error, content_type="text/plain")
        self._apply_response(name, params)
        answer({"ok": True})
        # Slack answers response_url posts with a plain "ok".
        return web.Response(text="ok", content_type="text/plain")

    def _fault_response(self, fault: _Fault, answer: Callable[[JSON, int], JSON]) -> web.Response:
        if fault.kind == "ratelimit":
            headers = {"Retry-After": str(fault.retry_after)}
            body = answer({"ok": False, "error": "ratelimited"}, 429)
            return web.json_response(body, status=429, headers=headers)
        if isinstance(fault.body, str):
            answer({"ok": False, "error": fault.body}, fault.status)
            return web.Response(
                status=fault.status, text=fault.body, content_type=fault.content_type
            )
        body = fault.body if fault.body is not None else {"ok": False, "error": "internal_error"}
        return web.json_response(answer(body, fault.status), status=fault.status)

    def _auth_error(self, token: str | None, method: str = "") -> str | None:
        if not token:
            return "not_authed"
        if token in self.revoked:
            return "token_revoked"
        # apps.connections.open takes only an app-level token (xapp-), every other method
        # only the others.
        app_method = method == "apps.connections.open"
        if token.startswith("xapp-") != app_method:
            return "not_allowed_token_type"
        if token not in (self.app_tokens if app_method else self.tokens):
            return "invalid_auth"
        return None

    def _apply_response(self, name: str, body: JSON) -> None:
        target = self._response_targets.get(name)
        if target is None or target.channel is None:
            return
        channel = self._dm_or_channel(target.channel)
        if body.get("delete_original") and target.message_ts:
            self._remove_message(channel, target.message_ts)
        elif body.get("replace_original") and target.message_ts:
            original = self._find_message(channel, target.message_ts)
            if original is not None:
                self._edit(original, body)
        elif body.get("response_type") == "in_channel":
            self._store_message(channel, body)

    # ------------------------------------------------------------------ helpers

    def _check_message(self, params: JSON, *, require_content: bool = True) -> None:
        """Raise what Slack answers a message it refuses; count those with blocks."""
        bad_metadata = slack_history.metadata_error(params)
        if bad_metadata is not None:
            raise SlackApiFailure(bad_metadata)
        refusal = block_kit_rules.message_refusal(
            params, require_content=require_content, unreachable=self.unreachable_image_hosts
        )
        if block_kit_rules.has_blocks(params):
            self.tally.count(refusal)
        if refusal is not None:
            raise _refused(refusal)

    def _check_view(self, view: Any) -> JSON:
        """The view (decoded, copied) if Slack takes it, else raise what Slack answers."""
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError as exc:
                raise _invalid("invalid_arguments", ["view is not valid JSON"]) from exc
        refusal = block_kit_rules.view_refusal(view)
        self.tally.count(refusal)
        if refusal is not None:
            raise _refused(refusal)
        return copy.deepcopy(view)

    def _next_ts(self) -> str:
        # Slack ts: seconds.microseconds, unique and increasing per workspace.
        self._last_ts_us = max(time.time_ns() // 1000, self._last_ts_us + 1)
        seconds, micros = divmod(self._last_ts_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _dm_or_channel(self, channel: str) -> str:
        return self.dm_channel(channel) if channel[:1] in ("U", "W") else channel

    def _resolve_channel(self, value: Any) -> str:
        """Where a post to `value` lands, or the error Slack would give."""
        channel = str(value or "")
        if not channel or channel in self.channels_not_found:
            raise SlackApiFailure("channel_not_found")
        if channel[:1] in ("U", "W"):
            user = self._users.get(channel)
            if user is None and self.strict_users:
                raise SlackApiFailure("channel_not_found")
            if user is not None and user.deleted:
                raise SlackApiFailure("user_disabled")
            if user is not None and user.is_bot and user.id != self.bot_user_id:
                raise SlackApiFailure("cannot_dm_bot")
            return self.dm_channel(channel)
        if channel in self._channels and self._channels[channel].get("is_archived"):
            raise SlackApiFailure("is_archived")
        return channel

    def _find_message(self, channel: str, ts: str) -> JSON | None:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None

    def _remove_message(self, channel: str, ts: str) -> bool:
        stored = self._messages.get(channel, [])
        for index, message in enumerate(stored):
            if message["ts"] == ts:
                del stored[index]
                return True
        return False

    def _store_message(self, channel: str, params: JSON) -> JSON:
        ts = self._next_ts()
        message: JSON = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": params.get("text") or "",
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": "Mava",
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        for key in ("blocks", "attachments", "metadata", "username", "icon_emoji", "icon_url"):
            if params.get(key):
                # Copies, so records and stored state never alias each other.
                message[key] = copy.deepcopy(params[key])
        thread_ts = params.get("thread_ts")
        if thread_ts:
            self._join_thread(channel, message, str(thread_ts), self.bot_user_id)
        self._messages.setdefault(channel, []).append(message)
        return message

    def _join_thread(self, channel: str, message: JSON, thread_ts: str, author: str) -> None:
        """Make `message` a reply in the thread at `thread_ts`, counting it on the parent."""
        message["thread_ts"] = thread_ts
        parent = self._find_message(channel, thread_ts)
        if parent is None:
            return
        message["parent_user_id"] = parent.get("user")
        parent["thread_ts"] = parent["ts"]
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if author not in users:
            users.append(author)
        parent["reply_users_count"] = len(users)
        parent["latest_reply"] = message["ts"]

    def _edit(self, message: JSON, params: JSON) -> None:
        # chat.update keeps blocks/attachments that are not re-sent; an empty list removes them.
        if "text" in params:
            message["text"] = params.get("text") or ""
        for key in ("blocks", "attachments", "metadata"):
            if key in params:
                if params[key]:
                    message[key] = copy.deepcopy(params[key])
                else:
                    message.pop(key, None)
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}

    def _synth_channel(self, channel_id: str, name: str) -> JSON:
        return {
            "id": channel_id,
            "name": name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": False,
            "created": 1_700_000_000,
            "is_archived": False,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "updated": 1_700_000_000_000,
            "parent_conversation": None,
            "creator": "U0JANE",
            "is_ext_shared": False,
            "shared_team_ids": [self.team_id],
            "pending_connected_team_ids": [],
            "is_member": True,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }

    def _require_user(self, user_id: Any, error: str = "user_not_found") -> StubUser:
        user = self._users.get(str(user_id or ""))
        if user is None:
            raise SlackApiFailure(error)
        return user

    # ------------------------------------------------------------------ methods: auth/chat

    def _apps_connections_open(self, params: JSON) -> JSON:
        if self.socket_mode_url is None:  # no SocketModeServer attached: Socket Mode is off
            raise SlackApiFailure("internal_error")
        return {"ok": True, "url": self.socket_mode_url()}

    def _api_test(self, params: JSON) -> JSON:
        return {"ok": True, "args": params} if params else {"ok": True}

    def _auth_test(self, params: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "mava",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        self._check_message(params)
        message = self._store_message(channel, params)
        self._echoes.append(self.message_event(channel, message["ts"]))
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        user_id = str(params.get("user") or "")
        user = self._users.get(user_id)
        if not user_id or (user is None and self.strict_users) or (user and user.deleted):
            raise SlackApiFailure("user_not_in_channel")
        self._check_message(params)
        message_ts = self._next_ts()
        ephemeral: JSON = {"channel": channel, "user": user_id, "message_ts": message_ts}
        for key in ("text", "blocks", "attachments", "thread_ts"):
            if params.get(key):
                ephemeral[key] = copy.deepcopy(params[key])
        self._ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": message_ts}

    def _chat_update(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = self._find_message(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise SlackApiFailure("cant_update_message")
        if not any(params.get(k) is not None for k in ("text", "blocks", "attachments")):
            raise SlackApiFailure("no_text")
        self._check_message(params, require_content=False)
        before = copy.deepcopy(message)
        self._edit(message, params)
        kind = self._channel_kind(channel)
        edited_at = str(message["edited"]["ts"])
        self._echoes.append(
            slack_events.changed_event(before, message, channel, kind=kind, event_ts=edited_at)
        )
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = self._find_message(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise SlackApiFailure("cant_delete_message")
        self._remove_message(channel, ts)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_unfurl(self, params: JSON) -> JSON:
        """Either form Slack takes: channel + ts, or unfurl_id + source."""
        if params.get("unfurl_id") or params.get("source"):
            if params.get("source") not in slack_unfurls.SOURCES:
                raise SlackApiFailure("invalid_source")
            where = self._unfurl_ids.get(str(params.get("unfurl_id") or ""))
            if where is None:
                raise SlackApiFailure("invalid_unfurl_id")
            channel, ts = where
        elif params.get("channel") and params.get("ts"):
            channel = self._resolve_channel(params.get("channel"))
            ts = str(params["ts"])
        else:
            raise SlackApiFailure("invalid_arguments")
        message = self._find_message(channel, ts)
        if message is None and channel != slack_unfurls.COMPOSER:
            raise SlackApiFailure("cannot_find_message")
        urls = slack_unfurls.links_in(str((message or {}).get("text") or ""))
        unfurls = params.get("unfurls")
        problems = slack_unfurls.unfurl_problems(unfurls, urls) if message else []
        if problems:
            raise _invalid("cannot_unfurl_message", problems)
        if isinstance(unfurls, dict) and any(
            isinstance(u, dict) and block_kit_rules.has_blocks(u) for u in unfurls.values()
        ):
            block_problems = block_kit_rules.unfurl_problems(unfurls)
            refusal = block_kit_rules.Refusal("invalid_arguments", tuple(block_problems))
            self.tally.count(refusal if block_problems else None)
            if block_problems:
                raise _refused(refusal)
        if message is not None:  # Slack modifies the same unfurls on a second call
            message.setdefault("unfurls", {}).update(copy.deepcopy(unfurls))
        return {"ok": True}

    def _chat_get_permalink(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if not ts:
            raise SlackApiFailure("message_not_found")
        # Lenient on unknown ts: payloads in tests reference messages users "posted".
        permalink = self.permalink(channel, ts)
        stored = self._find_message(channel, ts)
        if stored is not None and stored.get("thread_ts") not in (None, ts):
            permalink += f"?thread_ts={stored['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _reacted_message(self, params: JSON) -> tuple[JSON, str]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("timestamp") or "")
        if not ts:
            raise SlackApiFailure("no_item_specified")
        message = self._find_message(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise SlackApiFailure("invalid_name")
        return message, name

    def _reactions_add(self, params: JSON) -> JSON:
        message, name = self._reacted_message(params)
        reactions: list[JSON] = message.setdefault("reactions", [])
        found = next((r for r in reactions if r["name"] == name), None)
        if found is not None and self.bot_user_id in found["users"]:
            raise SlackApiFailure("already_reacted")
        if found is None:
            found = {"name": name, "users": [], "count": 0}
            reactions.append(found)
        found["users"].append(self.bot_user_id)
        found["count"] = len(found["users"])
        return {"ok": True}

    def _reactions_remove(self, params: JSON) -> JSON:
        message, name = self._reacted_message(params)
        reactions: list[JSON] = message.get("reactions", [])
        found = next((r for r in reactions if r["name"] == name), None)
        if found is None or self.bot_user_id not in found["users"]:
            raise SlackApiFailure("no_reaction")
        found["users"].remove(self.bot_user_id)
        found["count"] = len(found["users"])
        if not found["users"]:
            reactions.remove(found)
        if not reactions:
            message.pop("reactions", None)
        return {"ok": True}

    # ------------------------------------------------------------------ methods: conversations

    def _conversations_info(self, params: JSON) -> JSON:
        channel_id = str(params.get("channel") or "")
        if not channel_id or channel_id in self.channels_not_found:
            raise SlackApiFailure("channel_not_found")
        if channel_id in self._channels:
            return {"ok": True, "channel": copy.deepcopy(self._channels[channel_id])}
        if channel_id.startswith("D"):
            user_id = f"U{channel_id[1:]}"
            return {
                "ok": True,
                "channel": {
                    "id": channel_id,
                    "created": 1_700_000_000,
                    "is_archived": False,
                    "is_im": True,
                    "is_org_shared": False,
                    "context_team_id": self.team_id,
                    "updated": 1_700_000_000_000,
                    "user": user_id,
                    "is_user_deleted": bool(
                        self._users.get(user_id) and self._users[user_id].deleted
                    ),
                    "priority": 0,
                },
            }
        return {"ok": True, "channel": self._synth_channel(channel_id, channel_id.lower())}

    def _conversations_open(self, params: JSON) -> JSON:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        if len(users) == 1:
            channel = self._resolve_channel(users[0])
        else:
            channel = "G" + "".join(u[1:] for u in sorted(users))[:20]
        return {"ok": True, "channel": {"id": channel}}

    def _conversations_history(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        try:
            return slack_history.history(self._messages.get(channel, []), params)
        except slack_history.HistoryError as refused:
            raise SlackApiFailure(refused.error) from refused

    def _conversations_replies(self, params: JSON) -> JSON:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        if self._find_message(channel, ts) is None:
            raise SlackApiFailure("thread_not_found")
        thread = [m for m in self._messages[channel] if ts in (m["ts"], m.get("thread_ts"))]
        try:
            return slack_history.replies(thread, params)
        except slack_history.HistoryError as refused:
            raise SlackApiFailure(refused.error) from refused

    # ------------------------------------------------------------------ methods: views

    def _new_view(self, spec: JSON, *, previous_view_id: str | None = None) -> JSON:
        """Store `spec` (a view `_check_view` took) as a new view."""
        view_id = f"V{next(self._ids):08d}"
        stored: JSON = {
            "id": view_id,
            "team_id": self.team_id,
            "type": spec["type"],
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": _view_hash(),
            "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if stored["external_id"] and self._find_view(None, stored["external_id"]) is not None:
            raise SlackApiFailure("duplicate_external_id")
        self._views[view_id] = stored
        return stored

    def _find_view(self, view_id: str | None, external_id: str | None) -> JSON | None:
        if view_id:
            return self._views.get(view_id)
        if external_id:
            for view in self._views.values():
                if view.get("external_id") == external_id:
                    return view
        return None

    def _check_trigger(self, trigger_id: Any) -> None:
        if not trigger_id:
            raise SlackApiFailure("invalid_arguments")
        # Slack's trigger ids work for 3 s. Ours (slack_requests.new_trigger_id) start
        # with the millisecond they were issued; other shapes never expire.
        head = str(trigger_id).split(".", 1)[0]
        issued_ms = int(head) if head.isdigit() else 0
        if issued_ms > 10**12 and time.time() - issued_ms / 1000 > self.trigger_ttl:
            raise SlackApiFailure("expired_trigger_id")

    def _views_open(self, params: JSON) -> JSON:
        self._check_trigger(params.get("trigger_id"))
        view = self._new_view(self._check_view(params.get("view")))
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_push(self, params: JSON) -> JSON:
        self._check_trigger(params.get("trigger_id"))
        # The stack's top is not knowable from a trigger id; the last opened view stands in.
        previous = next(reversed(self._views), None)
        spec = self._check_view(params.get("view"))
        view = self._new_view(spec, previous_view_id=previous)
        if previous is not None:
            view["root_view_id"] = self._views[previous]["root_view_id"]
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_update(self, params: JSON) -> JSON:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            raise SlackApiFailure("invalid_arguments")
        stored = self._find_view(view_id, external_id)
        if stored is None:
            raise SlackApiFailure("not_found")
        expected = params.get("hash")
        if expected and expected != stored["hash"]:
            raise SlackApiFailure("hash_conflict")
        spec = self._check_view(params.get("view"))
        for key in ("type", "title", "close", "submit"):
            stored[key] = spec.get(key)
        stored["blocks"] = spec.get("blocks", [])
        stored["private_metadata"] = spec.get("private_metadata", "")
        stored["callback_id"] = spec.get("callback_id", "")
        stored["clear_on_close"] = bool(spec.get("clear_on_close", False))
        stored["notify_on_close"] = bool(spec.get("notify_on_close", False))
        if spec.get("external_id"):
            stored["external_id"] = spec["external_id"]
        stored["hash"] = _view_hash()
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _views_publish(self, params: JSON) -> JSON:
        user = self._require_user(params.get("user_id"))
        spec = self._check_view(params.get("view"))
        if spec["type"] != "home":
            raise _invalid("invalid_arguments", ["must be 'home' [json-pointer:/view/type]"])
        # One App Home per member: publishing replaces the previous one.
        previous = self._home_views.pop(user.id, None)
        if previous is not None:
            self._views.pop(previous, None)
        view = self._new_view(spec)
        self._home_views[user.id] = view["id"]
        return {"ok": True, "view": copy.deepcopy(view)}

    # ------------------------------------------------------------------ methods: users/groups

    def _users_info(self, params: JSON) -> JSON:
        return {"ok": True, "user": self._require_user(params.get("user")).to_slack()}

    def _users_lookup_by_email(self, params: JSON) -> JSON:
        email = str(params.get("email") or "").lower()
        for user in self._users.values():
            if user.email is not None and user.email.lower() == email and not user.is_bot:
                return {"ok": True, "user": user.to_slack()}
        raise SlackApiFailure("users_not_found")

    def _users_conversations(self, params: JSON) -> JSON:
        """The channels `user` was `join`ed to (one page, archived ones left out)."""
        user = self._require_user(params.get("user")).id
        found = [
            copy.deepcopy(self._channels.get(c) or self._synth_channel(c, c.lower()))
            for c, members in self._members.items()
            if user in members
        ]
        channels = [c for c in found if not c.get("is_archived")]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _users_list(self, params: JSON) -> JSON:
        return {
            "ok": True,
            "members": [u.to_slack() for u in self._users.values()],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": ""},
        }

    def _usergroups_list(self, params: JSON) -> JSON:
        include_users = str(params.get("include_users", "")).lower() in ("1", "true")
        groups = []
        for group in self._usergroups.values():
            shown: JSON = {
                "id": group["id"],
                "team_id": self.team_id,
                "is_usergroup": True,
                "name": group["name"],
                "description": "",
                "handle": group["handle"],
                "is_external": False,
                "date_create": 1_700_000_000,
                "date_update": 1_700_000_000,
                "date_delete": 0,
                "auto_type": None,
                "created_by": "U0JANE",
                "updated_by": "U0JANE",
                "deleted_by": None,
                "prefs": {"channels": [], "groups": []},
                "user_count": len(group["users"]),
            }
            if include_users:
                shown["users"] = list(group["users"])
            groups.append(shown)
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, params: JSON) -> JSON:
        group = self._usergroups.get(str(params.get("usergroup") or ""))
        if group is None:
            raise SlackApiFailure("no_such_subteam")
        return {"ok": True, "users": list(group["users"])}


def create_slack_stub_app(stub: SlackStub) -> web.Application:
    """An aiohttp app serving `stub`: ``/api/{method}`` and ``POST /response/{name}``.
    When embedding it yourself, call `stub.bind_url(...)` with where it is served."""
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_route("GET", "/api/{method}", stub.handle_api)
    app.router.add_route("POST", "/api/{method}", stub.handle_api)
    app.router.add_post("/response/{name:.+}", stub.handle_response_url)
    stub.files.routes(app)  # url_private, and the sign-in page Slack answers it with
    return app


@contextlib.asynccontextmanager
async def running_slack_stub(
    *, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> AsyncIterator[SlackStub]:
    """Serve a `SlackStub(**options)` on a free loopback port for the duration of the block."""
    stub = SlackStub(**options)
    await stub.start(host, port)
    try:
        yield stub
    finally:
        await stub.stop()


# ---------------------------------------------------------------------- parsing and validation


async def _read_params(request: web.Request) -> tuple[JSON, str | None]:
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
    for key in _JSON_FIELDS & params.keys():
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


def _parse_response_body(raw: str, content_type: str) -> JSON:
    if content_type == "application/json" or raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw)
        except ValueError:
            return {"_raw": raw}
        return body if isinstance(body, dict) else {"_raw": body}
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in fields:
        return _parse_response_body(fields["payload"], "application/json")
    return dict(fields)


def _view_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def _invalid(error: str, problems: list[str]) -> SlackApiFailure:
    # Slack explains validation failures in response_metadata.messages.
    return SlackApiFailure(
        error, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
    )


def _refused(refusal: block_kit_rules.Refusal) -> SlackApiFailure:
    return (
        _invalid(refusal.error, list(refusal.problems))
        if refusal.problems
        else (SlackApiFailure(refusal.error))
    )


__all__ = [
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_TEAM_DOMAIN",
    "DEFAULT_TEAM_ID",
    "DEFAULT_TEAM_NAME",
    "DEFAULT_USERGROUPS",
    "DEFAULT_USERS",
    "RESPONSE_URL",
    "STUB_APP_ID",
    "STUB_BOT_ID",
    "STUB_BOT_USER_ID",
    "SlackApiFailure",
    "SlackCall",
    "SlackStub",
    "StubUser",
    "create_slack_stub_app",
    "running_slack_stub",
]
