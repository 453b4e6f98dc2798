"""`SlackEventSender`: posts the requests the other slack_* builders make to the bot,
signed, and keeps what Slack would (response_url, trigger ids, event ids).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from mava_sandbox.slack_actions import block_actions
from mava_sandbox.slack_commands import global_shortcut, message_shortcut, slash_command
from mava_sandbox.slack_event_payloads import event_callback, retry_headers, url_verification
from mava_sandbox.slack_signing import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_USER_ID,
    UNROUTABLE_RESPONSE_URL,
    sign,
)
from mava_sandbox.slack_stub import (
    DEFAULT_TEAM_ID,
    SlackStub,
)
from mava_sandbox.slack_view_payloads import view_closed, view_submission

# ---------------------------------------------------------------------- sender


class SlackEventSender:
    """Posts signed Slack requests to the bot's ``/slack/events`` URL, as Slack would.

    Response URLs in payloads come from, in order: the call's `response_url`, the sender's
    `response_url`, a fresh ``stub.response_url(channel=..., message_ts=...)`` when a `stub`
    was given (so replace_original/in_channel act on the stub's messages), else
    UNROUTABLE_RESPONSE_URL. The last one used is kept in `last_response_url`.
    """

    def __init__(
        self,
        url: str,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        *,
        client: httpx.AsyncClient | None = None,
        stub: SlackStub | None = None,
        response_url: str | None = None,
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        team_id: str = DEFAULT_TEAM_ID,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.stub = stub
        self.response_url = response_url
        self.user_id = user_id
        self.channel_id = channel_id
        self.team_id = team_id
        self.last_response_url: str | None = None
        self.last_event_body: str | None = None  # what `event` posted last (for `redeliver`)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _response_url(
        self,
        explicit: str | None,
        channel_id: str | None,
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        if explicit is not None:
            url = explicit
        elif self.response_url is not None:
            url = self.response_url
        elif self.stub is not None:
            url = self.stub.response_url(
                channel=channel_id, message_ts=message_ts, ephemeral=ephemeral
            )
        else:
            url = UNROUTABLE_RESPONSE_URL
        self.last_response_url = url
        return url

    async def post(
        self,
        body: str | bytes,
        *,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Sign `body` (at `timestamp`, default now) and post it; `headers` are added
        (e.g. ``X-Slack-Retry-Num``)."""
        signed = sign(self.signing_secret, body, timestamp)
        signed.update(headers or {})
        return await self.post_raw(body, signed)

    async def post_raw(
        self, body: str | bytes, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """Post `body` with exactly `headers` (no signing): for bad-signature tests."""
        content = body.encode() if isinstance(body, str) else body
        return await self._client.post(self.url, content=content, headers=dict(headers or {}))

    async def command(
        self,
        text: str,
        *,
        command: str = "/mava",
        user_id: str | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Run ``/mava text``; extra `fields` go to `slash_command` (user_name, team_domain…)."""
        channel = channel_id or self.channel_id
        body = slash_command(
            text,
            command=command,
            user_id=user_id or self.user_id,
            team_id=fields.pop("team_id", self.team_id),
            channel_id=channel,
            response_url=self._response_url(response_url, channel),
            trigger_id=trigger_id,
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def shortcut(
        self,
        callback_id: str,
        *,
        message: Mapping[str, Any],
        user_id: str | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Run the message shortcut `callback_id` on `message`."""
        channel = channel_id or self.channel_id
        body = message_shortcut(
            callback_id,
            message=message,
            user_id=user_id or self.user_id,
            channel_id=channel,
            team_id=fields.pop("team_id", self.team_id),
            response_url=self._response_url(response_url, channel, message.get("ts")),
            trigger_id=trigger_id,
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def global_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        body = global_shortcut(
            callback_id,
            user_id=user_id or self.user_id,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def action(
        self,
        action_id: str,
        value: str | Sequence[str] | None = None,
        *,
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Click/select `action_id` on `message` (in `channel_id`) or in `view`.
        Actions in views get no channel and no response_url, as from Slack."""
        channel = None if view is not None else (channel_id or self.channel_id)
        if view is not None:
            url = response_url
        else:
            ts = fields.get("message_ts") or (message or {}).get("ts")
            url = self._response_url(response_url, channel, ts, bool(fields.get("is_ephemeral")))
        body = block_actions(
            action_id,
            value,
            user_id=user_id or self.user_id,
            channel_id=channel,
            message=message,
            view=view,
            response_url=url,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def submit_view(
        self,
        callback_id: str,
        values: Mapping[str, Any],
        *,
        user_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        private_metadata: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """Submit the modal `callback_id` with `values` (see `state_values` for the forms)."""
        body = view_submission(
            callback_id,
            values,
            user_id=user_id or self.user_id,
            view=view,
            private_metadata=private_metadata,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def close_view(
        self,
        callback_id: str,
        *,
        user_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> httpx.Response:
        body = view_closed(
            callback_id,
            user_id=user_id or self.user_id,
            view=view,
            team_id=fields.pop("team_id", self.team_id),
            **fields,
        )
        return await self.post(body, timestamp=timestamp)

    async def event(
        self,
        event: Mapping[str, Any],
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **fields: Any,
    ) -> httpx.Response:
        """Deliver `event` in an event_callback; `fields` go to `event_callback` (event_id,
        event_time...). `retry_num` adds Slack's retry headers (pass the first delivery's
        event_id to make it the same event again, or use `redeliver`)."""
        body = event_callback(event, team_id=fields.pop("team_id", self.team_id), **fields)
        self.last_event_body = body
        headers = retry_headers(retry_num, retry_reason) if retry_num is not None else None
        return await self.post(body, timestamp=timestamp, headers=headers)

    @property
    def last_event_id(self) -> str | None:
        """The event_id of the last event posted with `event`."""
        if self.last_event_body is None:
            return None
        return str(json.loads(self.last_event_body)["event_id"])

    async def redeliver(
        self, retry_num: int = 1, reason: str = "http_timeout", *, body: str | None = None
    ) -> httpx.Response:
        """Slack's retry: the same event_callback body (default: the last `event`), signed
        anew, with ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``."""
        body = body if body is not None else self.last_event_body
        if body is None:
            raise RuntimeError("no event to redeliver: post one with event() first")
        return await self.post(body, headers=retry_headers(retry_num, reason))

    async def url_verification(self, challenge: str | None = None) -> httpx.Response:
        """Save the Request URL in the app config: Slack's signed url_verification."""
        return await self.post(url_verification(challenge))
