"""`POST /slack/events`: the one door for Slack's HTTP requests (HTTP mode only; in Socket
Mode this route is not served). Every request is checked here, in this order, before Bolt
or a listener sees it:

1. the body is read within READ_TIMEOUT_SECONDS and up to MAX_BODY_BYTES (408, 413);
2. its signature is checked over the raw bytes against SLACK_SIGNING_SECRET (401);
   without a secret every request is refused, since nothing could be verified;
3. its shape is checked (`slack.inbound`), so listeners get what they index (4xx).

A refusal is one short log line with the reason: never the body, never a response_url.
So is a request aiohttp cannot parse (a 100 KB header, a bad request line: any path),
answered 400 before any route: `quiet_parse_errors` makes its ERROR traceback one INFO line.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Final

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.refused import Refused
from mava_bridge.observability.metrics import Metrics
from mava_bridge.slack.answer import not_run
from mava_bridge.slack.inbound import Inbound, parse
from mava_bridge.slack.inflight import InFlight

log = logging.getLogger("mava_bridge.slack.http")

# Slack gives up on an ack after 3 s, so a request still arriving after 5 s is of no use;
# the same bound closes connections that never finish their headers (see serve_http).
READ_TIMEOUT_SECONDS: Final = 5.0
# Slack's bodies are a few KB (a modal submission with long text: tens of KB).
MAX_BODY_BYTES: Final = 1024 * 1024
# Connections waiting to be accepted (the kernel caps it at net.core.somaxconn).
LISTEN_BACKLOG: Final = 2048
# Slack's documented replay window for X-Slack-Request-Timestamp.
SIGNATURE_MAX_AGE_SECONDS: Final = 300


def _quiet_parse_error(record: logging.LogRecord) -> bool:
    """aiohttp's "Error handling request" for a request it could not parse (answered 400
    already) as one INFO line with the reason, no traceback, nothing it sent. Its other
    errors (a bug in a handler: 500) keep theirs."""
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, HttpProcessingError) and record.levelno >= logging.ERROR:
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        # The class, not aiohttp's message: that quotes the request's own bytes.
        reason = (
            "a header or the request line is too long"
            if isinstance(exc, LineTooLong)
            else type(exc).__name__
        )
        record.msg = "bad HTTP request from %s answered %s: %s"
        record.args = (remote, exc.code or 400, reason)
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text = None, None
    return True


def quiet_parse_errors() -> None:
    """Install the filter on aiohttp's server logger (once per process)."""
    server = logging.getLogger("aiohttp.server")
    if _quiet_parse_error not in server.filters:
        server.addFilter(_quiet_parse_error)


def signature_problem(
    secret: str | None, headers: Mapping[str, str], body: bytes, now: float
) -> str | None:
    """Why the request is not Slack's (None when it is): Slack's v0 HMAC-SHA256 scheme."""
    if not secret:
        return "SLACK_SIGNING_SECRET is not set, so no request can be verified"
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return "unsigned"
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return "timestamp is not a number"
    if abs(now - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
        return "timestamp is more than 5 minutes away"
    # Not slack_sdk's SignatureVerifier: it decodes the body as UTF-8 first, and a signed
    # body that is not UTF-8 must be refused, not raise (tests/scenarios/test_bad_requests).
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


class SlackEventsRoute:
    """The aiohttp handler for `POST /slack/events`."""

    def __init__(
        self,
        app: AsyncApp,
        *,
        signing_secret: str | None,
        inflight: InFlight,
        metrics: Metrics,
        client: AsyncWebClient,
    ) -> None:
        self.app = app
        self.client = client  # the bot's, to tell a person their command was not run
        self.secret = signing_secret
        self.inflight = inflight
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.inflight.closing:
            # Slack retries a request that fails; another replica (or we, after a
            # restart) takes it.
            return web.Response(status=503, text="shutting down")
        started = time.monotonic()
        self.inflight.request_arrived()
        try:
            inbound, text = await self._admit(request)
        except Refused as refused:
            return refusal(log, "request", request, refused)
        if inbound.kind in ("ssl_check", "ignored"):
            # Slack checking the certificate, or an event nothing here listens to (a 4xx
            # would only be retried): nothing to do.
            return web.Response(status=200)
        if inbound.kind == "url_verification":  # Slack checking the Request URL
            return web.json_response({"challenge": inbound.body["challenge"]})
        retry = request.headers.get("X-Slack-Retry-Num")
        if inbound.kind == "event" and retry:
            reason = request.headers.get("X-Slack-Retry-Reason", "")[:40]
            log.info(
                "Slack retried an event (%s, %s)", retry[:4], reason, extra={"retry": retry[:4]}
            )
        query, headers = request.query_string, request.headers
        if inbound.kind in ("command", "event"):
            # Both ack with an empty 200 (`/mava` answers on its response_url): send it
            # now and let Bolt run the listener after it, since under a burst Bolt's
            # middleware before each ack was most of the time to ack the last one
            # (bench/ack_latency.py). A retried event is dropped by its listener, by id.
            self.inflight.spawn(
                self._bolt(query, headers, text, inbound),
                name=inbound.kind,
                untold=not_run(self.client, inbound.body) if inbound.kind == "command" else None,
            )
            response: web.StreamResponse = web.Response(status=200)
        else:
            response = await to_aiohttp_response(await self._bolt(query, headers, text, inbound))
        self.metrics.slack_ack_seconds.observe(time.monotonic() - started)
        return response

    async def _admit(self, request: web.Request) -> tuple[Inbound, str]:
        raw = await read_body(request)
        problem = signature_problem(self.secret, request.headers, raw, time.time())
        if problem is not None:
            raise Refused(401, problem)
        try:
            text = raw.decode("utf-8")
            return parse(request.content_type, text), text
        except UnicodeDecodeError:
            raise Refused(400, "body is not UTF-8") from None

    async def _bolt(
        self, query: str, headers: Mapping[str, str], text: str, inbound: Inbound
    ) -> BoltResponse:
        """Bolt's answer to the body as parsed at the door. Bolt would parse the text
        again, and its parser reads any form containing the word "payload" as an
        interactivity payload (`/mava note T the payload…` would reach no listener), so
        it gets an empty body to parse and then ours."""
        request = AsyncBoltRequest(body="", query=query, headers=headers)  # type: ignore[arg-type]
        request.raw_body = text  # as Bolt's own adapter sets it
        request.body = inbound.body
        request.context = build_async_context(AsyncBoltContext({}), inbound.body)
        return await self.app.async_dispatch(request)


def refusal(logger: logging.Logger, door: str, request: web.Request, no: Refused) -> web.Response:
    """A door's answer to a refused request, told in one INFO line: never the body."""
    logger.info(
        "%s refused: %s", door, no.reason, extra={"status": no.status, "remote": request.remote}
    )
    return web.Response(status=no.status, text=no.reason)


async def read_body(request: web.Request) -> bytes:
    """The whole body, or `Refused`: too big (413), too slow (408), or the client left."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise Refused(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        if request.content.is_eof():  # all in already (a small body): no timer needed
            return await request.read()
        async with asyncio.timeout(READ_TIMEOUT_SECONDS):
            return await request.read()
    except TimeoutError:
        raise Refused(408, f"body not received within {READ_TIMEOUT_SECONDS:.0f} s") from None
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, f"body is larger than {MAX_BODY_BYTES} bytes") from None
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        # Nobody is left to answer; the 400 goes nowhere, and this is not our error.
        raise Refused(400, f"client left before the body ended ({type(exc).__name__})") from None
