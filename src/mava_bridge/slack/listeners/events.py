"""`message` events: what people type in a followed ticket's thread becomes a private note.

Never a reply to the customer: that takes the Reply button or the Reply to customer
shortcut, with its confirm step. The listener acks at once (Bolt answers when it
returns) and the work runs in `deps.inflight`. Ignored, without a trace: bots (ours
included), edits of nothing we wrote, messages outside a followed thread, channels
with thread notes off. Refused and audited, and told why once per thread: guests,
Slack Connect users, people not allowed (`slack/access.py`). Slack may deliver an
event twice (an HTTP retry, a Socket Mode redelivery): its event id is claimed once
across replicas, and the note itself is keyed by channel and message ts. Files in the
message become the note's attachments where they can (`listeners.thread_files`).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.access import Denied
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import error_code, slack_error
from mava_bridge.slack.listeners.common import actor, admit
from mava_bridge.slack.listeners.handoff import on_event
from mava_bridge.slack.listeners.thread_files import note_files
from mava_bridge.store.follows import Follow

log = logging.getLogger("mava_bridge.slack.events")

# Plain messages, ones also sent to the channel, and ones with files; every other
# subtype (joins, topic changes, bot messages...) is not something a person wrote.
NOTE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
EDIT_SUBTYPES = frozenset({"message_changed", "message_deleted"})
DONE_REACTION = "white_check_mark"
EDIT_NOTICE = (
    "Edits and deletions in Slack don't reach Mava — Mava has no API for that. "
    "Add a new message to correct a note."
)
NOT_SENT = "Your message stays in Slack; it was not added to the Mava ticket."


def register(app: AsyncApp, deps: Deps) -> None:
    app.event("message")(on_event(deps, "event", on_message))


async def on_message(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    event: dict[str, Any] = body.get("event") or {}
    subtype = event.get("subtype")
    outcome = "ignored"
    try:
        if subtype in EDIT_SUBTYPES:
            outcome = await edited(deps, client, event)
        elif subtype in NOTE_SUBTYPES:
            outcome = await thread_message(deps, client, body, event)
    finally:
        deps.metrics.observe_slack_request("event", str(subtype or "message"), outcome)


async def _from_a_bot(deps: Deps, message: dict[str, Any]) -> bool:
    """Posted by an app (any bot, this one included), Slackbot, or the bot's own user."""
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return True
    if message.get("user") == "USLACKBOT":
        return True
    own: Any = (await deps.identity.auth_test()).get("user_id")
    return bool(own) and message.get("user") == own


async def _followed(deps: Deps, channel: str, thread_ts: str) -> Follow | None:
    """The active follow of this thread, if its messages become notes."""
    follow = await deps.follows.for_thread(channel, thread_ts)
    if follow is None or not follow.active:
        return None
    if not await deps.follows.notes_enabled(channel):
        return None
    return follow


async def thread_message(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], event: dict[str, Any]
) -> str:
    """A new message: a note on the thread's ticket, if a permitted person wrote it in a
    followed thread. Returns the outcome counted in the metrics."""
    channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
    user = event.get("user")
    if not (channel and ts and thread_ts and user) or thread_ts == ts:
        return "ignored"  # not a reply in a thread, or no person behind it
    if await _from_a_bot(deps, event):
        return "ignored"
    follow = await _followed(deps, channel, thread_ts)
    if follow is None:
        return "ignored"
    if not await deps.follows.first_delivery(str(body.get("event_id") or f"{channel}:{ts}")):
        log.info("event delivered again; already handled", extra={"channel": channel})
        return "duplicate"
    ticket_id = follow.ticket_id
    try:
        person = await admit(
            deps,
            user_id=user,
            channel_id=channel,
            action="note",
            ticket_id=ticket_id,
            via="thread",
        )
    except Denied as exc:  # audited by `admit`
        if await deps.follows.first_telling(channel, thread_ts, user):
            await tell(client, user, channel, thread_ts, f"{exc.user_message} {NOT_SENT}")
        return "refused"
    text = t.slack_to_plain(event.get("text") or "").strip()
    files = [f for f in event.get("files") or [] if isinstance(f, dict)]
    if not text and not files:
        await tell(
            client,
            user,
            channel,
            thread_ts,
            "That message has no text, and Mava notes need text. " + NOT_SENT,
        )
        return "error"
    try:
        shared = await note_files(
            files,
            settings=deps.settings,
            shared=deps.shared_files,
            channel_id=channel,
            ticket_id=ticket_id,
        )
        if shared.line:
            text = f"{text}\n\n{shared.line}" if text else shared.line
        result = await deps.actions.tickets.note(
            actor(person, channel),
            ticket_id,
            text,
            submission=f"thread:{channel}:{ts}",
            attachments=shared.attachments,
        )
    except Exception:
        log.exception("thread note failed", extra={"ticket": ticket_id, "channel": channel})
        await tell(
            client, user, channel, thread_ts, "Something went wrong on our side. " + NOT_SENT
        )
        return "error"
    if result.ok:
        await _react(client, user, channel, ts, thread_ts, result.message)
        if shared.refusal:
            await tell(client, user, channel, thread_ts, shared.refusal)
    elif result.kind != "duplicate":  # the first delivery answered already
        await tell(
            client,
            user,
            channel,
            thread_ts,
            f"Your message was not added to ticket {ticket_id} as a note: {result.message}",
        )
    return result.kind


async def edited(deps: Deps, client: AsyncWebClient, event: dict[str, Any]) -> str:
    """An edit or deletion in a followed thread: Mava cannot follow it, so say so once
    per thread."""
    channel = event.get("channel")
    changed = event.get("subtype") == "message_changed"
    message: dict[str, Any] = event.get("message" if changed else "previous_message") or {}
    thread_ts, ts = message.get("thread_ts"), message.get("ts")
    if not (channel and thread_ts and ts) or thread_ts == ts or not message.get("user"):
        return "ignored"  # the card itself, or not a reply in a thread
    if await _from_a_bot(deps, message):
        return "ignored"
    if changed and message.get("text") == (event.get("previous_message") or {}).get("text"):
        return "ignored"  # a link unfurled, a reaction count: the text did not change
    follow = await _followed(deps, channel, thread_ts)
    if follow is None or not await deps.follows.first_edit_notice(follow):
        return "ignored"
    try:
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=EDIT_NOTICE, unfurl_links=False
        )
    except Exception as exc:
        error = slack_error(exc)
        log.warning("edit notice not posted (%s)", error, extra={"error": error})
        return "error"
    return "ok"


async def _react(
    client: AsyncWebClient, user: str, channel: str, ts: str, thread_ts: str, done: str
) -> None:
    """Mark the message as noted; if Slack refuses the reaction, say it in words."""
    try:
        await client.reactions_add(channel=channel, timestamp=ts, name=DONE_REACTION)
    except Exception as exc:
        error = slack_error(exc)
        if error_code(getattr(exc, "response", None)) == "already_reacted":
            return
        log.warning("reaction not added (%s)", error, extra={"error": error})
        await tell(client, user, channel, thread_ts, done, ok=True)


async def tell(
    client: AsyncWebClient,
    user: str,
    channel: str,
    thread_ts: str,
    sentence: str,
    *,
    ok: bool = False,
) -> None:
    """An ephemeral in the thread, else a direct message; `sentence` is plain text."""
    text = b.success_text(sentence) if ok else b.error_text(sentence)
    blocks = b.success_blocks(sentence) if ok else b.error_blocks(sentence)
    try:
        await client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, text=text, blocks=blocks
        )
    except Exception as exc:
        error = slack_error(exc)
        log.warning("ephemeral in thread failed (%s); sending a DM", error, extra={"error": error})
        await Answer(client, user)(text=text, blocks=blocks)
