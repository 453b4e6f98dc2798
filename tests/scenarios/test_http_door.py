"""The HTTP door: only signed requests reach a listener, and none at all in Socket Mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from mava_sandbox.slack_requests import (
    DEFAULT_SIGNING_SECRET,
    FORM,
    block_actions,
    sign,
    slash_command,
)
from mava_sandbox.slack_stub import RESPONSE_URL
from mava_sandbox.stack import Stack

from .conftest import answer, messages, new_ticket, scenario_stack, send, shown, writes

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUIET = 0.5  # seconds: anything a listener would do, it would have started by now


async def nothing_happened(stack: Stack, ticket: str) -> None:
    await asyncio.sleep(QUIET)
    assert stack.mava.sandbox.requests == [], "Mava was called"
    assert stack.slack.calls() == [], "Slack (or a response_url) was called"
    assert [m for m in messages(stack, ticket) if m["senderType"] == "agent"] == []


def requests_for(stack: Stack, ticket: str, response_url: str) -> list[tuple[str, dict[str, str]]]:
    """A write and a read, each unsigned, forged and signed-with-a-wrong-secret."""
    reply = slash_command(f"reply {ticket} forged!", response_url=response_url)
    show = slash_command(f"show {ticket}", response_url=response_url)
    resolve = block_actions("ticket_resolve", ticket, response_url=response_url)
    out = []
    for body in (reply, show, resolve):
        out += [
            (body, {"Content-Type": FORM}),
            (body, sign("not-the-signing-secret", body)),
            (body, {**sign(DEFAULT_SIGNING_SECRET, body), "X-Slack-Signature": "v0=00"}),
        ]
    return out


# --- Socket Mode: no HTTP door at all -----------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def socket_stack() -> AsyncIterator[Stack]:
    """The bot in Socket Mode (its HTTP server still runs, for health and metrics)."""
    async with scenario_stack(socket_mode=True) as stack:
        yield stack


async def test_socket_mode_serves_no_slack_events_route(socket_stack: Stack) -> None:
    stack = socket_stack
    ticket = new_ticket(stack)
    stack.mava.sandbox.reset_requests()
    stack.slack.clear()  # forget the bot's own apps.connections.open
    hostile = stack.slack.response_url()
    for body, headers in requests_for(stack, ticket, hostile):
        response = await stack.sender.post_raw(body, headers)
        assert response.status_code == 404, response.text
    # Even a request signed with the right secret: Slack never posts here in Socket Mode.
    response = await stack.sender.command(f"reply {ticket} hello", response_url=hostile)
    assert response.status_code == 404
    await nothing_happened(stack, ticket)

    async with httpx.AsyncClient() as client:
        metrics = await client.get(f"{stack.base_url}/metrics")
    assert metrics.status_code == 200


# --- HTTP mode: verification always on ----------------------------------------------------


async def test_unsigned_and_forged_requests_never_reach_a_listener(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.reset_requests()
    hostile = stack.slack.response_url()
    for body, headers in requests_for(stack, ticket, hostile):
        response = await stack.sender.post_raw(body, headers)
        assert response.status_code == 401, response.text
    await nothing_happened(stack, ticket)
    assert stack.slack.calls(RESPONSE_URL) == []  # the card never went to the hostile URL


async def test_a_non_numeric_timestamp_is_refused(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.reset_requests()
    body = slash_command(f"reply {ticket} hi", response_url=stack.slack.response_url())
    for timestamp in ("soon", "1e9", "-5", "12.5", "0x10", "9" * 40, ""):
        headers = {**sign(DEFAULT_SIGNING_SECRET, body), "X-Slack-Request-Timestamp": timestamp}
        response = await stack.sender.post_raw(body, headers)
        assert response.status_code == 401, (timestamp, response.text)
    await nothing_happened(stack, ticket)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def secretless_stack() -> AsyncIterator[Stack]:
    """HTTP mode with SLACK_SIGNING_SECRET unset: nothing can be verified."""
    async with scenario_stack(slack_signing_secret=None) as stack:
        yield stack


async def test_http_mode_without_a_signing_secret_refuses_everything(
    secretless_stack: Stack,
) -> None:
    stack = secretless_stack
    ticket = new_ticket(stack)
    stack.mava.sandbox.reset_requests()
    hostile = stack.slack.response_url()
    for body, headers in requests_for(stack, ticket, hostile):
        response = await stack.sender.post_raw(body, headers)
        assert response.status_code == 401
    signed = await stack.sender.command(f"reply {ticket} hello", response_url=hostile)
    assert signed.status_code == 401
    assert "SLACK_SIGNING_SECRET" in signed.text
    await nothing_happened(stack, ticket)


# --- what passes the door reaches its listener intact -------------------------------------


async def test_a_command_whose_text_says_payload_is_still_a_command(stack: Stack) -> None:
    """Bolt's own parser reads any form mentioning "payload" as interactivity and
    drops the command; the door hands Bolt the body it parsed."""
    ticket = new_ticket(stack)
    sent = await send(stack, f"note {ticket} the payload=big arrived twice")
    assert "Private note added" in shown(await answer(stack, sent.target))
    assert len(writes(stack, "/api/message")) == 1
    notes = messages(stack, ticket, "InternalNote")
    assert notes[-1]["content"].endswith("the payload=big arrived twice")


async def test_ssl_check_is_answered_without_acting(stack: Stack) -> None:
    body = "ssl_check=1&token=vErIfIcAtIoNtOkEn0000000"
    response = await stack.sender.post(body)
    assert response.status_code == 200
    assert (await stack.sender.post_raw(body, {"Content-Type": FORM})).status_code == 401
    await asyncio.sleep(0.2)
    assert stack.slack.calls() == []
