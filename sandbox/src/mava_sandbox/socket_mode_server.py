"""A local Slack Socket Mode endpoint, for tests: the other end of the bot's websocket.

It speaks the protocol slack_sdk's Socket Mode client speaks with Slack:

* the app calls ``apps.connections.open`` with its app-level token (``xapp-…``) and gets
  a temporary URL, here ``ws://127.0.0.1:PORT/link/?ticket=…&app_id=…`` (the Slack stub
  answers that call once this server is ``attach``-ed to it); each URL opens one
  connection;
* on connect the server sends ``{"type": "hello", "num_connections": n, …}``;
* payloads arrive as envelopes ``{"envelope_id", "type": "slash_commands" | "interactive"
  | "events_api", "payload", "accepts_response_payload"}`` and the app acks each with
  ``{"envelope_id": …}`` (plus ``"payload"`` where Slack accepts one: a view submission's
  ``response_action``);
* ``{"type": "disconnect", "reason": "refresh_requested"}`` asks the app to open a new
  connection; the server closes the old one a little later.

Tests drive it: `send` envelopes and await their `Ack` (with its time), `refresh`,
`drop` a connection abruptly, make one `go_silent` (a dead socket: no pongs, nothing
read), `refuse_connections` (Slack unreachable), answer handshakes 401
(`reject_handshakes`: a spent URL) and count `connections_opened`.

Usage::

    async with running_socket_mode_server(stub) as server:
        ...  # run the bot with SLACK_APP_TOKEN=DEFAULT_APP_TOKEN, SLACK_API_URL=stub.api_url
        await server.wait_for_connection()
        envelope = await server.send_request(slash_command("help", response_url=url))
        ack = await envelope.acked()

Connections, envelopes and acks are in socket_mode_frames and exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from mava_sandbox.slack_requests import event_callback
from mava_sandbox.slack_stub import STUB_APP_ID, SlackStub
from mava_sandbox.socket_mode_frames import (
    JSON,
    RESPONSE_PAYLOAD_TYPES,
    Ack,
    Connection,
    Envelope,
    EnvelopeType,
    payload_from_request,
)


class SocketModeServer:
    def __init__(self, *, app_id: str = STUB_APP_ID, close_after_refresh: float = 5.0) -> None:
        """`close_after_refresh`: how long after a ``refresh_requested`` disconnect the
        server closes the old connection if the app has not (Slack waits a few seconds)."""
        self.app_id = app_id
        self.close_after_refresh = close_after_refresh
        self.connections: list[Connection] = []
        self.envelopes: dict[str, list[Envelope]] = {}
        self._tickets: set[str] = set()
        # Handshakes still to refuse with 401, as Slack does for a spent or expired URL.
        self.reject_handshakes = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._address: tuple[str, int] | None = None
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen(host, port)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for connection in self.connections:
            if connection.transport is not None:
                connection.transport.abort()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _listen(self, host: str, port: int) -> None:
        assert self._runner is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()
        bound_host, bound_port = sock.getsockname()[:2]
        self._address = (bound_host, bound_port)

    def attach(self, stub: SlackStub) -> None:
        """Make the stub's apps.connections.open hand out this server's URLs."""
        stub.socket_mode_url = self.new_url

    def new_url(self) -> str:
        """A one-connection URL, as apps.connections.open returns."""
        if self._address is None:
            raise RuntimeError("the Socket Mode server is not running: start() it")
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        host, port = self._address
        return f"ws://{host}:{port}/link/?ticket={ticket}&app_id={self.app_id}"

    # ------------------------------------------------------------------ faults

    async def refuse_connections(self) -> None:
        """Stop listening: new connections are refused, as when Slack is unreachable.
        Open connections stay up."""
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()

    async def accept_connections(self) -> None:
        """Listen again, on the same port."""
        if self._site is None:
            assert self._address is not None
            await self._listen(*self._address)

    async def refresh(self, connection: Connection | None = None) -> Connection:
        """Send ``disconnect`` with ``refresh_requested`` on `connection` (default: the
        newest open one); close it `close_after_refresh` s later unless the app did."""
        target = connection or self.current()
        await target.ws.send_json(
            {
                "type": "disconnect",
                "reason": "refresh_requested",
                "debug_info": {"host": "applink-sandbox"},
            }
        )

        async def close_later() -> None:
            await asyncio.sleep(self.close_after_refresh)
            await target.ws.close()

        self._spawn(close_later())
        return target

    def drop(self, connection: Connection | None = None) -> Connection:
        """Cut `connection` (default: the newest open one) with no close frame."""
        target = connection or self.current()
        assert target.transport is not None
        target.transport.abort()
        return target

    def go_silent(self, connection: Connection | None = None) -> Connection:
        """Make `connection` a dead socket: it stops reading, so pings go unanswered and
        acks unread, and sends nothing; the TCP connection stays open."""
        target = connection or self.current()
        target.silent = True
        if target.transport is not None:
            target.transport.pause_reading()
        return target

    # ------------------------------------------------------------------ envelopes

    async def send(
        self,
        type: EnvelopeType,
        payload: JSON,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        connection: Connection | None = None,
    ) -> Envelope:
        """Send one envelope on `connection` (default: the newest open one). Reuse an
        `envelope_id` to redeliver."""
        target = connection or self.current()
        envelope_id = envelope_id or f"{secrets.token_hex(4)}-{next(self._ids):06d}"
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_TYPES
            )
        message: JSON = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            message["retry_attempt"] = retry_attempt or 0
            message["retry_reason"] = retry_reason or ""
        envelope = Envelope(envelope_id, type, payload, target, time.monotonic())
        self.envelopes.setdefault(envelope_id, []).append(envelope)
        await target.ws.send_json(message)
        return envelope

    async def send_event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        envelope_id: str | None = None,
        connection: Connection | None = None,
        **fields: Any,
    ) -> Envelope:
        """Deliver an Events API `event` (e.g. from `SlackStub.user_message`) as an
        ``events_api`` envelope. To model Slack's redelivery, send it again with the same
        `event_id` (the first envelope's `payload["event_id"]`) and a `retry_attempt`;
        `fields` go to `slack_requests.event_callback`."""
        body = event_callback(event, event_id=event_id, **fields)
        return await self.send(
            "events_api",
            json.loads(body),
            envelope_id=envelope_id,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            connection=connection,
        )

    async def send_request(self, body: str, **options: Any) -> Envelope:
        """Send what `mava_sandbox.slack_requests` built for HTTP mode, as an envelope."""
        kind, payload = payload_from_request(body)
        return await self.send(kind, payload, **options)

    def acks(self) -> list[Ack]:
        """Every ack received, in order."""
        return [ack for sent in self.envelopes.values() for e in sent for ack in e.acks]

    # ------------------------------------------------------------------ connections

    @property
    def connections_opened(self) -> int:
        return len(self.connections)

    def open_connections(self) -> list[Connection]:
        return [c for c in self.connections if c.open]

    def current(self) -> Connection:
        """The newest open connection."""
        live = self.open_connections()
        if not live:
            raise RuntimeError("the app has no open Socket Mode connection")
        return live[-1]

    async def wait_for_connection(
        self,
        count: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - test-facing
    ) -> Connection:
        """Wait until `count` connections were opened in all (default: one more than
        now) and the newest is open; return it."""
        wanted = count if count is not None else self.connections_opened + 1
        deadline = time.monotonic() + timeout
        while not (self.connections_opened >= wanted and self.connections[-1].open):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"waited {timeout}s for connection #{wanted}; "
                    f"{self.connections_opened} opened, {len(self.open_connections())} open"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.1))
        return self.connections[-1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets or self.reject_handshakes > 0:
            self.reject_handshakes = max(0, self.reject_handshakes - 1)
            self._tickets.discard(ticket)
            return web.Response(status=401, text="invalid or used ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=False)  # pongs are ours to give, or withhold
        await ws.prepare(request)
        connection = Connection(len(self.connections) + 1, ws, request.transport, time.monotonic())
        self.connections.append(connection)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.open_connections()),
                "debug_info": {
                    "host": "applink-sandbox",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        self._changed.set()
        try:
            await self._read(connection)
        finally:
            connection.closed_at = time.monotonic()
            self._changed.set()
        return ws

    async def _read(self, connection: Connection) -> None:
        async for message in connection.ws:
            if connection.silent:
                continue
            if message.type == WSMsgType.PING:
                await connection.ws.pong(message.data)
            elif message.type == WSMsgType.TEXT:
                self._receive(connection, message.data)

    def _receive(self, connection: Connection, text: str) -> None:
        now = time.monotonic()
        try:
            data = json.loads(text)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        connection.received.append(data)
        for envelope in self.envelopes.get(str(data.get("envelope_id")), []):
            if not envelope.acks:  # a redelivered id: the oldest unacked copy
                ack = Ack(envelope.envelope_id, data.get("payload"), now - envelope.sent_at)
                envelope.acks.append(ack)
                envelope._acks.put_nowait(ack)
                return

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@contextlib.asynccontextmanager
async def running_socket_mode_server(
    stub: SlackStub | None = None, *, host: str = "127.0.0.1", **options: Any
) -> AsyncIterator[SocketModeServer]:
    """Serve a `SocketModeServer(**options)` on loopback, attached to `stub` if given."""
    server = SocketModeServer(**options)
    await server.start(host)
    if stub is not None:
        server.attach(stub)
    try:
        yield server
    finally:
        if stub is not None:
            stub.socket_mode_url = None
        await server.stop()


__all__ = [
    "Ack",
    "Connection",
    "Envelope",
    "SocketModeServer",
    "payload_from_request",
    "running_socket_mode_server",
]
