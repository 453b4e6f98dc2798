"""The reply / note editor: `/mava reply TICKET` with no text, the Reply / Add note
buttons (cards, digests, App Home), and the "Add as private note" and "Reply to
customer" message shortcuts. Each opens first, then checks access and loads."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.ticket_refs import find_ticket_ref
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.callback_ids import (
    ACTION_NOTE,
    HOME_NOTE,
    HOME_REPLY,
    SHORTCUT_ADD_NOTE,
    VIEW_NOTE,
    VIEW_REPLY,
    VIEW_SHORTCUT_NOTE,
    VIEW_SHORTCUT_REPLY,
)
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import Body, View, admit, metadata, open_modal

FROM_APP = (
    "That message was posted by an app, not a person. Use the shortcut on a message someone wrote"
)


async def open_compose(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    trigger_id: str,
    command: cmd.Reply | cmd.Note,
    via: str,
) -> None:
    """An editor showing the ticket; told in `answer`'s channel, if any."""
    is_note = isinstance(command, cmd.Note)
    verb = "note" if is_note else "reply"
    title = "Add a private note" if is_note else "Reply to customer"

    async def fill() -> View:
        channel_id = answer.channel_id
        await admit(deps, answer.user_id, channel_id, verb, command.ticket, via=via)
        ticket = await deps.tickets.ticket(command.ticket)
        return b.compose_modal(
            callback_id=VIEW_NOTE if is_note else VIEW_REPLY,
            title=title,
            ticket=ticket,
            ticket_id=ticket.id,
            ticket_editable=False,
            private_metadata=metadata(ticket=ticket.id, channel=channel_id),
            submit_label="Add note" if is_note else "Send",
            now=deps.clock(),
        )

    instead = f"/mava {verb} {command.ticket} your text"
    failed = "Something went wrong loading the ticket."
    await open_modal(client, answer, trigger_id, title, instead, fill, failed)


async def button(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    """Reply / Add note on a card, a digest item or App Home (its problems told by DM)."""
    action = body["actions"][0]
    ticket_id = str(action.get("value") or "")
    is_note = action["action_id"] in (ACTION_NOTE, HOME_NOTE)
    command = cmd.Note(ticket_id, None) if is_note else cmd.Reply(ticket_id, None)
    via = "App Home" if action["action_id"] in (HOME_REPLY, HOME_NOTE) else "button"
    await open_compose(deps, client, answer, body["trigger_id"], command, via)


async def shortcut(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    """The editor prefilled with the message, for the ticket it is about."""
    is_note = body["callback_id"] == SHORTCUT_ADD_NOTE
    verb = "note" if is_note else "reply"
    title = "Add as private note" if is_note else "Reply to customer"
    message: dict[str, Any] = body.get("message") or {}
    typed_ticket = find_ticket_ref(message.get("text") or "")
    channel_id = answer.channel_id

    async def fill() -> View | str:
        await admit(deps, answer.user_id, channel_id, verb, typed_ticket, via="shortcut", body=body)
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            return f"{FROM_APP}, or type the text with /mava note."
        raw = message.get("text") or ""
        text = t.slack_to_plain(raw).strip()
        if not text:
            return (
                "That message has no text (only files), and Mava notes and replies need "
                "text. Describe the file in a message, or attach it in Mava."
            )
        return b.compose_modal(
            callback_id=VIEW_SHORTCUT_NOTE if is_note else VIEW_SHORTCUT_REPLY,
            title=title,
            ticket=None,
            ticket_id=await ticket_for_message(deps, channel_id, message, raw),
            initial_text=text,
            ticket_editable=True,
            private_metadata=metadata(
                channel=channel_id, ts=message.get("ts"), author=message.get("user")
            ),
            submit_label="Add note" if is_note else "Review",
            context_lines=[]
            if is_note
            else ["Next you will see exactly what the customer receives, before it is sent."],
        )

    instead = f"/mava {verb} {typed_ticket or 'TICKET'} your text"
    await open_modal(client, answer, body["trigger_id"], title, instead, fill)


async def ticket_for_message(
    deps: Deps, channel_id: str | None, message: dict[str, Any], raw: str
) -> str | None:
    """The ticket a message is about: its alert thread, or an id/link in its text."""
    if channel_id:
        for ts in (message.get("thread_ts"), message.get("ts")):
            if ts:
                found = await deps.follows.ticket_for_thread(channel_id, ts)
                if found:
                    return found
    return find_ticket_ref(raw)
