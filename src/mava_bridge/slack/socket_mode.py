"""Socket Mode: one websocket to Slack, kept up, watched for `/healthz`, closed for good
on shutdown. slack_sdk's aiohttp client does the protocol and the reconnecting; around it:

* reconnect fast: a ping every PING_INTERVAL s, and aiohttp's heartbeat closes a socket
  with no pong within half of that; failed attempts back off to MAX_BACKOFF;
* tell the truth: `check()` raises, naming Slack's error, once no connection has been up
  for `unhealthy_after` seconds;
* stop for good: after `stop()` no URL is asked for and no socket opened, whatever the
  SDK's own reconnect logic (a ``disconnect`` message, its monitor) would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.shutdown import finish_or_cancel
from mava_bridge.observability.metrics import Metrics
from mava_bridge.slack.answer import not_run
from mava_bridge.slack.errors import slack_error
from mava_bridge.slack.inflight import InFlight

log = logging.getLogger("mava_bridge.socket_mode")
SDK_LOG = logging.getLogger("slack_sdk.socket_mode")

PING_INTERVAL = 2.0
MAX_BACKOFF = 30.0
# How long shutdown waits for Slack to answer our close frame before cutting the socket.
CLOSE_SECONDS = 1.0
_WATCH_SECONDS = 0.25


class SocketModeDown(Exception):
    """No Socket Mode connection for longer than the bound (raised by `check`)."""


def describe(exc: BaseException) -> str:
    """A short, secret-free reason for a failed connection attempt."""
    if isinstance(exc, SlackApiError | aiohttp.ClientConnectorError):
        return slack_error(exc)  # Slack's error, or the cause and the host
    if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == errno.ECONNREFUSED:
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__


class _Client(SocketModeClient):
    """slack_sdk's client plus: the last failure, backoff between failed attempts, a
    fresh URL after a failed handshake (the SDK would retry the spent one forever), and
    no new connection once `stopping`. A failed attempt is our one WARNING when its
    reason changes; the SDK's traceback for it is dropped (`keeps`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = False
        self.failures = 0
        self.last_error: str | None = None
        self._named: BaseException | None = None  # the failure we logged last
        self._refused_handshake = False

    def failed(self, reason: str, exc: BaseException | None = None) -> None:
        self.failures += 1
        self._named, self._refused_handshake = exc, exc is None
        if reason != self.last_error:
            log.warning("Socket Mode connection failed: %s", reason, extra={"reason": reason})
        self.last_error = reason

    def keeps(self, record: logging.LogRecord) -> bool:
        """slack_sdk's log filter: drops its line (a traceback) for the failure `failed` named."""
        exc = record.exc_info[1] if record.exc_info else None
        refused = self._refused_handshake and isinstance(exc, aiohttp.WSServerHandshakeError)
        return exc is None or not (exc is self._named or refused)

    async def issue_new_wss_url(self) -> str:
        if self.stopping:
            raise ConnectionAbortedError("Socket Mode is shutting down")
        if self.failures > 1:  # with the SDK's own ping_interval wait: 2, 4, 8... s
            extra = self.ping_interval * (2 ** (self.failures - 1) - 1)
            await asyncio.sleep(min(MAX_BACKOFF, extra))
        try:  # not the SDK's: it logs an ERROR of its own before we can name it
            response = await self.web_client.apps_connections_open(app_token=self.app_token)
            return str(response["url"])
        except Exception as exc:
            self.failed(f"apps.connections.open: {describe(exc)}", exc)
            raise

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        if not self.stopping:
            await super().connect_to_new_endpoint(force)

    def trace_config(self) -> aiohttp.TraceConfig:
        """Hooks on the websocket's own HTTP session: every socket is opened through it."""

        async def on_start(
            _s: Any, _c: SimpleNamespace, _p: aiohttp.TraceRequestStartParams
        ) -> None:
            if self.stopping:
                raise ConnectionAbortedError("Socket Mode is shutting down")

        async def on_end(_s: Any, _c: SimpleNamespace, p: aiohttp.TraceRequestEndParams) -> None:
            if p.response.status != 101:
                self.wss_uri = None
                self.failed(f"websocket handshake answered HTTP {p.response.status}")

        async def on_error(
            _s: Any, _c: SimpleNamespace, p: aiohttp.TraceRequestExceptionParams
        ) -> None:
            if not self.stopping:
                self.wss_uri = None
                self.failed(f"websocket: {describe(p.exception)}", p.exception)

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_start)
        trace.on_request_end.append(on_end)
        trace.on_request_exception.append(on_error)
        return trace


class SocketMode:
    """The bot's Socket Mode connection: `start`, `check` (health), `stop`, `close`."""

    def __init__(
        self,
        app: AsyncApp,
        app_token: str,
        *,
        unhealthy_after: float,
        metrics: Metrics,
        inflight: InFlight,
        client: AsyncWebClient,
    ) -> None:
        self.app = app
        self.bot_client = client  # tells a person their command was not run (shutdown)
        self.unhealthy_after = unhealthy_after
        self.metrics = metrics
        self.inflight = inflight
        self.client = _Client(
            app_token=app_token, web_client=app.client, ping_interval=PING_INTERVAL, logger=SDK_LOG
        )
        self.client.socket_mode_request_listeners.append(self._handle)
        self.client.message_listeners.append(self._on_message)
        self.connections = 0  # hellos received
        self._last_up = time.monotonic()
        self._was_up = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Connect in the background (retrying until Slack answers): nothing waits on it."""
        self._last_up = time.monotonic()
        SDK_LOG.addFilter(self.client.keeps)
        # Every socket is opened through this session, so its hooks see every attempt.
        spare = self.client.aiohttp_client_session
        self.client.aiohttp_client_session = aiohttp.ClientSession(
            trace_configs=[self.client.trace_config()]
        )
        await spare.close()
        self._tasks = [
            asyncio.create_task(self.client.connect(), name="socket-mode-connect"),  # type: ignore[no-untyped-call]
            asyncio.create_task(self._watch(), name="socket-mode-watch"),
        ]

    async def check(self) -> None:
        """Health: raise SocketModeDown once no connection has been up for the bound."""
        if await self.client.is_connected():
            self._last_up = time.monotonic()
            return
        down_for = time.monotonic() - self._last_up
        if down_for > self.unhealthy_after:
            reason = self.client.last_error or "reconnecting"
            raise SocketModeDown(f"no connection for {down_for:.0f} s: {reason}")

    async def stop(self) -> None:
        """From now on no new socket: auto-reconnect off, then close the current one."""
        client = self.client
        client.stopping = True
        client.default_auto_reconnect_enabled = False
        client.auto_reconnect_enabled = False
        await finish_or_cancel(self._tasks, 0.0)
        session = client.current_session
        if session is not None and not session.closed:
            try:
                async with asyncio.timeout(CLOSE_SECONDS):  # cancelling cuts the socket
                    await session.close()
            except TimeoutError:
                log.info("Slack did not answer the close in %.0f s; socket cut", CLOSE_SECONDS)

    async def close(self) -> None:
        if not self.client.stopping:
            await self.stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_SECONDS):
                await self.client.close()  # type: ignore[no-untyped-call]
        SDK_LOG.removeFilter(self.client.keeps)

    async def _watch(self) -> None:
        """Note when the connection was last seen up, and log when it drops."""
        while True:
            up = await self.client.is_connected()
            if up:
                self._last_up = time.monotonic()
            elif self._was_up:
                log.warning("Socket Mode connection lost; reconnecting")
            self._was_up = up
            await asyncio.sleep(_WATCH_SECONDS)

    async def _on_message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        if message.get("type") == "hello":
            down_for = time.monotonic() - self._last_up
            self.connections += 1
            self._last_up = time.monotonic()
            self.client.failures = 0
            self.client.last_error = None
            log.info(
                "Socket Mode connected",
                extra={"connection": self.connections, "down_s": round(down_for, 2)},
            )
        elif message.get("type") == "disconnect":
            log.info("Slack asked for a new connection (%s)", message.get("reason"))

    async def _handle(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        """Bolt's Socket Mode handler, with the ack timed and acks put first under a burst."""
        started = time.monotonic()
        self.inflight.request_arrived()
        if request.type in ("slash_commands", "events_api"):
            # As at the HTTP door: `/mava` and events ack with nothing, so ack now and let
            # Bolt run them after the acks of a burst. A redelivered event is dropped by
            # its listener, by event id.
            await client.send_socket_mode_response({"envelope_id": request.envelope_id})
            command = request.type == "slash_commands"
            self.inflight.spawn(
                run_async_bolt_app(self.app, request),
                name="command" if command else "event",
                untold=not_run(self.bot_client, request.payload) if command else None,
            )
        else:
            response = await run_async_bolt_app(self.app, request)
            await send_async_response(client, request, response, started)
        self.metrics.slack_ack_seconds.observe(time.monotonic() - started)
