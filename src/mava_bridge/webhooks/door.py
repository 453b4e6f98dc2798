"""`POST /mava/webhook`: Mava's webhooks, served on HOST:PORT in both modes when
MAVA_WEBHOOK_SIGNING_KEY is set (404 otherwise: the route does not exist).

A second door beside `/slack/events` (mava_bridge.slack.http_route), with the same
bounds: the body is read within 5 s and up to 1 MB (408, 413, never read past it);
verified before anything else (mava_bridge.webhooks.verify: 400 malformed, 401 not
Mava's); then its `webhookId` is remembered (mava_bridge.store.seen) and the
answer is 200 at once. Only then, and only for an id not seen before on any replica,
is the leader nudged (mava_bridge.delivery.nudges): a webhook is a reason to read
Mava now, never the data itself. A refusal is one short log line: the reason, never
the body or the key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.settings import Settings
from mava_bridge.slack.deps import InFlight
from mava_bridge.slack.http_route import Refused, read_body
from mava_bridge.store.db import Database
from mava_bridge.store.seen import SeenWebhooks
from mava_bridge.webhooks.verify import Mode, Rejected, load_signing_key, open_envelope, read_event

log = logging.getLogger("mava_bridge.webhooks")

PATH = "/mava/webhook"


class WebhookDoor:
    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        mode: Mode,
        seen: SeenWebhooks,
        *,
        nudge: Callable[[], None],
        closing: Callable[[], bool],
    ) -> None:
        self._key = key
        self._mode = mode
        self._seen = seen
        self._nudge = nudge
        self._closing = closing

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, nudge: Callable[[], None], inflight: InFlight
    ) -> WebhookDoor:
        key = settings.mava_webhook_signing_key
        assert key is not None  # served only when it is set
        return cls(
            load_signing_key(key.get_secret_value().strip()),
            settings.mava_webhook_cipher,
            SeenWebhooks(db),
            nudge=nudge,
            closing=lambda: inflight.closing,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self._closing():
            return web.Response(status=503, text="shutting down")  # Mava tries again
        try:
            raw = await read_body(request)
            envelope = open_envelope(raw, self._key)
        except (Refused, Rejected) as refused:
            log.info(
                "webhook refused: %s",
                refused.reason,
                extra={"status": refused.status, "remote": request.remote},
            )
            return web.Response(status=refused.status, text=refused.reason)
        event = read_event(envelope, self._mode)
        ticket_id = event.ticket_id if event else None
        try:
            new = await self._seen.record(envelope.webhook_id, ticket_id)
        except SQLAlchemyError as exc:
            log.warning(
                "webhook not recorded: database error (%s); Mava retries it", type(exc).__name__
            )
            return web.Response(status=503, text="database unavailable")
        log.info(
            "webhook %s" % ("received" if new else "seen before: nothing to do"),
            extra={
                "webhook_id": envelope.webhook_id[:64],
                "event": event.type if event else None,
                "ticket": ticket_id,
                "payload_read": event is not None,
            },
        )
        if new:
            self._nudge()
        return web.Response(status=200)
