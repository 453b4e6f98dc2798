"""Posting digests, alerts and thread replies to Slack (delivery's `Poster`), and updating
followed tickets' cards: paced, retried, and every failure classified. Also the audit
channel's copy of each audit record (`AuditChannel`).

Slack allows about one message per second per channel, so posts to one channel are
spaced `min_interval` apart. A 429 is retried after its `Retry-After`, 5xx answers and
connection failures with backoff (a post that timed out may have reached Slack: see
`store.ledger` for duplicates). Anything else (channel_not_found, invalid_auth...) will
not get better by retrying: it is raised at once as `DeliveryFailed(retryable=False)`.
Given `Stopping.sleep` as its `sleep`, a retry's wait ends at shutdown with the failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.ports import CONNECTION_ERROR, DeliveryFailed, Tag
from mava_bridge.domain.retry import SLACK_RETRY, RetryPolicy, ShuttingDown, retry_after
from mava_bridge.observability.metrics import Metrics
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.threads import images_as_links
from mava_bridge.slack.errors import (
    TRANSIENT_ERRORS,
    error_code,
    http_status,
    slack_error,
    unreachable,
)
from mava_bridge.slack.lookback import SlackLookback, metadata
from mava_bridge.store.writes import AuditRecord

log = logging.getLogger(__name__)
audit_log = logging.getLogger("mava_bridge.actions")

Sleep = Callable[[float], Awaitable[None]]

# Errors after which no post to the channel can succeed until someone acts.
CHANNEL_ERRORS: Final = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "team_access_not_granted",
        "missing_scope",
        "ekm_access_denied",
    }
)
# The message itself was refused; the text-only fallback is still worth a try.
_BLOCK_ERRORS: Final = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_too_long"})

HINTS: Final = {
    "channel_not_found": "the channel does not exist or is private without the app in it",
    "not_in_channel": "the app is not in the channel: invite it with /invite",
    "is_archived": "the channel is archived",
    "invalid_auth": "Slack rejected the bot token: check SLACK_BOT_TOKEN",
    "not_authed": "no Slack bot token was sent: check SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot token belongs to a deactivated app or user",
    "missing_scope": "the app lacks the chat:write scope: reinstall it",
}


def _failed(error: str, retryable: bool, detail: str | None = None) -> DeliveryFailed:
    """Slack's error as delivery's value: whether the channel is unusable, and a hint."""
    return DeliveryFailed(
        error,
        retryable,
        detail,
        channel_unusable=error in CHANNEL_ERRORS,
        hint=HINTS.get(error),
    )


def _retry_after(response: Any) -> float | None:
    headers: Any = getattr(response, "headers", None) or {}
    return retry_after(headers.get("Retry-After") or headers.get("retry-after"))


class SlackPoster(SlackLookback):
    """One per process (the pace is per channel); it reads its own posts back too."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        metrics: Metrics,
        min_interval: float = 1.0,
        retry: RetryPolicy = SLACK_RETRY,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(client)
        self._metrics = metrics
        self._min_interval = min_interval
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_post: dict[str, float] = {}

    async def post(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        tag: Tag | None = None,
    ) -> str:
        """Post and return the message's `ts`, or raise `DeliveryFailed`. `tag` goes
        with it as message metadata (`slack.lookback`)."""
        response = await self._send(
            self._client.chat_postMessage,
            blocks,
            channel=channel,
            text=text,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            metadata=metadata(tag) if tag is not None else None,
        )
        ts = response.get("ts")
        if not isinstance(ts, str):
            raise _failed("unexpected_response", True, "no ts in the answer")
        return ts

    async def upload(
        self, channel: str, filename: str, data: bytes, title: str, *, thread_ts: str | None
    ) -> None:
        """Share `data` as a file in the channel or thread (`files:write`), like a post."""
        await self._send(
            self._client.files_upload_v2,
            None,
            channel=channel,
            filename=filename,
            content=data,
            title=title,
            thread_ts=thread_ts,
        )

    async def update(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """`chat.update` the message at `ts` (a followed ticket's card), like a post. Its
        text alone has `blocks=[]`: an update without blocks keeps the old ones."""
        await self._send(self._client.chat_update, blocks, [], channel=channel, ts=ts, text=text)

    async def _send(
        self,
        call: Callable[..., Awaitable[Any]],
        blocks: Sequence[dict[str, Any]] | None,
        text_only: Sequence[dict[str, Any]] | None = None,
        **fields: Any,
    ) -> Any:
        """Refused blocks: a message drawing images goes again with each image as a link
        (Slack refuses a whole message when it cannot fetch an image: one WARNING); refused
        still, or without images (a bug of ours: an ERROR), as text alone."""
        channel = str(fields["channel"])

        def send(with_blocks: Sequence[dict[str, Any]] | None) -> Awaitable[Any]:
            return call(**fields, **({} if with_blocks is None else {"blocks": list(with_blocks)}))

        async with self._locks.setdefault(channel, asyncio.Lock()):
            try:
                return await self._with_retries(channel, lambda: send(blocks))
            except DeliveryFailed as failure:
                if blocks is None or failure.error not in _BLOCK_ERRORS:
                    raise
                linked = images_as_links(blocks)
                if linked is not None:  # most likely an image Slack could not fetch
                    try:
                        sent = await self._with_retries(channel, lambda: send(linked))
                    except DeliveryFailed as again:
                        if again.error not in _BLOCK_ERRORS:
                            raise
                    else:
                        log.warning(
                            "slack could not fetch an image; sent it as a link",
                            extra={"channel": channel, **failure.log_fields()},
                        )
                        return sent
                log.error(
                    "slack refused our blocks; sending text only",
                    extra={"channel": channel, "error": failure.error, "detail": failure.detail},
                )
                return await self._with_retries(channel, lambda: send(text_only))

    async def _with_retries(self, channel: str, call: Callable[[], Awaitable[Any]]) -> Any:
        failure: DeliveryFailed | None = None
        for attempt in range(self._retry.attempts):
            await self._pace(channel)
            delay: float
            reason: str
            try:
                response = await call()
            except SlackApiError as exc:
                status = http_status(exc.response)
                error = error_code(exc.response) or "unexpected_response"
                if status == 429 or error == "ratelimited":
                    delay = self._retry.rate_limited(attempt, _retry_after(exc.response))
                    reason = "rate_limited"
                    failure = _failed("ratelimited", True)
                elif (status is not None and status >= 500) or error in TRANSIENT_ERRORS:
                    delay = self._retry.backoff(attempt)
                    reason = "server_error"
                    failure = _failed(error, True, f"HTTP {status}")
                else:
                    detail = None
                    metadata = getattr(exc.response, "data", None)
                    if isinstance(metadata, dict):
                        messages = (metadata.get("response_metadata") or {}).get("messages")
                        detail = "; ".join(map(str, messages))[:500] if messages else None
                    raise _failed(error, False, detail) from exc
            except SlackRequestError as exc:  # the upload URL refused the bytes
                raise _failed("upload_failed", False, str(exc)[:200]) from exc
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                delay = self._retry.backoff(attempt)
                reason = CONNECTION_ERROR
                # The host and the cause, as Mava's are said (mava.errors.describe).
                failure = _failed(CONNECTION_ERROR, True, unreachable(exc, self._client.base_url))
            else:
                return response
            if self._retry.retries_left(attempt):
                self._metrics.observe_slack_retry(reason)
                log.info(
                    "slack post retry",
                    extra={"channel": channel, "error": failure.error, "delay": round(delay, 2)},
                )
                try:
                    await self._sleep(delay)
                except ShuttingDown:
                    break  # the caller records the failure, to be tried again later
        assert failure is not None
        raise failure

    async def _pace(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = last + self._min_interval - self._clock()
            if wait > 0:
                try:
                    await self._sleep(wait)
                except ShuttingDown:
                    # A pace is at most min_interval and the drain bounds it: keep
                    # Slack's pace and let the post that is under way finish.
                    await asyncio.sleep(max(0.0, last + self._min_interval - self._clock()))
        self._last_post[channel] = self._clock()


class AuditChannel:
    """`services.outcome.AuditMirror` to AUDIT_CHANNEL: the database row is the record, so
    a failed post is logged and nothing more."""

    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    async def __call__(self, record: AuditRecord) -> None:
        where = f" in <#{record.channel_id}>" if (record.channel_id or "").startswith("C") else ""
        ticket = f" `{record.ticket_id}`" if record.ticket_id else ""
        line = (
            f"{t.mention(record.slack_user_id[:40])} {t.escape(record.action)}{ticket}{where}: "
            f"{t.excerpt(record.summary, 300)} ({record.outcome})"
        )
        try:
            await self._client.chat_postMessage(
                channel=self._channel, text=line, unfurl_links=False
            )
        except Exception as exc:  # the database record stands; the channel is a mirror
            audit_log.warning("audit channel post failed", extra={"error": slack_error(exc)})
