"""Telling a person their slash command was acked but not run, because the bot is
stopping (slack.inflight drops queued commands near the end of the drain), or was cut
off while it ran (what still runs when the drain ends is cancelled).

Nothing of the command was done, so sending it again does it once. The answer goes the
way every answer goes (`Answer`: the response_url, else an ephemeral, else a DM).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack import blocks as b
from mava_bridge.slack.answer import Answer

# How much of the command's text is quoted back (a reply can be long).
QUOTE_CHARS: Final = 80


def not_run_sentence(body: dict[str, Any], *, started: bool = False) -> str:
    command = str(body.get("command") or "/mava")
    text = " ".join(str(body.get("text") or "").split())
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1] + "…"
    said = f"{command} {text}".strip()
    if started:
        return (
            f"mava-bot was restarting while it ran `{said}`: it may or may not have been "
            "done. Check the ticket in Mava before you send it again."
        )
    return (
        f"mava-bot was restarting and did not run `{said}`: nothing was done. Please send it again."
    )


def not_run(
    client: AsyncWebClient | None, body: dict[str, Any]
) -> Callable[[bool], Awaitable[bool]] | None:
    """A call that tells the person who sent the slash command `body` it was not run, or
    (`started`) was cut off while it ran (None without a client to tell them with)."""
    if client is None:
        return None

    async def tell(started: bool) -> bool:
        url = body.get("response_url")
        respond = AsyncRespond(response_url=str(url)) if url else None
        channel = body.get("channel_id")
        answer = Answer(client, str(body.get("user_id") or ""), channel or None, respond)
        sentence = not_run_sentence(body, started=started)
        return await answer(text=b.error_text(sentence), blocks=b.error_blocks(sentence))

    return tell
