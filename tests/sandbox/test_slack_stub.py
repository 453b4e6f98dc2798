"""The Slack stub speaks slack_sdk's protocol, and the signed request builders drive Bolt."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import httpx
import pytest
from bolt_server import serving_bolt
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.slack_requests import (
    DEFAULT_SIGNING_SECRET,
    SlackEventSender,
    block_actions,
    message_shortcut,
    sign,
    slash_command,
    state_values,
    view_submission,
)
from mava_sandbox.slack_stub import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_USERS,
    RESPONSE_URL,
    STUB_BOT_USER_ID,
    SlackStub,
)

CHANNEL = "C0SUPPORT"


async def _error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


# ---------------------------------------------------------------------- Web API via slack_sdk


async def test_auth_test_reports_the_bot_identity(client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == STUB_BOT_USER_ID
    assert {"url", "team", "team_id", "user", "bot_id"} <= set(resp.data)


async def test_post_update_delete_and_threads(stub: SlackStub, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="first")
    ts = posted["ts"]
    assert posted["channel"] == CHANNEL and posted["message"]["text"] == "first"
    second = await client.chat_postMessage(channel=CHANNEL, text="second")
    assert float(second["ts"]) > float(ts)  # ts strictly increases

    reply = await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=ts)
    assert reply["message"]["thread_ts"] == ts
    parent = stub.message(CHANNEL, ts)
    assert parent is not None and parent["reply_count"] == 1

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*new*"}}]
    updated = await client.chat_update(channel=CHANNEL, ts=ts, text="edited", blocks=blocks)
    assert updated["ts"] == ts and updated["message"]["text"] == "edited"
    texts = [m["text"] for m in stub.messages(CHANNEL)]
    assert texts == ["edited", "second", "reply"]
    assert stub.messages(CHANNEL)[0]["blocks"] == blocks
    assert "edited" in stub.messages(CHANNEL)[0]
    assert [m["text"] for m in stub.thread(CHANNEL, ts)] == ["edited", "reply"]

    missing = await _error_of(client.chat_update(channel=CHANNEL, ts="1.000001", text="x"))
    assert missing.response["error"] == "message_not_found"

    await client.chat_delete(channel=CHANNEL, ts=second["ts"])
    assert [m["text"] for m in stub.messages(CHANNEL)] == ["edited", "reply"]

    link = await client.chat_getPermalink(channel=CHANNEL, message_ts=reply["ts"])
    assert link["permalink"].startswith(
        f"https://example.slack.com/archives/{CHANNEL}/p{reply['ts'].replace('.', '')}"
    )
    assert f"thread_ts={ts}" in link["permalink"]


async def test_permalink_for_any_message(client: AsyncWebClient) -> None:
    link = await client.chat_getPermalink(channel="C0X", message_ts="1700000000.123456")
    assert link["permalink"] == "https://example.slack.com/archives/C0X/p1700000000123456"


async def test_posting_to_a_user_id_opens_a_dm(stub: SlackStub, client: AsyncWebClient) -> None:
    resp = await client.chat_postMessage(channel="U0JANE", text="hi Jane")
    assert resp["channel"] == stub.dm_channel("U0JANE") and resp["channel"].startswith("D")
    assert stub.messages("U0JANE")[0]["text"] == "hi Jane"
    bot_dm = await _error_of(client.chat_postMessage(channel="U0BOT", text="x"))
    assert bot_dm.response["error"] == "cannot_dm_bot"


async def test_form_encoded_json_fields_are_decoded(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call(
        "chat.postMessage", data={"channel": CHANNEL, "text": "t", "blocks": json.dumps(blocks)}
    )
    (call,) = stub.calls("chat.postMessage")
    assert call.params["blocks"] == blocks and call.token == DEFAULT_BOT_TOKEN
    assert stub.messages(CHANNEL)[0]["blocks"] == blocks


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_block_kit_limits_are_enforced(client: AsyncWebClient) -> None:
    header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    err = await _error_of(client.chat_postMessage(channel=CHANNEL, text="t", blocks=header))
    assert err.response["error"] == "invalid_blocks"
    assert err.response["response_metadata"]["messages"]
    no_text = await _error_of(client.chat_postMessage(channel=CHANNEL))
    assert no_text.response["error"] == "no_text"


async def test_ephemeral(stub: SlackStub, client: AsyncWebClient) -> None:
    resp = await client.chat_postEphemeral(channel=CHANNEL, user="U0SAM", text="only you")
    assert resp["ok"] and resp["message_ts"]
    assert stub.ephemerals("U0SAM") == [
        {"channel": CHANNEL, "user": "U0SAM", "text": "only you", "message_ts": resp["message_ts"]}
    ]
    assert stub.ephemerals("U0JANE") == []
    assert stub.messages(CHANNEL) == []


@pytest.mark.parametrize("user", DEFAULT_USERS, ids=lambda u: u.id)
async def test_users_info_for_each_default_user(client: AsyncWebClient, user: Any) -> None:
    resp = await client.users_info(user=user.id)
    shown = resp["user"]
    assert shown["id"] == user.id and shown["name"] == user.name
    assert shown["team_id"] == user.team_id
    assert shown["is_bot"] is user.is_bot
    assert shown["is_restricted"] is user.is_restricted
    assert shown["deleted"] is user.deleted
    # Bots have no email in their profile, like real bot users.
    assert shown["profile"].get("email") == (None if user.is_bot else user.email)
    assert shown["profile"]["real_name"] == shown["real_name"]
    assert isinstance(shown["tz_offset"], int)


async def test_default_directory_shape() -> None:
    by_id = {u.id: u for u in DEFAULT_USERS}
    assert by_id["U0JANE"].email == "jane@example.com" and by_id["U0JANE"].real_name == "Jane Smith"
    assert by_id["U0SAM"].email == "sam@example.com"
    assert by_id["U0GUEST"].is_restricted and by_id["U0EXT"].team_id == "T0OTHER"
    assert by_id["U0BOT"].is_bot


async def test_users_lookup_and_unknown(stub: SlackStub, client: AsyncWebClient) -> None:
    found = await client.users_lookupByEmail(email="SAM@example.com")
    assert found["user"]["id"] == "U0SAM"
    unknown = await _error_of(client.users_info(user="U0NOBODY"))
    assert unknown.response["error"] == "user_not_found"
    stub.add_user("U0NEW", name="new", real_name="New Person", email="new@example.com")
    added = await client.users_info(user="U0NEW")
    assert added["user"]["profile"]["email"] == "new@example.com"
    assert added["user"]["profile"]["display_name"] == ""


async def test_usergroups(stub: SlackStub, client: AsyncWebClient) -> None:
    stub.add_usergroup("S0TEAM", ["U0JANE", "U0EXT"])
    resp = await client.usergroups_users_list(usergroup="S0TEAM")
    assert resp["users"] == ["U0JANE", "U0EXT"]
    default = await client.usergroups_users_list(usergroup="S0SUPPORT")
    assert default["users"] == ["U0JANE", "U0SAM"]
    err = await _error_of(client.usergroups_users_list(usergroup="S0NOPE"))
    assert err.response["error"] == "no_such_subteam"


async def test_conversations_info(stub: SlackStub, client: AsyncWebClient) -> None:
    info = await client.conversations_info(channel=CHANNEL)
    assert info["channel"]["id"] == CHANNEL and info["channel"]["is_channel"] is True
    stub.add_channel("G0SECRET", name="secret", is_private=True)
    private = await client.conversations_info(channel="G0SECRET")
    assert private["channel"]["is_private"] is True and private["channel"]["name"] == "secret"


def _modal(title: str = "Create ticket", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "mava_ticket_modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [
            {
                "type": "input",
                "block_id": "subject",
                "label": {"type": "plain_text", "text": "Subject"},
                "element": {"type": "plain_text_input", "action_id": "subject_input"},
            }
        ],
        **extra,
    }


async def test_views_open_update_push(stub: SlackStub, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="1.2.abc", view=_modal(external_id="ext-1"))
    view = opened["view"]
    assert (
        view["id"].startswith("V") and view["hash"] and view["callback_id"] == "mava_ticket_modal"
    )
    assert view["state"] == {"values": {}}

    updated = await client.views_update(
        view_id=view["id"], hash=view["hash"], view=_modal("Updated")
    )
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    stale = await _error_of(
        client.views_update(view_id=view["id"], hash=view["hash"], view=_modal())
    )
    assert stale.response["error"] == "hash_conflict"
    by_external = await client.views_update(external_id="ext-1", view=_modal("By external"))
    assert by_external["view"]["title"]["text"] == "By external"
    missing = await _error_of(client.views_update(view_id="V404", view=_modal()))
    assert missing.response["error"] == "not_found"

    pushed = await client.views_push(trigger_id="1.2.def", view=_modal("Pushed"))
    assert pushed["view"]["previous_view_id"] == view["id"]
    assert [v["title"]["text"] for v in stub.views()] == ["By external", "Pushed"]

    too_long = await _error_of(client.views_open(trigger_id="t", view=_modal("x" * 25)))
    assert too_long.response["error"] == "invalid_arguments"


async def test_auth_failures(stub: SlackStub, client: AsyncWebClient) -> None:
    bad = AsyncWebClient(token="xoxb-wrong", base_url=stub.api_url)
    assert (await _error_of(bad.auth_test())).response["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=stub.api_url)
    assert (await _error_of(anonymous.auth_test())).response["error"] == "not_authed"
    # The legacy token form field is accepted too.
    via_param = await anonymous.api_call("auth.test", data={"token": DEFAULT_BOT_TOKEN})
    assert via_param["ok"] is True

    await client.auth_test()
    stub.revoke(DEFAULT_BOT_TOKEN)
    revoked = await _error_of(client.chat_postMessage(channel=CHANNEL, text="x"))
    assert revoked.response["error"] == "token_revoked"
    assert [c.error for c in stub.calls()][-1] == "token_revoked"


async def test_unknown_method(client: AsyncWebClient) -> None:
    err = await _error_of(client.api_call("nope.nothing"))
    assert err.response["error"] == "unknown_method"


async def test_fail_injection(stub: SlackStub, client: AsyncWebClient) -> None:
    stub.fail("chat.postMessage", error="not_in_channel")
    err = await _error_of(client.chat_postMessage(channel=CHANNEL, text="x"))
    assert err.response["error"] == "not_in_channel"
    await client.chat_postMessage(channel=CHANNEL, text="second try")  # times=1 used up

    stub.fail("users.info", error="fatal_error", times=None)
    for _ in range(3):
        assert (await _error_of(client.users_info(user="U0JANE"))).response[
            "error"
        ] == "fatal_error"
    stub.clear_faults()
    assert (await client.users_info(user="U0JANE"))["ok"]

    stub.channels_not_found.add("C0GONE")
    gone = await _error_of(client.chat_postMessage(channel="C0GONE", text="x"))
    assert gone.response["error"] == "channel_not_found"
    assert [c.ok for c in stub.calls("chat.postMessage")] == [False, True, False]


async def test_rate_limit_surfaces_without_a_retry_handler(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    stub.rate_limit("chat.postMessage", retry_after=7)
    err = await _error_of(client.chat_postMessage(channel=CHANNEL, text="x"))
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"


async def test_rate_limit_is_retried_by_slack_sdk(stub: SlackStub) -> None:
    # Retry-After 0 keeps the handler's sleep under a second.
    stub.rate_limit("chat.postMessage", retry_after=0)
    client = AsyncWebClient(
        token=DEFAULT_BOT_TOKEN,
        base_url=stub.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    resp = await client.chat_postMessage(channel=CHANNEL, text="eventually")
    assert resp["ok"]
    assert [c.status for c in stub.calls("chat.postMessage")] == [429, 200]
    assert len(stub.messages(CHANNEL)) == 1


async def test_http_errors(stub: SlackStub, client: AsyncWebClient) -> None:
    stub.http_error("chat.update", status=503)
    stub.http_error("chat.postMessage", status=500, body="upstream exploded")
    err = await _error_of(client.chat_update(channel=CHANNEL, ts="1.1", text="x"))
    assert err.response.status_code == 503 and err.response["error"] == "internal_error"
    text_err = await _error_of(client.chat_postMessage(channel=CHANNEL, text="x"))
    assert text_err.response.status_code == 500
    assert (await client.chat_postMessage(channel=CHANNEL, text="ok now"))["ok"]


async def test_wait_for(stub: SlackStub, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel=CHANNEL, text="one")
        await client.chat_postMessage(channel="C0OTHER", text="two")

    task = asyncio.create_task(later())
    calls = await stub.wait_for(
        "chat.postMessage", count=1, predicate=lambda c: c.params["channel"] == "C0OTHER"
    )
    await task
    assert calls[0].params["text"] == "two"
    assert len(await stub.wait_for("chat.postMessage", count=2)) == 2
    with pytest.raises(TimeoutError, match=r"chat\.update"):
        await stub.wait_for("chat.update", timeout=0.05)
    stub.clear()
    assert stub.calls() == [] and stub.messages(CHANNEL) == []


async def test_response_urls(stub: SlackStub, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="original")
    bound = stub.response_url("bound", channel=CHANNEL, message_ts=posted["ts"])
    plain = stub.response_url("plain")
    async with aiohttp.ClientSession() as session:
        async with session.post(plain, json={"text": "just for you"}) as resp:
            assert resp.status == 200 and await resp.text() == "ok"
        async with session.post(bound, json={"text": "replaced", "replace_original": True}):
            pass
        async with session.post(bound, json={"text": "shout", "response_type": "in_channel"}):
            pass
    assert stub.responses("plain") == [{"text": "just for you"}]
    assert len(stub.responses()) == 3
    assert [m["text"] for m in stub.messages(CHANNEL)] == ["replaced", "shout"]
    assert stub.calls(RESPONSE_URL)[0].target == "plain"


async def test_a_click_on_an_ephemeral_answers_that_ephemeral(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    """Bound to the ephemeral the button was on (not to a channel message with that ts):
    replace_original replaces it for the same person, delete_original removes it."""
    posted = await client.chat_postMessage(channel=CHANNEL, text="a customer's message")
    shown = await client.chat_postEphemeral(channel=CHANNEL, user="U0SAM", text="Make a ticket?")
    ts = str(shown["message_ts"])
    url = stub.response_url(channel=CHANNEL, message_ts=ts, ephemeral=True)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"text": "Opening", "replace_original": True}):
            pass
        assert stub.ephemeral(CHANNEL, ts) == {
            "channel": CHANNEL,
            "user": "U0SAM",
            "message_ts": ts,
            "text": "Opening",
        }
        async with session.post(url, json={"delete_original": True}) as resp:
            assert resp.status == 200 and await resp.text() == "ok"
    assert stub.ephemeral(CHANNEL, ts) is None and stub.ephemerals() == []
    assert [m["ts"] for m in stub.messages(CHANNEL)] == [posted["ts"]]


# ---------------------------------------------------------------------- signing


def test_sign_matches_slack_sdk_verifier() -> None:
    body = slash_command("list", response_url="https://hooks.example/x")
    headers = sign(DEFAULT_SIGNING_SECRET, body)
    verifier = SignatureVerifier(DEFAULT_SIGNING_SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid_request(body.encode(), sign(DEFAULT_SIGNING_SECRET, body.encode()))
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = sign(DEFAULT_SIGNING_SECRET, body, int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_builders_shape() -> None:
    command = parse_qs(slash_command("new  ticket", user_id="U0SAM", response_url="https://r"))
    assert command["command"] == ["/mava"] and command["text"] == ["new  ticket"]
    assert command["user_name"] == ["sam"] and command["response_url"] == ["https://r"]

    message = {"ts": "1700000000.000100", "text": "help!", "user": "U0EXT"}
    shortcut = json.loads(
        parse_qs(message_shortcut("cb", message=message, response_url="r"))["payload"][0]
    )
    assert shortcut["type"] == "message_action" and shortcut["message_ts"] == message["ts"]
    assert shortcut["message"]["type"] == "message" and shortcut["channel"]["id"] == CHANNEL

    rendered = {
        "ts": "1700000000.000200",
        "blocks": [
            {
                "type": "actions",
                "block_id": "ticket_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "claim",
                        "text": {"type": "plain_text", "text": "Claim"},
                    },
                    {
                        "type": "static_select",
                        "action_id": "status",
                        "options": [
                            {"text": {"type": "plain_text", "text": "Open"}, "value": "open"}
                        ],
                    },
                ],
            }
        ],
    }
    action = json.loads(
        parse_qs(block_actions("claim", "T-1", message=rendered, response_url="r"))["payload"][0]
    )
    assert action["actions"][0]["block_id"] == "ticket_actions"
    assert action["actions"][0]["text"]["text"] == "Claim"
    assert action["container"]["message_ts"] == rendered["ts"]
    select = json.loads(
        parse_qs(block_actions("status", "open", message=rendered, response_url="r"))["payload"][0]
    )
    assert select["actions"][0]["selected_option"]["text"]["text"] == "Open"

    blocks = _modal()["blocks"]
    assert state_values({"subject": "Printer on fire"}, blocks) == {
        "subject": {"subject_input": {"type": "plain_text_input", "value": "Printer on fire"}}
    }
    submission = json.loads(
        parse_qs(view_submission("mava_ticket_modal", {"a": "b"}, private_metadata="pm"))[
            "payload"
        ][0]
    )
    assert submission["view"]["state"]["values"] == {
        "a": {"a": {"type": "plain_text_input", "value": "b"}}
    }
    assert submission["view"]["private_metadata"] == "pm"


# ---------------------------------------------------------------------- Bolt end to end


@dataclass
class BoltHarness:
    stub: SlackStub
    url: str
    sender: SlackEventSender
    hits: list[str] = field(default_factory=list)


def _bolt_app(stub: SlackStub, hits: list[str]) -> AsyncApp:
    app = AsyncApp(
        signing_secret=DEFAULT_SIGNING_SECRET,
        client=AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url),
    )

    @app.command("/mava")
    async def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        hits.append("command")
        await respond(f"you said {command['text']}")

    @app.shortcut("mava_create_ticket")
    async def on_shortcut(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        hits.append("shortcut")
        await client.views_open(trigger_id=shortcut["trigger_id"], view=_modal())

    @app.action("mava_claim")
    async def on_action(ack: Any, action: dict[str, Any], respond: Any) -> None:
        await ack()
        hits.append("action")
        await respond(text=f"claimed {action['value']}", replace_original=True)

    @app.view("mava_ticket_modal")
    async def on_view(ack: Any, view: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        hits.append("view")
        subject = view["state"]["values"]["subject"]["subject_input"]["value"]
        await client.chat_postMessage(channel=CHANNEL, text=f"ticket: {subject}")

    return app


@pytest.fixture
async def bolt(stub: SlackStub) -> AsyncIterator[BoltHarness]:
    hits: list[str] = []
    app = _bolt_app(stub, hits)
    async with (
        serving_bolt(app) as url,
        SlackEventSender(url, DEFAULT_SIGNING_SECRET, stub=stub) as sender,
    ):
        yield BoltHarness(stub, url, sender, hits)


async def test_bolt_routes_a_signed_command_and_respond_reaches_the_stub(
    bolt: BoltHarness,
) -> None:
    resp = await bolt.sender.command("list open")
    assert resp.status_code == 200
    (call,) = await bolt.stub.wait_for(RESPONSE_URL)
    assert call.params["text"] == "you said list open"
    assert bolt.hits == ["command"]
    assert bolt.sender.last_response_url is not None
    assert bolt.sender.last_response_url.endswith(f"/response/{call.target}")


async def test_bolt_routes_shortcut_then_view_submission(bolt: BoltHarness) -> None:
    message = {"ts": "1700000000.000300", "text": "my printer is on fire", "user": "U0EXT"}
    resp = await bolt.sender.shortcut("mava_create_ticket", message=message)
    assert resp.status_code == 200
    await bolt.stub.wait_for("views.open")
    opened = bolt.stub.views()[-1]

    resp = await bolt.sender.submit_view(
        "mava_ticket_modal", {"subject": "Printer on fire"}, view=opened
    )
    assert resp.status_code == 200
    await bolt.stub.wait_for("chat.postMessage")
    assert bolt.stub.messages(CHANNEL)[-1]["text"] == "ticket: Printer on fire"
    assert bolt.hits == ["shortcut", "view"]


async def test_bolt_routes_block_action_and_replace_original(
    stub: SlackStub, bolt: BoltHarness
) -> None:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    claim = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "mava_claim",
                "text": {"type": "plain_text", "text": "Claim"},
            }
        ],
    }
    posted = await client.chat_postMessage(channel=CHANNEL, text="ticket T-9", blocks=[claim])
    resp = await bolt.sender.action("mava_claim", "T-9", message=posted["message"])
    assert resp.status_code == 200
    await stub.wait_for(RESPONSE_URL)
    assert bolt.hits == ["action"]
    # The response_url was bound to the message, so replace_original edited it in place.
    assert [m["text"] for m in stub.messages(CHANNEL)] == ["claimed T-9"]


async def test_bolt_rejects_a_wrong_signature(bolt: BoltHarness) -> None:
    body = slash_command("list", response_url=bolt.stub.response_url())
    resp = await bolt.sender.post_raw(body, sign("not-the-secret", body))
    assert resp.status_code == 401
    no_headers = await bolt.sender.post_raw(
        body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert no_headers.status_code == 401
    assert bolt.hits == []


async def test_bolt_rejects_a_stale_timestamp(bolt: BoltHarness) -> None:
    resp = await bolt.sender.command("list", timestamp=int(time.time()) - 6 * 60)
    assert resp.status_code == 401
    assert isinstance(resp, httpx.Response) and bolt.hits == []
    await asyncio.sleep(0.05)
    assert bolt.stub.calls(RESPONSE_URL) == []
