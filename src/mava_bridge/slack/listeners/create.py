"""Create a Mava ticket from Slack: the "Create Mava ticket" message shortcut and
`/mava create [EMAIL] [TEXT]`.

Both open a modal (a loading view first: the trigger id expires in 3 s, and access,
the categories and the permalink come after). Submitting it creates the ticket once
(the view id names the submission) and follows it: in the source message's thread for
the shortcut, in a card posted in the channel for the command (`new_follow`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.tickets import Origin
from mava_bridge.mava.models import NewCustomer, NewMessage, NewTicket
from mava_bridge.services.outcome import Outcome
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import modals as cb
from mava_bridge.slack.callback_ids import SHORTCUT_CREATE, VIEW_CREATE
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import slack_error
from mava_bridge.slack.listeners.common import (
    actor,
    admit,
    admit_submitter,
    metadata,
    problem,
    read_metadata,
    show_result,
)
from mava_bridge.slack.listeners.create_checks import NewTicketFields, check_create
from mava_bridge.slack.listeners.handoff import Later, after_ack, submission
from mava_bridge.slack.listeners.modal import LoadingModal
from mava_bridge.slack.listeners.new_follow import follow_new_ticket
from mava_bridge.slack.listeners.views import LOOKUP_BUDGET, still_allowed

log = logging.getLogger("mava_bridge.slack.create")

INSTEAD = "/mava create EMAIL your text (then submit the window), or create it in Mava"


def register(app: AsyncApp, deps: Deps) -> None:
    app.shortcut(SHORTCUT_CREATE)(
        after_ack(deps, "shortcut", create_from_shortcut, counted="shortcut")
    )
    app.view(VIEW_CREATE)(submission(deps, create_submitted))


async def create_from_shortcut(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    message: dict[str, Any] = body.get("message") or {}
    await open_create_modal(deps, client, answer, body["trigger_id"], None, message=message)


async def create_submitted(
    deps: Deps, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
) -> Later | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOOKUP_BUDGET  # access and the category share it
    refusal = await still_allowed(deps, body, "create", None)
    if refusal is not None:
        await ack(response_action="update", view=b.result_modal(cb.TITLE, refusal))
        return None
    checked = await check_create(deps, body["view"], deadline - loop.time())
    if not isinstance(checked, NewTicketFields):
        await ack(response_action="errors", errors=checked)
        return None
    await ack(
        response_action="update", view=b.result_modal(cb.TITLE, "Creating the ticket in Mava…")
    )
    return create_and_follow(deps, client, body, checked)


async def open_create_modal(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    trigger_id: str,
    email: str | None,
    *,
    message: dict[str, Any] | None = None,
    text: str = "",
) -> bool:
    """Open the modal: for a message shortcut (`message`) prefilled with its text and
    permalink; for `/mava create` with what was typed. False if it could not be opened."""
    modal = LoadingModal(client, answer, cb.TITLE, INSTEAD)
    if not await modal.open(trigger_id):
        return False
    try:
        view = await _modal_view(deps, client, answer, email, message, text)
    except Exception as exc:
        sentence = problem(exc)
        await modal.finish(sentence or "Something went wrong on our side; nothing was done.")
        if sentence is None:
            raise
        return True
    if isinstance(view, str):
        await modal.finish(view)
    else:
        await modal.show(view)
    return True


async def _modal_view(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    email: str | None,
    message: dict[str, Any] | None,
    text: str,
) -> dict[str, Any] | str:
    channel_id = answer.channel_id
    await admit(
        deps,
        user_id=answer.user_id,
        channel_id=channel_id,
        action="create",
        ticket_id=None,
        via="shortcut" if message is not None else "/mava",
    )
    source_ts = thread_ts = None
    if message is not None:
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            return (
                "That message was posted by an app, not a person. Use the shortcut on a "
                "message someone wrote, or type /mava create EMAIL text."
            )
        source_ts = message.get("ts")
        thread_ts = message.get("thread_ts") or source_ts
        text = t.slack_to_plain(message.get("text") or "").strip()
        text = cb.first_message(text, await _permalink(client, channel_id, source_ts))
    if thread_ts:
        where = "The new ticket is followed in this message's thread."
    elif channel_id:
        where = "The new ticket's card is posted in this channel, and followed in its thread."
    else:
        where = "Run /mava create in a channel to follow the new ticket there."
    categories = await deps.tickets.categories()
    return cb.create_modal(
        email=email,
        text=text,
        categories=categories,
        private_metadata=metadata(channel=channel_id, thread=thread_ts),
        where=where,
    )


async def _permalink(client: AsyncWebClient, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    try:
        response = await client.chat_getPermalink(channel=channel, message_ts=ts)
        return str(response["permalink"])
    except Exception as exc:  # the message text alone still makes a ticket
        error = slack_error(exc)
        log.warning("permalink lookup failed (%s)", error, extra={"error": error})
        return None


async def create_and_follow(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], fields: NewTicketFields
) -> Outcome:
    """Create the ticket (once per submission, audited), follow it, show the result."""
    view = body["view"]
    meta = read_metadata(view)
    channel_id = meta.get("channel")
    follow_line = ""
    try:
        person = await admit_submitter(deps, body, "create", None)
        settings = deps.settings
        source = settings.create_ticket_source_type
        new = NewTicket(
            customer=NewCustomer(email=fields.email),
            priority=fields.priority,
            category=fields.category_id,
            source_type=Origin(source) if source else None,
            silent=settings.create_ticket_silent,
            message=NewMessage(content=fields.text),
        )
        outcome, ticket_id = await deps.actions.customers.create(
            actor(person, channel_id), new, email=fields.email, submission=view["id"]
        )
        if ticket_id is not None and channel_id:
            follow_line = await follow_new_ticket(
                deps, client, person, ticket_id, channel_id, meta.get("thread")
            )
    except Exception as exc:
        sentence = problem(exc)
        if sentence is None:
            raise
        outcome = Outcome("error", sentence)
    shown = Outcome(outcome.kind, " ".join(x for x in (outcome.message, follow_line) if x))
    await show_result(deps, client, body, cb.TITLE, shown)
    return outcome
