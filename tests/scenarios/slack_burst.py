"""Bursts of signed Slack requests sent the way Slack sends them: from outside the bot.

Slack's servers do not share the bot's event loop. A client in the test's own loop does:
each of its requests is written only when that loop gets round to it, after the bot has
accepted the connection. Under a burst on a loaded machine the bot's post-ack work held
the loop for seconds between the accept and the write, the door's 5-s header bound
(aiohttp's keep-alive timer, READ_TIMEOUT_SECONDS) closed those connections with nothing
read, and the client saw httpx.ReadError: a fault of the test's client, not of the door.

So the burst is sent from a thread with an event loop of its own: every request is on
the wire as soon as its connection opens, however busy the bot is. And it is sent over
plain sockets, not httpx: httpx spends about 2 ms of CPU a request, which under a burst
of hundreds is taken (through the GIL) from the bot whose acks are being timed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, sign

# Generous: the tests assert how fast the acks came, not this.
ANSWER_SECONDS = 30.0


@dataclass(frozen=True)
class Ack:
    status: int
    seconds: float  # from opening the connection to the ack's status line and headers


async def post_from_slack(url: str, bodies: Sequence[str], *, spread: float = 0.0) -> list[Ack]:
    """POST each body, signed when sent, to `url` at once (or evenly over `spread`
    seconds), each on a connection of its own; the acks in the bodies' order."""
    return await asyncio.to_thread(asyncio.run, _burst(url, bodies, spread))


async def _burst(url: str, bodies: Sequence[str], spread: float) -> list[Ack]:
    async def one(index: int, body: str) -> Ack:
        await asyncio.sleep(index * spread / len(bodies))
        async with asyncio.timeout(ANSWER_SECONDS):
            return await _post(url, body)

    return await asyncio.gather(*(one(i, body) for i, body in enumerate(bodies)))


async def _post(url: str, body: str) -> Ack:
    parts = urlsplit(url)
    raw = body.encode()
    headers = {
        "Host": parts.netloc,
        **sign(DEFAULT_SIGNING_SECRET, raw),
        "Content-Length": str(len(raw)),
        "Connection": "close",
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(f"POST {parts.path} HTTP/1.1\r\n{head}\r\n".encode() + raw)
        status_and_headers = await reader.readuntil(b"\r\n\r\n")
        seconds = time.monotonic() - started
        await reader.read()  # the rest, up to the server's close (Connection: close)
    finally:
        writer.close()
    return Ack(int(status_and_headers.split(b" ", 2)[1]), seconds)
