"""Is a post whose outcome is unknown in Slack already? Read it back by its metadata.

Every alert, reminder, followed-thread post and assignment DM carries metadata naming it
(`metadata(tag)`). When a process died or lost an answer between Slack taking a post and
the ledger recording it, the next leader asks `find` (the thread, or the channel since
the claim) or `listed` (a person's DM channel) before posting again; found, the ledger
records that ts. When Slack will not let the bot look (a missing scope, not in the
channel, rate limited, unreachable) the answer is UNSURE: the caller posts again (never
lose, may repeat), and the cause is one WARNING per process (and once more for DMs).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.ports import UNSURE, Seen, Tag, Unsure
from mava_bridge.slack.errors import slack_error

log = logging.getLogger(__name__)
T = TypeVar("T")

EVENT_TYPE: Final = "mava_bridge_post"
PAGE: Final = 200  # messages a page (Slack's maximum for these methods is 999 or less)
MAX_PAGES: Final = 25  # beyond this, too busy a channel to read back: unsure
# Slack's ts is Slack's clock; the claim time is ours: read from a little earlier.
CLOCK_SKEW: Final = timedelta(minutes=5)
_SCOPES: Final = "channels:history and groups:history"
_HINTS: Final = {
    "missing_scope": f"the app lacks {_SCOPES}: reinstall it from manifest.yml",
    "not_in_channel": "the app is not in the channel",
    "channel_not_found": "the channel is gone or private without the app",
    "ratelimited": "Slack rate-limited the read",
}
_DM_HINTS: Final = {
    "missing_scope": "the app lacks im:history: reinstall it from manifest.yml",
    "ratelimited": "Slack rate-limited the read",
}


def metadata(tag: Tag) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": tag.kind, "key": tag.key}
    if tag.ticket is not None:
        payload["ticket"] = tag.ticket
    if tag.items:
        payload["items"] = list(tag.items)
    return {"event_type": EVENT_TYPE, "event_payload": payload}


def is_tagged(message: Any, tag: Tag) -> bool:
    found = message.get("metadata") if isinstance(message, dict) else None
    if not isinstance(found, dict) or found.get("event_type") != EVENT_TYPE:
        return False
    payload = found.get("event_payload")
    return (
        isinstance(payload, dict)
        and payload.get("kind") == tag.kind
        and payload.get("key") == tag.key
    )


def where_dm(channel: str) -> bool:
    """A user id: a DM is posted to the person, and read in their DM channel."""
    return channel[:1] in ("U", "W")


class _TooMany(Exception):
    """More pages than MAX_PAGES: not read to the end."""


class SlackLookback:
    """delivery's `Lookback`: the poster's own posts read back."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._told: set[str] = set()  # causes already logged

    async def find(
        self, channel: str, tag: Tag, *, since: datetime, thread_ts: str | None = None
    ) -> Seen:
        async def first() -> Seen:
            async for message in self._messages(channel, since, thread_ts):
                if is_tagged(message, tag):
                    return str(message["ts"]) if message.get("ts") else None
            return None

        return await self._or_unsure(first(), dm=False)

    async def listed(self, channel: str, tag: Tag, *, since: datetime) -> dict[str, str] | Unsure:
        """The items messages tagged like `tag` name, with their ts."""

        async def items() -> dict[str, str]:
            found: dict[str, str] = {}
            where = await self._conversation(channel)
            async for message in self._messages(where, since, None):
                if not is_tagged(message, tag) or not message.get("ts"):
                    continue
                named = message["metadata"]["event_payload"].get("items")
                for item in named if isinstance(named, list) else []:
                    found.setdefault(str(item), str(message["ts"]))
            return found

        return await self._or_unsure(items(), dm=where_dm(channel))

    async def _or_unsure(self, reading: Awaitable[T], *, dm: bool) -> T | Unsure:
        try:
            return await reading
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._unsure(slack_error(exc), dm=dm)
        except _TooMany:
            self._unsure(f"more than {MAX_PAGES * PAGE} messages to read")
        return UNSURE

    async def _conversation(self, channel: str) -> str:
        """A user id (a DM is posted to the person) is read as the DM channel."""
        if not where_dm(channel):
            return channel
        opened = await self._client.conversations_open(users=channel)
        found = (opened.get("channel") or {}).get("id")
        return str(found) if found else channel

    async def _messages(
        self, channel: str, since: datetime, thread_ts: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            if thread_ts is not None:
                page = await self._client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    include_all_metadata=True,
                    limit=PAGE,
                    cursor=cursor,
                )
            else:
                page = await self._client.conversations_history(
                    channel=channel,
                    oldest=f"{(since - CLOCK_SKEW).timestamp():.6f}",
                    inclusive=True,
                    include_all_metadata=True,
                    limit=PAGE,
                    cursor=cursor,
                )
            for message in page.get("messages") or []:
                if isinstance(message, dict):
                    yield message
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return
        raise _TooMany

    def _unsure(self, cause: str, *, dm: bool = False) -> None:
        told = f"{cause} (DM)" if dm else cause
        if told in self._told:
            return
        self._told.add(told)
        hint = _DM_HINTS.get(cause) if dm else _HINTS.get(cause)
        log.warning(
            "Slack could not tell whether an interrupted post went out (%s%s); posting it "
            "again, so it may show twice",
            cause,
            f": {hint}" if hint else "",
        )
