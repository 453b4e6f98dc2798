"""A load generator that measures the server, not itself.

Each request is signed and serialised first, every connection is opened first, and only
then are all requests written at once. The time per request runs from its write to the
moment the kernel received the first bytes of its response (SO_TIMESTAMPNS), so neither
this process's CPU nor its place in the scheduler's queue counts: a Python HTTP client
would add milliseconds of its own to every number. Linux only.

Run it in its own process (`fire_in_subprocess`), so it does not share the measured
process's event loop.
"""

from __future__ import annotations

import asyncio
import json
import selectors
import socket
import struct
import sys
import time
from urllib.parse import urlsplit

# <asm-generic/socket.h>; the socket module does not export them.
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
TIMESPEC = struct.Struct("@ll")
TIMEOUT = 60.0


def http_post(url: str, body: str, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 POST as bytes; the connection closes after the response."""
    parts = urlsplit(url)
    raw = body.encode()
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(raw)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


def fire(url: str, requests: list[bytes]) -> list[tuple[float, int]]:
    """Send all `requests` at once; (seconds to the response, HTTP status) for each."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    sockets = []
    for _ in requests:
        sock = socket.create_connection(address, timeout=TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sockets.append(sock)
    sent: list[float] = []
    for sock, request in zip(sockets, requests, strict=True):
        sent.append(time.time())  # CLOCK_REALTIME, like the kernel's timestamps
        sock.sendall(request)

    received: dict[int, float] = {}
    heads: dict[int, bytes] = {}
    selector = selectors.DefaultSelector()
    for index, sock in enumerate(sockets):
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, index)
    deadline = time.monotonic() + TIMEOUT
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1.0):
            index, sock = key.data, key.fileobj
            assert isinstance(sock, socket.socket)
            data, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(TIMESPEC.size))
            if index not in received:
                received[index] = _kernel_time(ancillary)
                heads[index] = data[:64]
            if not data:  # the server closed: the response is complete
                selector.unregister(sock)
                sock.close()
    return [
        (received[i] - sent[i], _status(heads.get(i, b""))) if i in received else (TIMEOUT, 0)
        for i in range(len(requests))
    ]


def _kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
            seconds, nanoseconds = TIMESPEC.unpack(data[: TIMESPEC.size])
            return seconds + nanoseconds / 1e9
    return time.time()  # no timestamp (an empty read at EOF): now


def _status(head: bytes) -> int:
    parts = head.split(b" ", 2)
    return int(parts[1]) if head.startswith(b"HTTP/") and len(parts) > 1 else 0


async def fire_in_subprocess(url: str, requests: list[bytes]) -> list[tuple[float, int]]:
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    payload = json.dumps([r.decode() for r in requests]).encode()
    out, _ = await worker.communicate(payload)
    if worker.returncode != 0:
        raise RuntimeError(f"load generator exited with {worker.returncode}")
    return [(float(s), int(c)) for s, c in json.loads(out)]


if __name__ == "__main__":
    bodies = [r.encode() for r in json.loads(sys.stdin.read())]
    print(json.dumps(fire(sys.argv[1], bodies)))
