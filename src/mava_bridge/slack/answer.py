"""Telling the person who acted what happened, even when Slack refuses the usual way.

A write to Mava that happened must be confirmed: someone who hears nothing types it
again after the duplicate window, and the customer gets it twice. So an answer goes
first to the interaction's response_url (ephemeral, or replacing the message the button
was on), then, if Slack refuses that (404 expired_url, a 5xx, a timeout), as an
ephemeral message in the channel, then as a direct message. Each refusal is logged as
a WARNING naming Slack's error; never the response_url, which lets anyone post as the
bot for 30 minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack.errors import slack_error, webhook_error

log = logging.getLogger("mava_bridge.slack.answer")


@dataclass(frozen=True)
class Answer:
    """Where to tell one person about one interaction. Call it like Bolt's `respond`."""

    client: AsyncWebClient
    user_id: str
    channel_id: str | None = None
    respond: AsyncRespond | None = None

    async def __call__(
        self,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        replace_original: bool = False,
    ) -> bool:
        """Deliver the message; False (and an ERROR logged) only if every way failed."""
        where = {"slack_user": self.user_id, "channel": self.channel_id}
        if self.respond is not None and self.respond.response_url:
            # Our links are unfurled by us or not at all (listeners/unfurls.py).
            error = await self._via_response_url(
                text=text,
                blocks=blocks,
                replace_original=replace_original,
                unfurl_links=False,
                unfurl_media=False,
            )
            if error is None:
                return True
            log.warning(
                "response_url refused the answer (%s); trying an ephemeral message",
                error,
                extra={"error": error, **where},
            )
        if self.channel_id:
            try:
                await self.client.chat_postEphemeral(
                    channel=self.channel_id, user=self.user_id, text=text, blocks=blocks
                )
                return True
            except Exception as exc:
                error = slack_error(exc)
                log.warning(
                    "chat.postEphemeral failed (%s); trying a direct message",
                    error,
                    extra={"error": error, **where},
                )
        try:
            opened = await self.client.conversations_open(users=self.user_id)
            await self.client.chat_postMessage(
                channel=str(opened["channel"]["id"]),
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
            return True
        except Exception as exc:
            error = slack_error(exc)
            log.error(
                "could not tell the user the outcome (%s)", error, extra={"error": error, **where}
            )
            return False

    async def delete_original(self) -> None:
        """Remove the ephemeral the button was on: Slack deletes one only through the
        click's response_url. A refusal is one WARNING; what the click did stands."""
        if self.respond is None or not self.respond.response_url:
            return
        error = await self._via_response_url(delete_original=True)
        if error is not None:
            log.warning(
                "response_url refused to delete the message (%s)",
                error,
                extra={"error": error, "slack_user": self.user_id, "channel": self.channel_id},
            )

    async def _via_response_url(self, **message: Any) -> str | None:
        assert self.respond is not None
        try:
            response = await self.respond(**message)
        except Exception as exc:  # connection refused, timeout: Slack may be unreachable
            return slack_error(exc)
        return webhook_error(response)
