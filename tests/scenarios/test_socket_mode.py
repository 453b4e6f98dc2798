"""Socket Mode end to end: envelopes over a real websocket from the local Socket Mode
server (mava_sandbox/socket_mode_server.py), acks timed, the connection dropped,
refreshed and silenced, health checked.

Run with ``-s`` to see the measured ack and reconnect times.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from running import free_port, wait_for

from mava_bridge.app import Bridge
from mava_sandbox.slack_requests import (
    block_actions,
    message_shortcut,
    slash_command,
    view_submission,
)
from mava_sandbox.slack_stub import DEFAULT_APP_TOKEN
from mava_sandbox.socket_mode_server import Ack, Envelope, running_socket_mode_server
from mava_sandbox.stack import Stack, stack_settings

from .conftest import (
    CHANNEL,
    SAM,
    SLACK_ACK_LIMIT,
    answer,
    mava_ticket,
    messages,
    new_ticket,
    scenario_stack,
    shown,
    target_of,
    view_update,
    writes,
)
from .log_capture import CapturedLogs, captured_logs

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
RECONNECT_LIMIT = 10.0
MESSAGE_TS = "1767225600.000400"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack(socket_mode=True) as stack:
        yield stack


def server(stack: Stack) -> Any:
    assert stack.socket is not None
    return stack.socket


async def deliver(stack: Stack, body: str, **options: Any) -> tuple[Envelope, Ack]:
    """Send `body` (built for HTTP by slack_requests) as an envelope; return it and its ack."""
    envelope = await server(stack).send_request(body, **options)
    ack = await envelope.acked(timeout=SLACK_ACK_LIMIT)
    assert ack.seconds < SLACK_ACK_LIMIT
    return envelope, ack


async def command(stack: Stack, text: str, **options: Any) -> tuple[Ack, JSON]:
    """Run `/mava text` over the socket; return the ack and what the bot answered."""
    url = stack.slack.response_url(channel=CHANNEL)
    _, ack = await deliver(stack, slash_command(text, response_url=url), **options)
    return ack, await answer(stack, target_of(url))


def replies(stack: Stack, ticket: str) -> list[str]:
    """What agents sent the customer on `ticket` (not the customer's own messages)."""
    found = messages(stack, ticket, "ExternalMessage")
    return [m["content"] for m in found if m["senderType"] == "agent"]


async def healthz(stack: Stack) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{stack.base_url}/healthz")


async def reconnect_seconds(stack: Stack, started: float) -> float:
    opened = server(stack).connections_opened
    await server(stack).wait_for_connection(opened + 1, timeout=RECONNECT_LIMIT + 5)
    return time.monotonic() - started


# --- Envelopes -----------------------------------------------------------------------------


async def test_slash_command_is_acked_at_once_and_writes_once(stack: Stack) -> None:
    ticket = new_ticket(stack)
    ack, answered = await command(stack, f"reply {ticket} Thanks, looking now")
    assert ack.payload is None  # `/mava` answers on its response_url, not in the ack
    assert "Sent to the customer" in answered["text"]
    assert replies(stack, ticket) == ["Thanks, looking now"]
    assert len(writes(stack, "/api/message")) == 1


async def test_message_shortcut_opens_a_modal_and_its_submission_adds_the_note(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack)
    message = {"user": SAM, "ts": MESSAGE_TS, "text": f"Ticket {ticket}: refund asked"}
    url = stack.slack.response_url(channel=CHANNEL, message_ts=MESSAGE_TS)
    await deliver(stack, message_shortcut("add_private_note", message=message, response_url=url))
    [opened] = await stack.slack.wait_for("views.open")
    assert opened.response is not None
    view_id = opened.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None

    values = {"ticket": ticket, "text": "Refund approved"}
    _, ack = await deliver(stack, view_submission("shortcut_note_modal", values, view=view))
    assert ack.payload is not None and ack.payload["response_action"] == "update"
    done = await view_update(stack, view_id, 2)
    assert "Private note added" in shown(done)
    [note] = messages(stack, ticket, "InternalNote")
    assert note["content"].startswith("Note from Jane via Slack: Refund approved")
    assert len(writes(stack, "/api/message")) == 1


async def test_button_click_resolves_the_ticket(stack: Stack) -> None:
    ticket = new_ticket(stack)
    _, card = await command(stack, f"show {ticket}")
    assert "ticket_resolve" in str(card["blocks"])
    url = stack.slack.response_url(channel=CHANNEL)
    click = block_actions(
        "ticket_resolve", ticket, is_ephemeral=True, message_ts=MESSAGE_TS, response_url=url
    )
    await deliver(stack, click)
    redrawn = await answer(stack, target_of(url))
    assert redrawn["replace_original"] is True
    assert mava_ticket(stack, ticket)["status"] == "Resolved"


async def test_a_redelivered_envelope_makes_no_second_write(stack: Stack) -> None:
    ticket = new_ticket(stack)
    url = stack.slack.response_url(channel=CHANNEL)
    body = slash_command(f"reply {ticket} Only once please", response_url=url)
    first, _ = await deliver(stack, body)
    await answer(stack, target_of(url))
    # Slack sends the same envelope again (same id, same payload): acked, not redone.
    await deliver(stack, body, envelope_id=first.envelope_id)
    again = await answer(stack, target_of(url), 2)
    assert "already submitted" in again["text"]
    assert replies(stack, ticket) == ["Only once please"]
    assert len(writes(stack, "/api/message")) == 1


async def test_a_hundred_envelopes_at_once_are_all_acked_and_written_once(
    stack: Stack,
) -> None:
    tickets = [new_ticket(stack) for _ in range(100)]
    urls = [stack.slack.response_url(channel=CHANNEL) for _ in tickets]
    bodies = [
        slash_command(f"reply {ticket} Burst reply {i}", response_url=url)
        for i, (ticket, url) in enumerate(zip(tickets, urls, strict=True))
    ]
    gc.collect()  # what `mava-bot run` does with gc.freeze(): no full collection mid-burst
    envelopes = await asyncio.gather(*(server(stack).send_request(b) for b in bodies))
    acks = await asyncio.gather(*(e.acked(timeout=SLACK_ACK_LIMIT + 2) for e in envelopes))
    for url in urls:
        await answer(stack, target_of(url))

    seconds = sorted(a.seconds for a in acks)
    p50, p99 = statistics.median(seconds), seconds[98]
    print(
        f"\nSocket Mode ack for 100 envelopes at once: p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {seconds[-1] * 1000:.1f} ms"
    )
    assert len(acks) == 100 and seconds[-1] < SLACK_ACK_LIMIT
    written = writes(stack, "/api/message")
    assert len(written) == 100
    assert sorted(r.body["ticketId"] for r in written) == sorted(tickets)


# --- The connection ------------------------------------------------------------------------


async def test_refresh_requested_reconnects_and_loses_nothing(stack: Stack) -> None:
    ticket = new_ticket(stack)
    before_url = stack.slack.response_url()
    before = await server(stack).send_request(
        slash_command(f"reply {ticket} Before refresh", response_url=before_url)
    )
    started = time.monotonic()
    old = await server(stack).refresh()
    took = await reconnect_seconds(stack, started)
    print(f"\nreconnected after refresh_requested in {took:.3f} s")
    assert took < RECONNECT_LIMIT
    assert (await before.acked()).envelope_id == before.envelope_id
    await command(stack, f"reply {ticket} After refresh")
    await answer(stack, target_of(before_url))  # its work may finish after the new one's
    assert sorted(replies(stack, ticket)) == ["After refresh", "Before refresh"]
    await asyncio.sleep(0.2)
    assert not old.open  # the client closed the old socket itself


async def test_an_abrupt_drop_is_reconnected_within_seconds(stack: Stack) -> None:
    started = time.monotonic()
    server(stack).drop()
    took = await reconnect_seconds(stack, started)
    print(f"\nreconnected after an abrupt drop in {took:.3f} s")
    assert took < RECONNECT_LIMIT
    assert (await healthz(stack)).status_code == 200  # a short gap is within the bound
    ticket = new_ticket(stack)
    await command(stack, f"reply {ticket} After the drop")
    assert len(writes(stack, "/api/message")) == 1


async def test_a_silent_dead_socket_is_replaced_within_seconds(stack: Stack) -> None:
    started = time.monotonic()
    dead = server(stack).go_silent()
    took = await reconnect_seconds(stack, started)
    print(f"\nreconnected after the socket went silent in {took:.3f} s")
    assert took < RECONNECT_LIMIT
    assert server(stack).current() is not dead
    ticket = new_ticket(stack)
    await command(stack, f"reply {ticket} After the silence")
    assert len(writes(stack, "/api/message")) == 1


async def test_a_refused_handshake_gets_a_fresh_url_not_the_spent_one(stack: Stack) -> None:
    asked = len(stack.slack.calls("apps.connections.open"))
    server(stack).reject_handshakes = 2
    started = time.monotonic()
    server(stack).drop()
    took = await reconnect_seconds(stack, started)
    print(f"\nreconnected after two refused handshakes in {took:.3f} s")
    assert took < 15  # two failed attempts back off: 2 s, then 4 s
    # One URL per attempt: the SDK alone would retry the refused URL forever.
    assert len(stack.slack.calls("apps.connections.open")) == asked + 3
    ticket = new_ticket(stack)
    await command(stack, f"reply {ticket} After the refusals")
    assert replies(stack, ticket) == ["After the refusals"]


async def test_after_stop_no_url_is_asked_for_and_no_socket_opened(stack: Stack) -> None:
    async with scenario_stack(socket_mode=True) as own:
        socket = server(own)
        asked = len(own.slack.calls("apps.connections.open"))
        assert own.runtime.socket_mode is not None
        await own.runtime.socket_mode.stop()
        await asyncio.sleep(0.2)
        assert socket.open_connections() == []
        # Longer than the SDK's monitor needs to notice the closed socket and reconnect.
        await asyncio.sleep(3 * own.runtime.socket_mode.client.ping_interval)
        assert socket.connections_opened == 1
        assert len(own.slack.calls("apps.connections.open")) == asked


async def test_unsigned_post_to_slack_events_is_404_in_socket_mode(stack: Stack) -> None:
    # Helper C's change: in Socket Mode `/slack/events` is not served at all.
    ticket = new_ticket(stack)
    body = slash_command(f"reply {ticket} Forged", response_url=stack.slack.response_url())
    response = await stack.sender.post_raw(
        body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 404
    await asyncio.sleep(0.3)
    assert writes(stack, "/api/message") == []


# --- Health --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def unhealthy_bound_stack(**overrides: Any) -> AsyncIterator[Stack]:
    async with scenario_stack(
        socket_mode=True, socket_mode_unhealthy_seconds=1.0, **overrides
    ) as s:
        yield s


async def test_health_is_503_naming_the_error_once_slack_is_unreachable_past_the_bound(
    stack: Stack,
) -> None:
    async with unhealthy_bound_stack() as own:
        socket = server(own)
        await socket.refuse_connections()
        socket.drop()
        await asyncio.sleep(0.5)
        assert (await healthz(own)).status_code == 200  # not yet past the bound
        await asyncio.sleep(1.5)
        response = await healthz(own)
        assert response.status_code == 503
        reason = response.json()["checks"]["slack_socket"]
        assert "SocketModeDown: no connection for" in reason
        assert "connection refused" in reason
        assert DEFAULT_APP_TOKEN not in response.text

        await socket.accept_connections()
        await socket.wait_for_connection(timeout=15)
        await asyncio.sleep(0.1)
        assert (await healthz(own)).status_code == 200


async def test_health_is_503_with_invalid_auth_for_a_wrong_app_token(tmp_path: Path) -> None:
    async with scenario_stack() as plain, running_socket_mode_server(plain.slack) as socket:
        token = "xapp-1-A0MAVABOT-1-wrong-token"
        settings = stack_settings(
            plain.mava,
            plain.slack,
            f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            slack_app_token=token,
            socket_mode_unhealthy_seconds=0.5,
        )
        runtime = await Bridge.build(settings)
        runner, port = await runtime.serve_http("127.0.0.1", 0)
        try:
            assert runtime.socket_mode is not None
            await runtime.socket_mode.start()
            await asyncio.sleep(1.0)
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert response.status_code == 503
            reason = response.json()["checks"]["slack_socket"]
            assert "apps.connections.open: invalid_auth" in reason
            assert token not in response.text
            assert socket.connections_opened == 0
        finally:
            await runner.cleanup()
            await runtime.close()


# --- Quiet logs ----------------------------------------------------------------------------


async def failed_attempts(runtime: Bridge, count: int) -> None:
    assert runtime.socket_mode is not None
    client = runtime.socket_mode.client
    await wait_for(lambda: client.failures >= count, 30, f"{count} failed attempts")


def assert_one_warning_per_reason(logs: CapturedLogs, reason: str) -> None:
    """Attempt after attempt fails for the same reason: one WARNING naming host and
    cause; no traceback, nothing from slack_sdk above INFO (issue #18)."""
    loud = [r for r in logs.records() if r["level"] not in ("DEBUG", "INFO")]
    assert [(r["level"], r["message"]) for r in loud] == [
        ("WARNING", f"Socket Mode connection failed: {reason}")
    ], loud
    assert logs.tracebacks() == 0
    assert "Traceback" not in logs.stream.getvalue()
    assert DEFAULT_APP_TOKEN not in logs.stream.getvalue()


async def test_slack_web_api_unreachable_is_one_warning_not_a_traceback_per_attempt(
    tmp_path: Path,
) -> None:
    async with scenario_stack() as plain:
        closed = free_port()  # nothing listens there
        settings = stack_settings(
            plain.mava,
            plain.slack,
            f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            slack_app_token=DEFAULT_APP_TOKEN,
            slack_api_url=f"http://127.0.0.1:{closed}/api/",
        )
        with captured_logs() as logs:
            runtime = await Bridge.build(settings)
            try:
                assert runtime.socket_mode is not None
                await runtime.socket_mode.start()
                await failed_attempts(runtime, 3)
            finally:
                await runtime.close()
    reason = f"apps.connections.open: connection refused (127.0.0.1:{closed})"
    assert_one_warning_per_reason(logs, reason)


async def test_a_refused_websocket_is_one_warning_not_a_traceback_per_attempt(
    stack: Stack,
) -> None:
    async with scenario_stack(socket_mode=True) as own:
        socket = server(own)
        with captured_logs() as logs:
            await socket.refuse_connections()
            socket.drop()
            await failed_attempts(own.runtime, 3)
            await socket.accept_connections()
            await socket.wait_for_connection(timeout=30)
    host, port = socket._address
    reason = f"websocket: connection refused ({host}:{port})"
    lost = "Socket Mode connection lost; reconnecting"
    loud = [r for r in logs.records() if r["level"] not in ("DEBUG", "INFO")]
    assert [r["message"] for r in loud if r["message"] != lost] == [
        f"Socket Mode connection failed: {reason}"
    ]
    assert logs.tracebacks() == 0
