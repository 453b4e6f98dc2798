"""The Slack stub's state, in one place: tokens, the directory, channels, messages,
views, calls and faults, with the helpers every API family shares. The family mixins
(slack_chat, slack_views, slack_directory, slack_people, slack_recording) act on it.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from mava_sandbox import block_kit_rules, slack_history
from mava_sandbox.slack_files import StubFiles
from mava_sandbox.slack_stub_types import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    DEFAULT_TEAM_NAME,
    DEFAULT_USERGROUPS,
    DEFAULT_USERS,
    JSON,
    STUB_APP_ID,
    STUB_BOT_ID,
    STUB_BOT_USER_ID,
    TRIGGER_TTL_SECONDS,
    MethodHandler,
    ResponseTarget,
    SlackApiFailure,
    SlackCall,
    StubFault,
    StubUser,
    invalid_failure,
    refusal_failure,
)


class StubState:
    """State of the fake Slack and the helpers its API families share."""

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
        # conversations.replies given a thread reply's ts: "reply" (default) answers that
        # reply alone; "thread" its whole thread, the root first whatever the bounds.
        # Slack's docs allow either reading ("a thread's parent message or a message in
        # the thread"): the bot must work with both.
        self.replies_of_a_reply: str = "reply"
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
        self._faults: dict[str, list[StubFault]] = {}
        self._slow: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}  # calls of a slowed method not answered yet
        self._response_targets: dict[str, ResponseTarget] = {}
        self._last_ts_us = 0
        self._ids = itertools.count(1)
        self._base_url: str | None = None
        self._runner: web.AppRunner | None = None
        # Files people share: `files.add(...)` gives the `files` of a user_message.
        self.files = StubFiles(self)

        self._methods: dict[str, MethodHandler] = self._method_table()

    def _method_table(self) -> dict[str, MethodHandler]:
        """The Web API methods served, by name (SlackStub lists its families')."""
        raise NotImplementedError

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
        ephemeral: bool = False,
    ) -> str:
        """A response_url to put in a payload. Bound to `channel` (and `message_ts`, an
        ephemeral's when `ephemeral`), posts to it act like Slack's: in_channel posts a
        message, replace/delete_original edit or remove the message or ephemeral."""
        name = name or f"r{next(self._ids)}"
        if channel is not None:
            self._response_targets[name] = ResponseTarget(channel, message_ts, ephemeral)
        return f"{self.base_url}response/{name}"

    def permalink(self, channel: str, ts: str) -> str:
        return f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def dm_channel(self, user_id: str) -> str:
        """The IM channel id Slack would open for `user_id` (posting to a user id lands here)."""
        return f"D{user_id[1:]}"

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
            raise refusal_failure(refusal)

    def _check_view(self, view: Any) -> JSON:
        """The view (decoded, copied) if Slack takes it, else raise what Slack answers."""
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError as exc:
                raise invalid_failure("invalid_arguments", ["view is not valid JSON"]) from exc
        refusal = block_kit_rules.view_refusal(view)
        self.tally.count(refusal)
        if refusal is not None:
            raise refusal_failure(refusal)
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

    def _find_view(self, view_id: str | None, external_id: str | None) -> JSON | None:
        if view_id:
            return self._views.get(view_id)
        if external_id:
            for view in self._views.values():
                if view.get("external_id") == external_id:
                    return view
        return None

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
