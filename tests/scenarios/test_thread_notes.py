"""Followed ticket threads over HTTP: the Events API door (url_verification, signed
event_callback, Slack's retries) and what a message typed in a followed thread does.

A thread message from a permitted person becomes one private note ("Note from NAME via
Slack: ..."), marked with a reaction; never a reply to the customer. Bots, messages
outside followed threads, channels with thread notes off: nothing. Guests and Slack
Connect users: no note, an audit row, and one ephemeral saying why.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, sign, url_verification
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    EXTERNAL,
    GUEST,
    JANE,
    SAM,
    assert_ack,
    audit_rows,
    flat,
    idle,
    messages,
    new_ticket,
    run,
    shown,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
EDIT_NOTICE = "Edits and deletions in Slack don't reach Mava"


async def follow(stack: Stack, ticket: str, channel: str = CHANNEL) -> str:
    """`/mava follow TICKET` in `channel`; returns the card's ts (the thread)."""
    body = await run(stack, f"follow {ticket}", channel_id=channel)
    assert "Following ticket" in flat(shown(body)), shown(body)
    cards = [m for m in stack.slack.messages(channel) if ticket in json.dumps(m.get("blocks"))]
    assert len(cards) == 1, cards
    return str(cards[0]["ts"])


async def deliver(stack: Stack, event: JSON, **fields: Any) -> None:
    """Send `event` signed over HTTP, check the ack, wait for its handling."""
    assert_ack(await stack.sender.event(event, **fields))
    await idle(stack)


def notes(stack: Stack, ticket: str) -> list[str]:
    return [m["content"] for m in messages(stack, ticket, "InternalNote")]


def thread_texts(stack: Stack, thread_ts: str) -> list[str]:
    return [str(m.get("text")) for m in stack.slack.thread(CHANNEL, thread_ts)]


# --- the door -----------------------------------------------------------------------------


async def test_url_verification_answers_the_challenge_only_when_signed(stack: Stack) -> None:
    response = await stack.sender.url_verification("c-123")
    assert_ack(response)
    assert response.json() == {"challenge": "c-123"}
    body = url_verification("c-456")
    forged = await stack.sender.post_raw(body, sign("not-the-secret", body))
    assert forged.status_code == 401
    assert "c-456" not in forged.text
    unsigned = await stack.sender.post_raw(body, {"Content-Type": "application/json"})
    assert unsigned.status_code == 401


async def test_an_event_type_nobody_listens_to_is_acked_and_dropped(stack: Stack) -> None:
    event = {"type": "reaction_removed", "user": JANE, "reaction": "eyes", "item": {}}
    await deliver(stack, event)
    assert stack.slack.calls() == []
    assert stack.mava.sandbox.requests == []


async def test_a_json_body_that_is_not_an_event_is_refused(stack: Stack) -> None:
    for raw in (b'{"type":"block_actions"}', b'{"type":"event_callback"}', b"[1]"):
        response = await stack.sender.post_raw(raw, sign(DEFAULT_SIGNING_SECRET, raw))
        assert 400 <= response.status_code < 500, raw
    await idle(stack)
    assert stack.mava.sandbox.requests == []


# --- a thread message becomes a note -------------------------------------------------------


async def test_a_thread_reply_becomes_one_private_note_even_when_slack_retries(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack, messages=["My order is late"])
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(CHANNEL, JANE, "Checked: it ships *today*", thread_ts=thread)
    started = time.monotonic()
    response = await stack.sender.event(event)
    assert_ack(response)
    assert time.monotonic() - started < 1.5
    await idle(stack)
    assert notes(stack, ticket) == ["Note from Jane via Slack: Checked: it ships *today*"]
    assert stack.slack.reactions(CHANNEL, event["ts"]) == ["white_check_mark"]
    # Never to the customer.
    assert [
        m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"
    ] == []

    # Slack did not see our ack in time and retries, twice: the same event id.
    for attempt in (1, 2):
        assert_ack(await stack.sender.redeliver(attempt))
    await idle(stack)
    assert len(notes(stack, ticket)) == 1
    assert len(writes(stack, "/api/message")) == 1
    [row] = [r for r in await audit_rows(stack, ticket) if r.action == "note"]
    assert (row.slack_user_id, row.outcome) == (JANE, "ok")


async def test_the_same_message_under_a_new_event_id_is_noted_once(stack: Stack) -> None:
    """A second delivery that Slack gave a new id (it happens across reconnects) is still
    the same message: the note is keyed by channel and ts."""
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(CHANNEL, SAM, "Escalated to billing", thread_ts=thread)
    await deliver(stack, event, event_id="EvFIRST0001")
    await deliver(stack, event, event_id="EvOTHER0002")
    assert notes(stack, ticket) == ["Note from Sam via Slack: Escalated to billing"]


async def test_files_and_broadcasts_are_noted_with_their_text(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    shared = stack.slack.user_message(
        CHANNEL, JANE, "Screenshot of the error", thread_ts=thread, subtype="file_share"
    )
    broadcast = stack.slack.user_message(
        CHANNEL, JANE, "Also sent to the channel", thread_ts=thread, subtype="thread_broadcast"
    )
    only_files = stack.slack.user_message(
        CHANNEL,
        JANE,
        "",
        thread_ts=thread,
        subtype="file_share",
        files=[
            stack.slack.files.add(JANE, "a.pdf", b"%PDF"),
            stack.slack.files.add(JANE, "b.txt", b""),
        ],
    )
    await deliver(stack, shared)
    await deliver(stack, broadcast)
    await deliver(stack, only_files)
    why = (
        "Not copied to Mava: the bridge has no PUBLIC_URL, so Mava cannot be given a link to them."
    )
    assert notes(stack, ticket) == [
        "Note from Jane via Slack: Screenshot of the error\n\n"
        f"(Files attached in Slack: screenshot.png. {why})",
        "Note from Jane via Slack: Also sent to the channel",
        f"Note from Jane via Slack: (Files attached in Slack: a.pdf, b.txt. {why})",
    ]
    assert all(not m["attachments"] for m in messages(stack, ticket, "InternalNote"))
    assert stack.slack.calls("files.info") == [] and stack.slack.files.downloads == []
    # Without PUBLIC_URL the files door is not served at all.
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{stack.base_url}/files/{'x' * 43}")).status_code == 404


async def test_bots_and_messages_outside_followed_threads_do_nothing(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    other = stack.slack.user_message(CHANNEL, JANE, "A channel message, not a thread")
    unfollowed_thread = stack.slack.user_message(
        CHANNEL, JANE, "In a thread nobody follows", thread_ts=other["ts"]
    )
    hook = stack.slack.bot_message(CHANNEL, "Deploy finished", thread_ts=thread)
    slackbot = stack.slack.user_message(
        CHANNEL, "USLACKBOT", "Reminder: stand-up", thread_ts=thread
    )
    # Our own post in the thread, as Slack echoes it (bot_id, our bot user, no subtype).
    posted = await stack.runtime.slack.chat_postMessage(
        channel=CHANNEL, thread_ts=thread, text="Reopened"
    )
    own = stack.slack.message_event(CHANNEL, str(posted["ts"]))
    stack.slack.clear()
    stack.mava.sandbox.reset_requests()
    for event in (other, unfollowed_thread, hook, slackbot, own):
        await deliver(stack, event)
    assert notes(stack, ticket) == []
    assert writes(stack, "/api/message") == []
    assert stack.slack.calls("reactions.add") == []
    assert stack.slack.ephemerals() == []


async def test_guests_and_slack_connect_users_are_refused_audited_and_told_once(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    for user in (GUEST, EXTERNAL):
        for text in ("first try", "second try"):
            await deliver(stack, stack.slack.user_message(CHANNEL, user, text, thread_ts=thread))
    assert notes(stack, ticket) == []
    refused = [r for r in await audit_rows(stack, ticket) if r.outcome == "refused"]
    assert sorted((r.slack_user_id, r.action) for r in refused) == sorted(
        [(GUEST, "note"), (GUEST, "note"), (EXTERNAL, "note"), (EXTERNAL, "note")]
    )
    assert all(r.summary.startswith("thread: ") for r in refused)
    told = {user: stack.slack.ephemerals(user) for user in (GUEST, EXTERNAL)}
    assert [len(told[GUEST]), len(told[EXTERNAL])] == [1, 1]  # once per thread each
    assert "Guests can't act" in shown(told[GUEST][0]["blocks"])
    assert "Slack Connect" in shown(told[EXTERNAL][0]["blocks"])
    assert all(e["thread_ts"] == thread for e in told[GUEST] + told[EXTERNAL])


async def test_thread_notes_off_leaves_thread_messages_in_slack(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    body = await run(stack, "thread-notes off")
    assert "no longer become notes" in flat(shown(body))
    await deliver(stack, stack.slack.user_message(CHANNEL, JANE, "Just chatting", thread_ts=thread))
    assert notes(stack, ticket) == []
    body = await run(stack, "thread-notes on")
    assert "now become private notes" in flat(shown(body))
    await deliver(stack, stack.slack.user_message(CHANNEL, JANE, "Now a note", thread_ts=thread))
    assert notes(stack, ticket) == ["Note from Jane via Slack: Now a note"]
    actions = [(r.action, r.summary) for r in await audit_rows(stack) if r.action == "thread-notes"]
    assert actions[-2:] == [
        ("thread-notes", "thread notes off"),
        ("thread-notes", "thread notes on"),
    ]


async def test_edits_and_deletions_get_one_notice_per_thread(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(CHANNEL, JANE, "Refund sent", thread_ts=thread)
    await deliver(stack, event)
    second = stack.slack.user_message(CHANNEL, JANE, "Second thought", thread_ts=thread)
    await deliver(stack, second)
    await deliver(stack, stack.slack.user_edit(CHANNEL, event["ts"], "Refund NOT sent"))
    await deliver(stack, stack.slack.user_edit(CHANNEL, second["ts"], "Third thought"))
    await deliver(stack, stack.slack.user_delete(CHANNEL, event["ts"]))
    notices = [text for text in thread_texts(stack, thread) if EDIT_NOTICE in text]
    assert len(notices) == 1
    # The notes stay as first written: Mava has no edit or delete.
    assert notes(stack, ticket) == [
        "Note from Jane via Slack: Refund sent",
        "Note from Jane via Slack: Second thought",
    ]


async def test_a_mava_failure_during_a_thread_note_is_told_to_the_person(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    stack.mava.sandbox.inject("status", status=400, path="/api/message", times=None)
    event = stack.slack.user_message(CHANNEL, SAM, "Will this reach Mava?", thread_ts=thread)
    await deliver(stack, event)
    stack.mava.sandbox.clear_faults()
    assert notes(stack, ticket) == []
    [told] = stack.slack.ephemerals(SAM)
    assert told["thread_ts"] == thread
    assert f"not added to ticket {ticket}" in flat(shown(told["blocks"]))
    assert stack.slack.reactions(CHANNEL, event["ts"]) == []
    # The refusal was definite, so the same message may be tried again (a new event).
    await deliver(stack, event, event_id="EvAGAIN0001")
    assert notes(stack, ticket) == ["Note from Sam via Slack: Will this reach Mava?"]


async def test_a_burst_of_thread_messages_each_becomes_one_note(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    events = [
        stack.slack.user_message(CHANNEL, JANE, f"step {i}", thread_ts=thread) for i in range(8)
    ]
    responses = await asyncio.gather(*(stack.sender.event(e) for e in events))
    for response in responses:
        assert_ack(response)
    await idle(stack)
    assert sorted(notes(stack, ticket)) == sorted(
        f"Note from Jane via Slack: step {i}" for i in range(8)
    )


async def test_the_bots_own_posts_and_card_updates_echoed_back_do_nothing(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(CHANNEL, JANE, "Noted", thread_ts=thread)
    await deliver(stack, event)
    await deliver(stack, stack.slack.user_edit(CHANNEL, event["ts"], "Noted!"))  # our notice
    # The card redrawn in place (as the thread sync does) and a line of ours in the thread.
    card = stack.slack.message(CHANNEL, thread)
    assert card is not None
    await stack.runtime.slack.chat_update(
        channel=CHANNEL, ts=thread, text="Ticket updated", blocks=card["blocks"]
    )
    await stack.runtime.slack.chat_postMessage(channel=CHANNEL, thread_ts=thread, text="Resolved")
    echoes = stack.slack.echo_events(CHANNEL)
    assert {e.get("subtype") for e in echoes} >= {None, "message_changed"}
    before = len(stack.slack.calls())
    for echo in echoes:
        await deliver(stack, echo)
    assert notes(stack, ticket) == ["Note from Jane via Slack: Noted"]
    assert sum(EDIT_NOTICE in text for text in thread_texts(stack, thread)) == 1
    # Nothing posted, reacted or said about our own messages.
    assert [c.method for c in stack.slack.calls()[before:]] == []
