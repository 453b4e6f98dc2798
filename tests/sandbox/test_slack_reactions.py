"""The stub's reaction_added events and the one-message read the bot does for them."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.slack_stub import (
    STUB_BOT_USER_ID,
    SlackStub,
)

CHANNEL = "C0SUPPORT"


async def test_a_reaction_is_stored_and_its_event_names_the_message_and_author(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    card = str((await client.chat_postMessage(channel=CHANNEL, text="Ticket card"))["ts"])
    event = stub.user_reaction(CHANNEL, card, "U0JANE", ":eyes:")
    assert event["type"] == "reaction_added" and event["reaction"] == "eyes"
    assert event["user"] == "U0JANE" and event["item_user"] == STUB_BOT_USER_ID
    assert event["item"] == {"type": "message", "channel": CHANNEL, "ts": card}
    assert float(event["event_ts"]) > float(card)
    stored = stub.message(CHANNEL, card)
    assert stored is not None
    assert stored["reactions"] == [{"name": "eyes", "users": ["U0JANE"], "count": 1}]
    with pytest.raises(ValueError, match="already reacted"):
        stub.user_reaction(CHANNEL, card, "U0JANE", "eyes")  # Slack keeps one per person


@pytest.mark.parametrize("reading", ["reply", "thread"])
async def test_a_bounded_replies_read_holds_the_message_root_or_reply(
    stub: SlackStub, client: AsyncWebClient, reading: str
) -> None:
    """Either reading of a reply's ts (`replies_of_a_reply`) holds the message itself."""
    stub.replies_of_a_reply = reading
    root = stub.user_message(CHANNEL, "U0SAM", "root")["ts"]
    reply = stub.user_message(CHANNEL, "U0JANE", "a reply", thread_ts=root)["ts"]
    stub.user_message(CHANNEL, "U0SAM", "a later reply", thread_ts=root)
    for ts, text in ((root, "root"), (reply, "a reply")):
        page = await client.conversations_replies(
            channel=CHANNEL, ts=ts, oldest=ts, latest=ts, inclusive=True, limit=2
        )
        texts = [m["text"] for m in page["messages"]]
        whole = reading == "thread" and ts == reply
        assert texts == (["root", "a reply"] if whole else [text])
