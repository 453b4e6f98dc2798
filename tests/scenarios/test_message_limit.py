"""Text longer than Mava accepts is refused with the limit and its length, before any write."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from mava_bridge.services.tickets import MESSAGE_LIMIT
from mava_bridge.slack.callback_ids import BLOCK_TEXT, BLOCK_TICKET, INPUT_TEXT, INPUT_TICKET
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    LOOKUP_ACK_SECONDS,
    SAM,
    ack_json,
    audit_rows,
    flat,
    messages,
    new_ticket,
    run,
    shown,
    view_update,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
# A slash command body must stay under the bot's 1 MiB; with the other fields this is it.
HUGE = 990_000
NOTE_PREFIX = "Note from Jane via Slack: "


def text_of(length: int) -> str:
    """Readable text of exactly `length` characters (no space at either end)."""
    words = "Thanks for waiting, the refund is on its way. "
    return (words * (length // len(words) + 1))[: length - 1] + "."


def state(ticket: str | None, text: str) -> JSON:
    values: JSON = {BLOCK_TEXT: {INPUT_TEXT: {"type": "plain_text_input", "value": text}}}
    if ticket is not None:
        values[BLOCK_TICKET] = {INPUT_TICKET: {"type": "plain_text_input", "value": ticket}}
    return values


def refused_for_length(sentence: str, length: int) -> None:
    said = flat(sentence)
    assert f"{length:,} characters" in said, said
    assert f"at most {MESSAGE_LIMIT:,}" in said, said


async def test_a_990000_character_reply_is_refused_before_mava(stack: Stack) -> None:
    ticket = new_ticket(stack)
    answered = await run(stack, f"reply {ticket} {text_of(HUGE)}")
    refused_for_length(shown(answered), HUGE)
    assert writes(stack, "/api/message") == []
    [row] = await audit_rows(stack, ticket)
    assert row.outcome == "error"


async def test_a_10001_character_note_is_refused(stack: Stack) -> None:
    ticket = new_ticket(stack)
    answered = await run(stack, f"note {ticket} {text_of(10_001)}")
    refused_for_length(shown(answered), 10_001 + len(NOTE_PREFIX))
    assert writes(stack, "/api/message") == []
    assert messages(stack, ticket, "InternalNote") == []


async def test_exactly_the_limit_goes_through(stack: Stack) -> None:
    ticket = new_ticket(stack)
    reply = text_of(MESSAGE_LIMIT)
    answered = await run(stack, f"reply {ticket} {reply}")
    assert "Sent to the customer" in shown(answered)
    assert messages(stack, ticket, "ExternalMessage")[-1]["content"] == reply

    note = text_of(MESSAGE_LIMIT - len(NOTE_PREFIX))  # the note Mava stores: 10,000 exactly
    answered = await run(stack, f"note {ticket} {note}")
    assert "Private note added" in shown(answered)
    [stored] = messages(stack, ticket, "InternalNote")
    assert len(stored["content"]) == MESSAGE_LIMIT


@pytest.mark.parametrize("callback_id", ["reply_modal", "note_modal"])
async def test_compose_modals_refuse_long_text_inline(stack: Stack, callback_id: str) -> None:
    ticket = new_ticket(stack)
    ack = ack_json(
        await stack.sender.submit_view(
            callback_id,
            state(None, text_of(MESSAGE_LIMIT + 1)),
            private_metadata=json.dumps({"ticket": ticket, "channel": CHANNEL}),
        )
    )
    assert ack["response_action"] == "errors"
    refused_for_length(ack["errors"][BLOCK_TEXT], MESSAGE_LIMIT + 1)
    assert stack.mava.sandbox.requests == []


@pytest.mark.parametrize("callback_id", ["shortcut_reply_modal", "shortcut_note_modal"])
async def test_shortcut_modals_refuse_long_text_inline(stack: Stack, callback_id: str) -> None:
    ticket = new_ticket(stack)
    ack = ack_json(
        await stack.sender.submit_view(
            callback_id,
            state(ticket, text_of(50_000)),
            private_metadata=json.dumps({"channel": CHANNEL, "ts": "1.2", "author": SAM}),
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["response_action"] == "errors"
    refused_for_length(ack["errors"][BLOCK_TEXT], 50_000)
    assert writes(stack, "/api/message") == []


async def test_a_shortcut_note_too_long_with_its_suffix_is_refused(stack: Stack) -> None:
    """The typed text fits, but not with "Note from …" and "Originally posted by … link"."""
    ticket = new_ticket(stack)
    ts = f"{time.time():.6f}"
    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_note_modal",
            # Fits with "Note from Jane via Slack: ", not with the link added after it.
            state(ticket, text_of(MESSAGE_LIMIT - len(NOTE_PREFIX) - 5)),
            view_id="V0LONGNOTE",
            private_metadata=json.dumps({"channel": CHANNEL, "ts": ts, "author": SAM}),
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["response_action"] == "update"
    result = flat(shown(await view_update(stack, "V0LONGNOTE")))
    assert f"at most {MESSAGE_LIMIT:,}" in result, result
    assert "link to the original" in result
    assert writes(stack, "/api/message") == []
    assert messages(stack, ticket, "InternalNote") == []
