"""Small helpers the listener modules share."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.mava.errors import MavaError
from bot.services.errors import ServiceError
from bot.slack import blocks as b
from bot.slack.access import Denied
from bot.slack.deps import Deps
from bot.slack.execution import Outcome

log = logging.getLogger("bot.slack")


async def say_error(respond: AsyncRespond, sentence: str) -> None:
    """An ephemeral error; `sentence` is plain text (escaped here)."""
    await respond(
        text=b.error_text(sentence), blocks=b.error_blocks(sentence), replace_original=False
    )


async def say_outcome(respond: AsyncRespond, outcome: Outcome) -> None:
    builder = b.success_blocks if outcome.ok else b.error_blocks
    fallback = b.success_text if outcome.ok else b.error_text
    await respond(
        text=fallback(outcome.message),
        blocks=builder(outcome.message),
        replace_original=False,
    )


def problem(exc: BaseException) -> str | None:
    """The user sentence of an expected failure, or None for a bug."""
    if isinstance(exc, MavaError | ServiceError | Denied):
        return exc.user_message
    return None


async def open_loading_modal(client: AsyncWebClient, trigger_id: str, title: str) -> str | None:
    """Open a modal at once (trigger ids expire in 3 s); fill it in after Mava answers."""
    try:
        response = await client.views_open(
            trigger_id=trigger_id, view=b.result_modal(title, "Loading the ticket from Mava…")
        )
    except SlackApiError as exc:
        log.warning("views.open failed", extra={"error": exc.response.get("error")})
        return None
    view: dict[str, Any] = response["view"]
    return str(view["id"])


def metadata(**values: str | None) -> str:
    return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


def read_metadata(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def ticket_mention(deps: Deps, ticket_id: str) -> str:
    """How a ticket is named in a plain-text outcome sentence."""
    return ticket_id
