"""Small helpers the listener modules share."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.errors import MavaError
from mava_bridge.services.outcome import Actor, Outcome, ServiceError
from mava_bridge.slack import blocks as b
from mava_bridge.slack.access import Denied, SlackPerson
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import slack_error

log = logging.getLogger("mava_bridge.slack")


def actor(person: SlackPerson, channel_id: str | None) -> Actor:
    return Actor(person.id, person.name, person.email, channel_id)


async def admit(
    deps: Deps,
    *,
    user_id: str,
    channel_id: str | None,
    action: str,
    ticket_id: str | None,
    via: str,
    user_name: str | None = None,
) -> SlackPerson:
    """The person, if they may act; otherwise the refusal is audited and `Denied` raised.

    Every door (command, button, shortcut, modal submission) checks here, so every
    refused attempt leaves one audit row. `via` names the door in the row's summary.
    """
    try:
        return await deps.access.require(user_id)
    except Denied as exc:
        who = Actor(user_id, user_name, None, channel_id)
        await deps.actions.auditor.refused(who, action, ticket_id, via=via, reason=exc.user_message)
        raise


async def admit_submitter(
    deps: Deps, body: dict[str, Any], action: str, ticket_id: str | None
) -> SlackPerson:
    """`admit` for whoever submitted a modal (its channel is in the view's metadata)."""
    user = body.get("user") or {}
    return await admit(
        deps,
        user_id=str(user.get("id") or ""),
        user_name=user.get("username"),
        channel_id=read_metadata(body["view"]).get("channel"),
        action=action,
        ticket_id=ticket_id,
        via="modal",
    )


async def show_result(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], title: str, outcome: Outcome
) -> None:
    """A submission's outcome in its modal, counted. If the modal was closed meanwhile,
    the outcome stands (audited) and the person is told another way, or they would
    submit it again."""
    view = body["view"]
    deps.metrics.observe_slack_request("view", view["callback_id"], outcome.kind)
    icon = ":white_check_mark:" if outcome.ok else ":warning:"
    try:
        await client.views_update(
            view_id=view["id"], view=b.result_modal(title, f"{icon} {outcome.message}")
        )
    except Exception as exc:
        error = slack_error(exc)
        log.warning("views.update failed (%s)", error, extra={"error": error})
        user = str((body.get("user") or {}).get("id") or "")
        await say_outcome(Answer(client, user, read_metadata(view).get("channel")), outcome)


def answer_for(
    client: AsyncWebClient, body: dict[str, Any], respond: AsyncRespond | None = None
) -> Answer:
    """Where to tell whoever sent `body` (a slash command or an interaction payload)."""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return Answer(client, str(user), str(channel) if channel else None, respond)


async def say_error(answer: Answer, sentence: str) -> None:
    """An ephemeral error; `sentence` is plain text (escaped here)."""
    await answer(text=b.error_text(sentence), blocks=b.error_blocks(sentence))


async def say_outcome(answer: Answer, outcome: Outcome) -> None:
    builder = b.success_blocks if outcome.ok else b.error_blocks
    if outcome.kind == "unchanged":
        builder = b.notice_blocks
    fallback = b.success_text if outcome.ok else b.error_text
    await answer(text=fallback(outcome.message), blocks=builder(outcome.message))


def problem(exc: BaseException) -> str | None:
    """The user sentence of an expected failure, or None for a bug."""
    if isinstance(exc, MavaError | ServiceError | Denied):
        return exc.user_message
    return None


OUR_SIDE = "Something went wrong on our side; nothing more was done."


def told(exc: BaseException, logger: logging.Logger, what: str, fallback: str = OUR_SIDE) -> str:
    """What to tell of a failure: an expected one's sentence, else (a bug, logged with
    its traceback as "`what` failed") `fallback`."""
    sentence = problem(exc)
    if sentence is None:
        logger.exception("%s failed", what)
    return sentence or fallback


def metadata(**values: str | None) -> str:
    return json.dumps({k: v for k, v in values.items() if v}, separators=(",", ":"))


def read_metadata(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
