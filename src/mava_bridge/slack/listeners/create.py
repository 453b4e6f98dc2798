"""Create a Mava ticket from Slack: the "Create Mava ticket" message shortcut (or
reaction) and `/mava create [EMAIL] [TEXT]` open a modal. Its submission is checked
whole before the ack (a hand-made one can hold anything), creates the ticket once (the
view id names the submission) and follows it (`follows.follow_new_ticket`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.tickets import Origin, Priority
from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.models import NewCustomer, NewMessage, NewTicket
from mava_bridge.services.outcome import Outcome
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.blocks import modals as cb
from mava_bridge.slack.callback_ids import (
    BLOCK_CATEGORY,
    BLOCK_EMAIL,
    BLOCK_PRIORITY,
    BLOCK_TEXT,
    INPUT_CATEGORY,
    INPUT_EMAIL,
    INPUT_PRIORITY,
    INPUT_TEXT,
)
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import (
    Body,
    Later,
    View,
    actor,
    admit,
    admit_submitter,
    as_outcome,
    metadata,
    open_modal,
    permalink,
    read_message,
    read_metadata,
    say_error,
    show_result,
)
from mava_bridge.slack.listeners.compose import (
    FROM_APP,
    LOOKUP_BUDGET,
    selected_value,
    still_allowed,
    text_problem,
    text_value,
)
from mava_bridge.slack.listeners.follows import follow_new_ticket

log = logging.getLogger("mava_bridge.slack.create")

INSTEAD = "/mava create EMAIL your text (then submit the window), or create it in Mava"
UNREADABLE = (
    "The bot could not read that message (deleted, or in a conversation it cannot "
    "read), so no ticket was made from it."
)
_EMAIL = re.compile(r"^[^\s@<>\"(),;:]+@[^\s@<>\"(),;:.]+(?:\.[^\s@<>\"(),;:.]+)+$")
_PRIORITY = f"Pick one of the priorities offered: {', '.join(p.label for p in Priority)}."


@dataclass(frozen=True)
class NewTicketFields:
    email: str
    text: str
    priority: Priority
    category_id: str | None


async def from_shortcut(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    message: dict[str, Any] = body.get("message") or {}
    await open_create_modal(deps, client, answer, body["trigger_id"], None, message=message)


async def create_from_reaction(
    deps: Deps, body: Body, answer: Answer, client: AsyncWebClient
) -> None:
    """The Create Mava ticket button of `reacted_prompt`: the modal, prefilled; once it
    is open the prompt goes, so a second click cannot open another (the trigger_id
    expires in 3 s: the modal first)."""
    ts = str(body["actions"][0].get("value") or "")
    message = await read_message(client, answer.channel_id or "", ts) if ts else None
    if message is None:
        await say_error(answer, UNREADABLE)
        return
    if await open_create_modal(deps, client, answer, body["trigger_id"], None, message=message):
        await answer.delete_original()


async def create_submitted(
    deps: Deps, ack: AsyncAck, body: Body, client: AsyncWebClient
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
    fill = partial(_modal_view, deps, client, answer, email, message, text)
    return await open_modal(client, answer, trigger_id, cb.TITLE, INSTEAD, fill)


async def _modal_view(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    email: str | None,
    message: dict[str, Any] | None,
    text: str,
) -> View | str:
    channel_id = answer.channel_id
    via = "shortcut" if message is not None else "/mava"
    await admit(deps, answer.user_id, channel_id, "create", None, via=via)
    source_ts = thread_ts = None
    if message is not None:
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            return f"{FROM_APP}, or type /mava create EMAIL text."
        source_ts = message.get("ts")
        thread_ts = message.get("thread_ts") or source_ts
        text = t.slack_to_plain(message.get("text") or "").strip()
        text = cb.first_message(text, await permalink(client, channel_id, source_ts))
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


async def create_and_follow(
    deps: Deps, client: AsyncWebClient, body: Body, fields: NewTicketFields
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
        outcome = as_outcome(exc)
    shown = Outcome(outcome.kind, " ".join(x for x in (outcome.message, follow_line) if x))
    await show_result(deps, client, body, cb.TITLE, shown)
    return outcome


async def check_create(
    deps: Deps, view: dict[str, Any], budget: float
) -> NewTicketFields | dict[str, str]:
    """The fields, or the errors to show keyed by block id. `budget`: the seconds left
    to ask Mava whether the category is still active (the ack waits for it)."""
    email = text_value(view, BLOCK_EMAIL, INPUT_EMAIL).strip()
    text = text_value(view, BLOCK_TEXT, INPUT_TEXT)
    errors: dict[str, str] = {}
    if not _EMAIL.match(email):
        errors[BLOCK_EMAIL] = "Give the customer's email address, like ann@example.com."
    if (problem := text_problem(text, "Write the customer's first message.")) is not None:
        errors[BLOCK_TEXT] = problem
    priority = cb.priority_of(selected_value(view, BLOCK_PRIORITY, INPUT_PRIORITY))
    if priority is None:
        errors[BLOCK_PRIORITY] = _PRIORITY
    category_id = selected_value(view, BLOCK_CATEGORY, INPUT_CATEGORY)
    if category_id is not None:
        wrong = await _category_problem(deps, category_id, budget)
        if wrong is not None:
            errors[BLOCK_CATEGORY] = wrong
    if errors or priority is None:
        return errors
    return NewTicketFields(email, text, priority, category_id)


async def _category_problem(deps: Deps, category_id: str, budget: float) -> str | None:
    """None if `category_id` is an active Mava category; else what to say. The cached
    list first, then a fresh one (a category added since it was read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    try:
        for fresh in (False, True):
            left = max(deadline - loop.time(), 0.1)
            found = await asyncio.wait_for(deps.tickets.categories(fresh=fresh), left)
            if any(c.id == category_id for c in found):
                return None
    except TimeoutError:
        return "Mava did not answer in time to check the category. Submit again, or pick none."
    except MavaError as exc:
        return f"Mava's categories could not be read ({exc.user_message}). Submit again."
    return (
        "That is not one of Mava's active categories (it may have been archived since "
        "this window opened). Pick another, or none."
    )
