"""Telling the person who acted what happened, even when Slack refuses the usual way.

A write to Mava that happened must be confirmed: someone who hears nothing types it
again after the duplicate window, and the customer gets it twice. So an answer goes to
the interaction's response_url, then, if Slack refuses that (404 expired_url, a 5xx, a
timeout), as an ephemeral message in the channel, then as a direct message. Each refusal
is one WARNING naming Slack's error; never the response_url, which lets anyone post as
the bot for 30 minutes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from mava_bridge.slack import blocks as b
from mava_bridge.slack.errors import MAX_CODE, slack_error
from mava_bridge.slack.inflight import Untold

log = logging.getLogger("mava_bridge.slack.answer")

# What a Slack error code looks like ("expired_url", "channel_not_found").
_CODE = re.compile(r"[a-z][a-z0-9_.]{0,99}")
# How much of a slash command's text `not_run` quotes back (a reply can be long).
QUOTE_CHARS: Final = 80


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
        assert self.respond is not None and self.respond.response_url
        # Through the bot's connection pool (`client.session`, when it has one): Bolt's
        # `respond` opens a session, a new connection to Slack, for every answer, and a
        # burst's answers or a shutdown's "not run" notes then cost most of their time in
        # handshakes. The body is what `respond` sends: always a text, blocks when any.
        webhook = AsyncWebhookClient(
            self.respond.response_url,
            session=self.client.session,
            proxy=self.respond.proxy,
            ssl=self.respond.ssl,
        )
        blocks = message.pop("blocks", None)
        body = {"text": "", **message} | ({"blocks": list(blocks)} if blocks else {})
        try:
            response = await webhook.send_dict(body)
        except Exception as exc:  # connection refused, timeout: Slack may be unreachable
            return slack_error(exc)
        return webhook_error(response)


def webhook_error(response: WebhookResponse) -> str | None:
    """Why a post to a response_url was refused, or None when Slack took it. Bolt's
    `respond()` does not raise on a refusal (Slack answers e.g. 404 "expired_url", or 200
    "ok"; proxies may answer HTML)."""
    body = (response.body or "").strip()
    parsed: Any = None
    if body.startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    refused = isinstance(parsed, dict) and parsed.get("ok") is False
    if 200 <= response.status_code < 300 and not refused:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return str(parsed["error"])[:MAX_CODE]
    if _CODE.fullmatch(body) and body != "ok":
        return body
    return f"HTTP {response.status_code}"


def not_run(client: AsyncWebClient, body: dict[str, Any]) -> Untold:
    """Tells the person who sent the slash command `body` that the bot, stopping, did not
    run it (nothing was done, so sending it again does it once), or cut it off while it
    ran (`started`: it may or may not have been done)."""

    async def tell(started: bool) -> bool:
        text = " ".join(str(body.get("text") or "").split())
        if len(text) > QUOTE_CHARS:
            text = text[: QUOTE_CHARS - 1] + "…"
        said = f"{body.get('command') or '/mava'} {text}".strip()
        url = body.get("response_url")
        respond = AsyncRespond(response_url=str(url)) if url else None
        channel = body.get("channel_id") or None
        answer = Answer(client, str(body.get("user_id") or ""), channel, respond)
        sentence = (
            f"mava-bot was restarting while it ran `{said}`: it may or may not have been "
            "done. Check the ticket in Mava before you send it again."
            if started
            else f"mava-bot was restarting and did not run `{said}`: nothing was done. "
            "Please send it again."
        )
        return await answer(text=b.error_text(sentence), blocks=b.error_blocks(sentence))

    return tell
