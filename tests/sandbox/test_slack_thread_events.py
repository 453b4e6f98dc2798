"""What live ticket threads need from the Slack stand-ins, over real loopback HTTP and
websockets: the per-channel posting limit, reactions, people's (and other bots')
thread messages with their Events API `message` events, delivered signed over HTTP to a
real Bolt app (with url_verification and Slack's retry headers) and as Socket Mode
`events_api` envelopes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from bolt_server import serving_bolt
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.slack_requests import (
    DEFAULT_SIGNING_SECRET,
    SlackEventSender,
    event_callback,
)
from mava_sandbox.slack_stub import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    STUB_BOT_ID,
    STUB_BOT_USER_ID,
    SlackStub,
    running_slack_stub,
)
from mava_sandbox.socket_mode_server import SocketModeServer, running_socket_mode_server

CHANNEL = "C0SUPPORT"
OTHER = "C0OTHER"
JSON = dict[str, Any]


def post(http: httpx.AsyncClient, channel: str, text: str) -> Any:
    return http.post(
        "chat.postMessage",
        json={"channel": channel, "text": text},
        headers={"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"},
    )


async def card(client: AsyncWebClient, channel: str = CHANNEL) -> str:
    posted = await client.chat_postMessage(channel=channel, text="Ticket card")
    return str(posted["ts"])


# ---------------------------------------------------------------------- posting limit


async def test_posting_limit_is_off_by_default(stub: SlackStub) -> None:
    async with httpx.AsyncClient(base_url=stub.api_url) as http:
        answers = [await post(http, CHANNEL, f"m{i}") for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 5


async def test_posting_limit_one_per_second_per_channel() -> None:
    async with (
        running_slack_stub(channel_post_limit=1) as stub,
        httpx.AsyncClient(base_url=stub.api_url) as http,
    ):
        first = await post(http, CHANNEL, "one")
        second = await post(http, CHANNEL, "two")
        elsewhere = await post(http, OTHER, "other channel")
        assert first.status_code == 200 and elsewhere.status_code == 200
        assert second.status_code == 429
        assert second.headers["Retry-After"] == "1"
        assert second.json() == {"ok": False, "error": "ratelimited"}
        # Refused posts are recorded but never stored.
        assert [m["text"] for m in stub.messages(CHANNEL)] == ["one"]
        assert [c.status for c in stub.calls("chat.postMessage")] == [200, 429, 200]

        await asyncio.sleep(1.05)
        third = await post(http, CHANNEL, "three")
        assert third.status_code == 200
        assert [m["text"] for m in stub.messages(CHANNEL)] == ["one", "three"]


async def test_posting_limit_can_be_switched_on_later_and_counts_updates_apart(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.channel_post_limit = 2
    ts = await card(client)
    await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=ts)
    # chat.update is not a post: Slack's 1/s is about chat.postMessage.
    await client.chat_update(channel=CHANNEL, ts=ts, text="Ticket card (Pending)")
    error = await _error_of(client.chat_postMessage(channel=CHANNEL, text="third"))
    assert error.response.status_code == 429
    assert stub.message(CHANNEL, ts)["text"] == "Ticket card (Pending)"  # type: ignore[index]


async def _error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


# ---------------------------------------------------------------------- reactions


async def test_reactions_add_and_remove(stub: SlackStub, client: AsyncWebClient) -> None:
    event = stub.user_message(CHANNEL, "U0JANE", "a note", thread_ts=await card(client))
    ts = event["ts"]
    assert (await client.reactions_add(channel=CHANNEL, timestamp=ts, name="white_check_mark"))[
        "ok"
    ]
    assert stub.reactions(CHANNEL, ts) == ["white_check_mark"]
    assert stub.message(CHANNEL, ts)["reactions"] == [  # type: ignore[index]
        {"name": "white_check_mark", "users": [STUB_BOT_USER_ID], "count": 1}
    ]
    again = await _error_of(
        client.reactions_add(channel=CHANNEL, timestamp=ts, name="white_check_mark")
    )
    assert again.response["error"] == "already_reacted"
    missing = await _error_of(client.reactions_add(channel=CHANNEL, timestamp="1.2", name="x"))
    assert missing.response["error"] == "message_not_found"
    unnamed = await _error_of(client.reactions_add(channel=CHANNEL, timestamp=ts, name=""))
    assert unnamed.response["error"] == "invalid_name"
    assert [c.params["name"] for c in stub.calls("reactions.add")] == ["white_check_mark"] * 2 + [
        "x",
        "",
    ]

    await client.reactions_remove(channel=CHANNEL, timestamp=ts, name="white_check_mark")
    assert stub.reactions(CHANNEL, ts) == []
    gone = await _error_of(
        client.reactions_remove(channel=CHANNEL, timestamp=ts, name="white_check_mark")
    )
    assert gone.response["error"] == "no_reaction"


# ---------------------------------------------------------------------- messages and events


async def test_user_thread_reply_is_in_history_and_its_event(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    root = await card(client)
    event = stub.user_message(CHANNEL, "U0JANE", "Customer called, wants a refund", thread_ts=root)
    assert event["type"] == "message" and "subtype" not in event and "bot_id" not in event
    assert event["user"] == "U0JANE" and event["team"] == "T0001"
    assert event["channel"] == CHANNEL and event["channel_type"] == "channel"
    assert event["thread_ts"] == root and event["parent_user_id"] == STUB_BOT_USER_ID
    assert event["event_ts"] == event["ts"] and float(event["ts"]) > float(root)
    assert event["blocks"][0]["type"] == "rich_text"
    assert "reply_count" not in event

    replies = await client.conversations_replies(channel=CHANNEL, ts=root)
    assert [m["text"] for m in replies["messages"]] == [
        "Ticket card",
        "Customer called, wants a refund",
    ]
    parent = stub.message(CHANNEL, root)
    assert parent is not None
    assert parent["reply_count"] == 1 and parent["reply_users"] == ["U0JANE"]
    # A person's message cannot be edited by the bot.
    refused = await _error_of(client.chat_update(channel=CHANNEL, ts=event["ts"], text="x"))
    assert refused.response["error"] == "cant_update_message"


async def test_private_channel_external_user_and_subtypes(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.add_channel("C0PRIV", is_private=True, is_ext_shared=True)
    root = await card(client, "C0PRIV")
    external = stub.user_message("C0PRIV", "U0EXT", "hi from a partner", thread_ts=root)
    assert external["channel_type"] == "group"
    assert external["user_team"] == external["source_team"] == "T0OTHER"
    wrapped = json.loads(event_callback(external))
    assert wrapped["is_ext_shared_channel"] is True
    assert (
        json.loads(event_callback(stub.user_message(CHANNEL, "U0JANE", "x")))[
            "is_ext_shared_channel"
        ]
        is False
    )

    shared = stub.user_message(
        CHANNEL, "U0SAM", "", thread_ts=await card(client), subtype="file_share"
    )
    assert shared["subtype"] == "file_share" and shared["files"][0]["name"] == "screenshot.png"
    thread_broadcast = stub.user_message(
        CHANNEL, "U0SAM", "everyone", thread_ts=root, subtype="thread_broadcast"
    )
    assert thread_broadcast["subtype"] == "thread_broadcast"
    with pytest.raises(ValueError, match="subtype"):
        stub.user_message(CHANNEL, "U0SAM", "x", subtype="channel_join")


async def test_edit_and_delete_events(stub: SlackStub, client: AsyncWebClient) -> None:
    root = await card(client)
    said = stub.user_message(CHANNEL, "U0JANE", "refund 10", thread_ts=root)
    changed = stub.user_edit(CHANNEL, said["ts"], "refund 100")
    assert changed["subtype"] == "message_changed" and changed["hidden"] is True
    assert changed["message"]["ts"] == said["ts"] and changed["message"]["text"] == "refund 100"
    assert changed["message"]["thread_ts"] == root
    assert changed["message"]["edited"]["user"] == "U0JANE"
    assert changed["previous_message"]["text"] == "refund 10"
    assert changed["ts"] == changed["event_ts"] != said["ts"]
    assert stub.message(CHANNEL, said["ts"])["text"] == "refund 100"  # type: ignore[index]

    deleted = stub.user_delete(CHANNEL, said["ts"])
    assert deleted["subtype"] == "message_deleted" and deleted["deleted_ts"] == said["ts"]
    assert deleted["previous_message"]["thread_ts"] == root
    assert stub.message(CHANNEL, said["ts"]) is None
    assert stub.message(CHANNEL, root)["reply_count"] == 0  # type: ignore[index]
    with pytest.raises(KeyError):
        stub.user_edit(CHANNEL, said["ts"], "again")


async def test_bot_messages_ours_and_others(stub: SlackStub, client: AsyncWebClient) -> None:
    root = await card(client)
    hook = stub.bot_message(CHANNEL, "deploy finished", thread_ts=root)
    assert hook["subtype"] == "bot_message" and hook["bot_id"] == "B0HOOK"
    assert "user" not in hook and hook["thread_ts"] == root

    reply = await client.chat_postMessage(channel=CHANNEL, text="Agent reply", thread_ts=root)
    echo = stub.message_event(CHANNEL, reply["ts"])
    assert echo["bot_id"] == STUB_BOT_ID and echo["user"] == STUB_BOT_USER_ID
    assert "subtype" not in echo and echo["thread_ts"] == root
    assert echo["channel"] == CHANNEL and echo["channel_type"] == "channel"


# ---------------------------------------------------------------------- delivery: HTTP to Bolt


@dataclass
class Bolt:
    stub: SlackStub
    sender: SlackEventSender
    events: list[JSON] = field(default_factory=list)
    retries: list[tuple[str | None, str | None]] = field(default_factory=list)


@pytest.fixture
async def bolt(stub: SlackStub) -> AsyncIterator[Bolt]:
    app = AsyncApp(
        signing_secret=DEFAULT_SIGNING_SECRET,
        client=AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url),
    )
    seen: list[JSON] = []
    retries: list[tuple[str | None, str | None]] = []

    @app.event("message")
    async def on_message(ack: Any, event: JSON, body: JSON) -> None:
        await ack()
        seen.append({"event_id": body["event_id"], **event})

    def headers(request: web.Request) -> None:
        retries.append(
            (request.headers.get("X-Slack-Retry-Num"), request.headers.get("X-Slack-Retry-Reason"))
        )

    async with (
        serving_bolt(app, headers) as url,
        SlackEventSender(url, DEFAULT_SIGNING_SECRET, stub=stub) as sender,
    ):
        yield Bolt(stub, sender, seen, retries)


async def wait_until(check: Any, timeout: float = 3.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def test_url_verification_is_answered_by_bolt(bolt: Bolt) -> None:
    answer = await bolt.sender.url_verification("the-challenge")
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "the-challenge"}


async def test_thread_message_reaches_bolt_and_a_retry_carries_the_same_event_id(
    bolt: Bolt, client: AsyncWebClient
) -> None:
    root = await card(client)
    event = bolt.stub.user_message(CHANNEL, "U0JANE", "please check", thread_ts=root)
    first = await bolt.sender.event(event)
    assert first.status_code == 200
    first_id = bolt.sender.last_event_id
    assert first_id is not None
    retried = await bolt.sender.redeliver(1)
    assert retried.status_code == 200
    again = await bolt.sender.event(
        event, event_id=first_id, retry_num=2, retry_reason="http_error"
    )
    assert again.status_code == 200
    await wait_until(lambda: len(bolt.events) == 3)

    assert {e["event_id"] for e in bolt.events} == {first_id}
    assert all(e["text"] == "please check" and e["thread_ts"] == root for e in bolt.events)
    assert bolt.retries == [(None, None), ("1", "http_timeout"), ("2", "http_error")]


async def test_edit_delete_and_other_bot_events_reach_bolt(
    bolt: Bolt, client: AsyncWebClient
) -> None:
    root = await card(client)
    said = bolt.stub.user_message(CHANNEL, "U0SAM", "typo", thread_ts=root)
    for event in (
        bolt.stub.user_edit(CHANNEL, said["ts"], "fixed"),
        bolt.stub.user_delete(CHANNEL, said["ts"]),
        bolt.stub.bot_message(CHANNEL, "build ok", thread_ts=root),
    ):
        assert (await bolt.sender.event(event)).status_code == 200
    await wait_until(lambda: len(bolt.events) == 3)
    assert [e.get("subtype") for e in bolt.events] == [
        "message_changed",
        "message_deleted",
        "bot_message",
    ]


# ---------------------------------------------------------------------- delivery: Socket Mode


@dataclass
class SocketApp:
    server: SocketModeServer
    ws: aiohttp.ClientWebSocketResponse

    async def next_envelope(self) -> JSON:
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 5)
            if message.get("type") != "hello":
                return dict(message)


@pytest.fixture
async def socket_app(stub: SlackStub) -> AsyncIterator[SocketApp]:
    async with running_socket_mode_server(stub) as server:
        app_client = AsyncWebClient(token=DEFAULT_APP_TOKEN, base_url=stub.api_url)
        url = (await app_client.apps_connections_open(app_token=DEFAULT_APP_TOKEN))["url"]
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await server.wait_for_connection(1)
            yield SocketApp(server, ws)


async def test_socket_mode_events_api_envelope_and_redelivery(
    stub: SlackStub, client: AsyncWebClient, socket_app: SocketApp
) -> None:
    root = await card(client)
    event = stub.user_message(CHANNEL, "U0JANE", "from the thread", thread_ts=root)
    sent = await socket_app.server.send_event(event)
    received = await socket_app.next_envelope()
    assert received["type"] == "events_api"
    assert received["envelope_id"] == sent.envelope_id
    assert received["retry_attempt"] == 0 and received["accepts_response_payload"] is False
    payload = received["payload"]
    assert payload["type"] == "event_callback" and payload["event"] == event
    await socket_app.ws.send_json({"envelope_id": received["envelope_id"]})
    assert (await sent.acked()).envelope_id == sent.envelope_id

    again = await socket_app.server.send_event(
        event, event_id=payload["event_id"], retry_attempt=1, retry_reason="timeout"
    )
    redelivered = await socket_app.next_envelope()
    assert redelivered["envelope_id"] == again.envelope_id != sent.envelope_id
    assert redelivered["payload"]["event_id"] == payload["event_id"]
    assert redelivered["retry_attempt"] == 1 and redelivered["retry_reason"] == "timeout"


async def test_the_bots_own_posts_and_updates_echo_as_events(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    root = await card(client)
    reply = await client.chat_postMessage(channel=CHANNEL, text="*Ana* (customer)", thread_ts=root)
    await client.chat_update(channel=CHANNEL, ts=root, text="Ticket card (Resolved)")
    await client.chat_postMessage(channel=OTHER, text="elsewhere")
    echoes = stub.echo_events(CHANNEL)
    assert [e.get("subtype") for e in echoes] == [None, None, "message_changed"]
    posted, replied, changed = echoes
    assert posted["ts"] == root and posted["bot_id"] == STUB_BOT_ID
    assert replied["ts"] == reply["ts"] and replied["thread_ts"] == root
    assert replied["user"] == STUB_BOT_USER_ID
    assert changed["message"]["bot_id"] == STUB_BOT_ID
    assert changed["message"]["text"] == "Ticket card (Resolved)"
    assert changed["previous_message"]["text"] == "Ticket card"
    assert len(stub.echo_events()) == 4
    stub.clear()
    assert stub.echo_events() == []
