"""The HTTP server under slow, broken and oversized clients: bounded in time, in memory
and in the log."""

from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import urlsplit

import httpx
import pytest

from mava_bridge.slack.http_route import READ_TIMEOUT_SECONDS
from mava_sandbox.slack_requests import FORM, slash_command
from mava_sandbox.stack import Stack

from .conftest import assert_ack, new_ticket
from .log_capture import MAX_LINE, captured_logs

pytestmark = pytest.mark.asyncio(loop_scope="module")

STALLED = 200


def address(stack: Stack) -> tuple[str, int]:
    parts = urlsplit(stack.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    """True when the server closes (or answers and closes) the connection in time."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def test_stalled_connections_are_closed_and_others_are_served(stack: Stack) -> None:
    host, port = address(stack)
    ticket = new_ticket(stack)
    body = slash_command(f"show {ticket}", response_url=stack.slack.response_url()).encode()
    halves = [
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: applicat",  # headers
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: "  # half a body
        + FORM.encode()
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body[: len(body) // 2],
        b"GET /healthz HTTP/1.1\r\nHost: b",  # not even a whole request line's headers
    ]
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    started = time.monotonic()
    try:
        for index in range(STALLED):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(halves[index % len(halves)])
            await writer.drain()
            connections.append((reader, writer))

        # The server still serves everyone else meanwhile.
        assert_ack(await stack.sender.command("help"))

        limit = READ_TIMEOUT_SECONDS + 5.0  # the bound, plus a busy machine's margin
        closed = await asyncio.gather(*(closed_by_server(r, limit) for r, _ in connections))
        elapsed = time.monotonic() - started
    finally:
        for _, writer in connections:
            writer.close()
    print(f"\n{sum(closed)}/{STALLED} stalled connections closed by the server in {elapsed:.1f} s")
    assert all(closed)
    assert elapsed < READ_TIMEOUT_SECONDS + 6.0
    assert_ack(await stack.sender.command("help"))
    assert stack.mava.sandbox.requests == []  # none of the halves reached a listener


async def test_a_client_leaving_mid_body_is_not_an_error(stack: Stack) -> None:
    host, port = address(stack)
    with captured_logs() as logs:
        for _ in range(20):
            _reader, writer = await asyncio.open_connection(host, port)
            writer.write(
                b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: "
                + FORM.encode()
                + b"\r\nContent-Length: 100000\r\n\r\n"
                + b"text=" * 1000
            )
            await writer.drain()
            writer.close()
        await asyncio.sleep(0.5)
    assert logs.errors() == []
    assert logs.tracebacks() == 0
    refused = [r for r in logs.records() if r["logger"] == "mava_bridge.slack.http"]
    assert refused and all("client left" in r["message"] for r in refused)


async def test_a_rejected_megabyte_is_never_logged(stack: Stack) -> None:
    """Unsigned (or badly signed) bodies, up to the 1 MiB the server reads, leave one
    short line each with the reason: no body, no response_url."""
    ticket = new_ticket(stack)
    marker = f"https://attacker.example/{secrets.token_hex(8)}"
    body = slash_command(f"reply {ticket} {'x' * 1_000_000}", response_url=marker).encode()
    with captured_logs() as logs:
        async with httpx.AsyncClient(timeout=10.0) as client:
            unsigned = await client.post(stack.url, content=body, headers={"Content-Type": FORM})
            forged = await client.post(
                stack.url,
                content=body,
                headers={
                    "Content-Type": FORM,
                    "X-Slack-Request-Timestamp": str(int(time.time())),
                    "X-Slack-Signature": "v0=" + "0" * 64,
                },
            )
            too_big = await client.post(
                stack.url, content=body + b"&pad=" + b"y" * 100_000, headers={"Content-Type": FORM}
            )
        await asyncio.sleep(0.3)
    assert (unsigned.status_code, forged.status_code, too_big.status_code) == (401, 401, 413)
    text = logs.stream.getvalue()
    assert marker not in text
    assert "xxxxxxxxxx" not in text
    assert logs.longest() < 1000
    assert len(logs.lines()) == 3
    assert logs.longest() <= MAX_LINE
    assert stack.mava.sandbox.requests == []


async def test_a_100_kb_header_gets_its_400_and_one_short_line(stack: Stack) -> None:
    """aiohttp refuses a header over its 8 KB line limit before any route: the client
    gets the 400 and the log one short INFO line, not aiohttp's ERROR traceback."""
    host, port = address(stack)
    marker = secrets.token_hex(8)
    with captured_logs() as logs:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(
                b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Big: "
                + (marker.encode() + b"y" * 100_000)
                + b"\r\nContent-Length: 0\r\n\r\n"
            )
            await writer.drain()
            async with asyncio.timeout(10):
                status_line = await reader.readline()
        finally:
            writer.close()
        # The handler logs before it answers: the line is there by now.
    assert status_line.split()[1:2] == [b"400"], status_line
    records = logs.records()
    assert logs.errors() == [] and logs.tracebacks() == 0, records
    assert len(records) == 1, records
    line = records[0]
    assert line["level"] == "INFO"
    assert line["message"].startswith("bad HTTP request from 127.0.0.1 answered 400: ")
    assert "too long" in line["message"].lower()
    assert marker not in logs.stream.getvalue()
    assert logs.longest() < 500
