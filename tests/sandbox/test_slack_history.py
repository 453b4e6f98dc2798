"""The Slack stub keeps message metadata as Slack does and reads it back through
conversations.history and conversations.replies (bounds, pages, include_all_metadata)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0HISTORY"
TAG = {"event_type": "mava_bridge_post", "event_payload": {"kind": "alert", "key": "T1"}}


async def _until(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])


async def test_metadata_is_kept_and_shown_only_when_asked_for(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="alert", metadata=TAG)
    assert stub.message(CHANNEL, posted["ts"])["metadata"] == TAG  # type: ignore[index]
    plain = await client.conversations_history(channel=CHANNEL)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == TAG


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("not json", "invalid_metadata_format"),
        ([1, 2], "invalid_metadata_format"),
        ({"event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": 7, "event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": "x", "event_payload": "key"}, "invalid_metadata_schema"),
        ({"event_type": "x"}, "invalid_metadata_schema"),
    ],
)
async def test_metadata_of_another_shape_is_refused_and_nothing_posted(
    stub: SlackStub, client: AsyncWebClient, metadata: Any, error: str
) -> None:
    call = client.chat_postMessage(channel=CHANNEL, text="x", metadata=metadata)
    assert await _error(call) == error
    assert stub.messages(CHANNEL) == []


async def test_history_is_newest_first_from_oldest_in_pages(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stamps = [
        (await client.chat_postMessage(channel=CHANNEL, text=f"m{n}"))["ts"] for n in range(7)
    ]
    parent = stamps[0]
    await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent)
    seen: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_history(
            channel=CHANNEL, oldest=stamps[2], inclusive=True, limit=2, cursor=cursor
        )
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert bool(cursor) == page["has_more"]
        if not cursor:
            break
    assert seen == ["m6", "m5", "m4", "m3", "m2"]  # no thread reply, nothing older
    exclusive = await client.conversations_history(channel=CHANNEL, oldest=stamps[5])
    assert [m["text"] for m in exclusive["messages"]] == ["m6"]
    bad = client.conversations_history(channel=CHANNEL, cursor="bm90LWEtY3Vyc29y")
    assert await _error(bad) == "invalid_cursor"
    assert await _error(client.conversations_history(channel=CHANNEL, limit=0)) == "invalid_limit"


async def test_replies_are_the_thread_parent_first_in_pages(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    parent = (await client.chat_postMessage(channel=CHANNEL, text="card"))["ts"]
    for n in range(5):
        await client.chat_postMessage(
            channel=CHANNEL, text=f"r{n}", thread_ts=parent, metadata=TAG if n == 3 else None
        )
    await client.chat_postMessage(channel=CHANNEL, text="elsewhere")
    texts: list[str] = []
    tagged: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_replies(
            channel=CHANNEL, ts=parent, include_all_metadata=True, limit=2, cursor=cursor
        )
        texts += [m["text"] for m in page["messages"]]
        tagged += [m["text"] for m in page["messages"] if "metadata" in m]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert texts == ["card", "r0", "r1", "r2", "r3", "r4"] and tagged == ["r3"]
    missing = client.conversations_replies(channel=CHANNEL, ts="1.000001")
    assert await _error(missing) == "thread_not_found"


async def test_a_slowed_post_is_counted_in_flight_and_lands_after_its_caller_left(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.slow_down("chat.postMessage", 0.3)
    call = asyncio.create_task(client.chat_postMessage(channel=CHANNEL, text="late"))
    await _until(lambda: stub.in_flight("chat.postMessage") == 1)
    call.cancel()  # the caller gives up (or dies): Slack still posts it
    await _until(lambda: stub.in_flight("chat.postMessage") == 0)
    assert [m["text"] for m in stub.messages(CHANNEL)] == ["late"]
