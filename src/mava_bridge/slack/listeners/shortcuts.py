"""Message shortcuts: "Add as private note" and "Reply to customer"."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.ticket_refs import find_ticket_ref
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.callback_ids import (
    SHORTCUT_ADD_NOTE,
    SHORTCUT_REPLY,
    VIEW_SHORTCUT_NOTE,
    VIEW_SHORTCUT_REPLY,
)
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import admit, metadata, problem
from mava_bridge.slack.listeners.handoff import after_ack
from mava_bridge.slack.listeners.modal import LoadingModal

log = logging.getLogger("mava_bridge.slack.shortcuts")

_TITLES = {SHORTCUT_ADD_NOTE: "Add as private note", SHORTCUT_REPLY: "Reply to customer"}


def register(app: AsyncApp, deps: Deps) -> None:
    for callback_id in (SHORTCUT_ADD_NOTE, SHORTCUT_REPLY):
        app.shortcut(callback_id)(
            after_ack(deps, "shortcut", open_shortcut_modal, counted="shortcut")
        )


async def open_shortcut_modal(
    deps: Deps, body: dict[str, Any], answer: Answer, client: AsyncWebClient
) -> None:
    """Open a loading modal at once, then check access and fill in the editor."""
    callback_id: str = body["callback_id"]
    is_note = callback_id == SHORTCUT_ADD_NOTE
    verb = "note" if is_note else "reply"
    title = _TITLES[callback_id]
    message: dict[str, Any] = body.get("message") or {}
    typed_ticket = find_ticket_ref(message.get("text") or "")
    modal = LoadingModal(
        client, answer, title, f"/mava {verb} {typed_ticket or 'TICKET'} your text"
    )
    if not await modal.open(body["trigger_id"]):
        return
    try:
        view = await editor(deps, body, answer, callback_id, typed_ticket)
    except Exception as exc:
        sentence = problem(exc)
        await modal.finish(sentence or "Something went wrong on our side; nothing was done.")
        if sentence is None:
            raise
        return
    if isinstance(view, str):
        await modal.finish(view)
    else:
        await modal.show(view)


async def editor(
    deps: Deps, body: dict[str, Any], answer: Answer, callback_id: str, typed_ticket: str | None
) -> dict[str, Any] | str:
    """The compose view for this shortcut, or a sentence saying why there is none."""
    is_note = callback_id == SHORTCUT_ADD_NOTE
    message: dict[str, Any] = body.get("message") or {}
    channel_id = answer.channel_id
    await admit(
        deps,
        user_id=answer.user_id,
        user_name=(body.get("user") or {}).get("username"),
        channel_id=channel_id,
        action="note" if is_note else "reply",
        ticket_id=typed_ticket,
        via="shortcut",
    )
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return (
            "That message was posted by an app, not a person. Use the shortcut on a "
            "message someone wrote, or type the text with /mava note."
        )
    raw = message.get("text") or ""
    text = t.slack_to_plain(raw).strip()
    if not text:
        return (
            "That message has no text (only files), and Mava notes and replies need "
            "text. Describe the file in a message, or attach it in Mava."
        )
    ticket_id = await ticket_for_message(deps, channel_id, message, raw)
    return b.compose_modal(
        callback_id=VIEW_SHORTCUT_NOTE if is_note else VIEW_SHORTCUT_REPLY,
        title=_TITLES[callback_id],
        ticket=None,
        ticket_id=ticket_id,
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
