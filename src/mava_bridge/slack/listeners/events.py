"""`message` events: what people type in a followed ticket's thread becomes a private
note (never a reply to the customer: that takes the Reply button or shortcut, with its
confirm step), its files the note's attachments where they can be.

With `PUBLIC_URL` set, each file becomes an attachment at `PUBLIC_URL/files/<token>`
(Mava takes only public URLs; `slack.files_door` serves it), the token made for that
file alone once the person may write notes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.models import Attachment
from mava_bridge.settings import Settings
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.access import Denied
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.errors import error_code
from mava_bridge.slack.listeners.common import Body, actor, admit, warned
from mava_bridge.store.follows import (
    Follow,
    follow_for_thread,
    mark_edit_notice,
    thread_notes_enabled,
)
from mava_bridge.store.writes import FileToShare, SharedFiles

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


async def on_message(deps: Deps, client: AsyncWebClient, body: Body) -> str:
    event: dict[str, Any] = body.get("event") or {}
    if event.get("subtype") in EDIT_SUBTYPES:
        return await edited(deps, client, event)
    if event.get("subtype") in NOTE_SUBTYPES:
        return await thread_message(deps, client, body, event)
    return "ignored"


async def _from_a_bot(deps: Deps, message: dict[str, Any]) -> bool:
    """Posted by an app (any bot, this one included), Slackbot, or the bot's own user."""
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return True
    if message.get("user") == "USLACKBOT":
        return True
    own: Any = (await deps.access.identity.auth_test()).get("user_id")
    return bool(own) and message.get("user") == own


async def _followed(deps: Deps, channel: str, thread_ts: str) -> Follow | None:
    """The active follow of this thread, if its messages become notes."""
    follow = await follow_for_thread(deps.db, channel, thread_ts)
    if follow is None or not follow.active:
        return None
    if not await thread_notes_enabled(deps.db, channel):
        return None
    return follow


async def thread_message(
    deps: Deps, client: AsyncWebClient, body: Body, event: dict[str, Any]
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
    say = partial(tell, client, user, channel, thread_ts)
    try:
        person = await admit(deps, user, channel, "note", ticket_id, via="thread")
    except Denied as exc:  # audited by `admit`
        if await deps.follows.first_telling(channel, thread_ts, user):
            await say(f"{exc.user_message} {NOT_SENT}")
        return "refused"
    text = t.slack_to_plain(event.get("text") or "").strip()
    files = [f for f in event.get("files") or [] if isinstance(f, dict)]
    if not text and not files:
        await say("That message has no text, and Mava notes need text. " + NOT_SENT)
        return "error"
    try:
        shared = await note_files(files, deps.settings, deps.shared_files, channel, ticket_id)
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
        await say("Something went wrong on our side. " + NOT_SENT)
        return "error"
    if result.ok:
        await _react(client, channel, ts, partial(say, result.message, ok=True))
        if shared.refusal:
            await say(shared.refusal)
    elif result.kind != "duplicate":  # the first delivery answered already
        await say(f"Your message was not added to ticket {ticket_id} as a note: {result.message}")
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
    if follow is None or not await mark_edit_notice(deps.db, follow.id):
        return "ignored"
    try:
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=EDIT_NOTICE, unfurl_links=False
        )
    except Exception as exc:
        warned(log, exc, "edit notice not posted")
        return "error"
    return "ok"


async def _react(
    client: AsyncWebClient, channel: str, ts: str, in_words: Callable[[], Awaitable[None]]
) -> None:
    """Mark the message as noted; if Slack refuses the reaction, say it `in_words`."""
    try:
        await client.reactions_add(channel=channel, timestamp=ts, name=DONE_REACTION)
    except Exception as exc:
        if error_code(getattr(exc, "response", None)) == "already_reacted":
            return
        warned(log, exc, "reaction not added")
        await in_words()


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
        warned(log, exc, "ephemeral in thread failed; sending a DM")
        await Answer(client, user)(text=text, blocks=blocks)


MAVA_MAX_ATTACHMENTS: Final = 10  # per message, Mava's documented limit
NO_PUBLIC_URL: Final = (
    "Not copied to Mava: the bridge has no PUBLIC_URL, so Mava cannot be given a link to them."
)
_NAME: Final = 200


@dataclass(frozen=True)
class NoteFiles:
    """The note's attachments, the line naming the files, and what to tell the person."""

    attachments: list[Attachment] = field(default_factory=list)
    line: str = ""
    refusal: str = ""


def _name(file: dict[str, Any]) -> str:
    name = str(file.get("name") or file.get("title") or "file").strip() or "file"
    return name[:_NAME]


def _why_not(file: dict[str, Any], settings: Settings, attached: int) -> str | None:
    """Why `file` cannot be attached, or None."""
    url = file.get("url_private")
    copied = isinstance(file.get("id"), str) and isinstance(url, str) and url.startswith("http")
    if not copied or file.get("mode") in ("tombstone", "hidden_by_limit", "external"):
        return "Slack gives the bot no copy of it"
    size = file.get("size")
    too_big = settings.file_max_mb * 1024 * 1024
    if isinstance(size, int) and not isinstance(size, bool) and size > too_big:
        return f"it is larger than {settings.file_max_mb:g} MB"
    if attached >= MAVA_MAX_ATTACHMENTS:
        return f"Mava takes at most {MAVA_MAX_ATTACHMENTS} files per message"
    return None


async def note_files(
    files: list[dict[str, Any]],
    settings: Settings,
    shared: SharedFiles | None,
    channel_id: str,
    ticket_id: str,
) -> NoteFiles:
    """What becomes of `files` (a message event's `files`) in the note."""
    if not files:
        return NoteFiles()
    if settings.public_url is None or shared is None:
        listed = ", ".join(_name(f) for f in files)
        return NoteFiles(line=f"(Files attached in Slack: {listed}. {NO_PUBLIC_URL})")
    attachments: list[Attachment] = []
    attached: list[str] = []
    refused: list[tuple[str, str]] = []
    for file in files:
        why = _why_not(file, settings, len(attachments))
        if why is not None:
            refused.append((_name(file), why))
            continue
        mimetype = str(file.get("mimetype") or "application/octet-stream")
        token = await shared.share(
            FileToShare(file["id"], file["url_private"], _name(file), mimetype),
            channel_id=channel_id,
            ticket_id=ticket_id,
        )
        url = settings.file_url(token)
        assert url is not None  # public_url is set
        attachments.append(Attachment(file_name=_name(file), url=url, file_type=mimetype))
        attached.append(_name(file))
    parts = []
    if attached:
        parts.append(f"Files attached from Slack: {', '.join(attached)}.")
    refusal = ""
    if refused:
        parts.append("Not attached: " + "; ".join(f"{n} ({why})" for n, why in refused) + ".")
        count = len(refused)
        refusal = (
            f"{count} file{'s were' if count != 1 else ' was'} not attached to the note: "
            + "; ".join(f"{n}: {why}" for n, why in refused)
            + ". They stay in Slack."
        )
    return NoteFiles(attachments, f"({' '.join(parts)})", refusal)
