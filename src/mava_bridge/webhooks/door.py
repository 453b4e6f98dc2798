"""`POST /mava/webhook`, served in both modes when MAVA_WEBHOOK_SIGNING_KEY is set: with
`/slack/events`'s bounds (slack.http_route), verified before anything else, its id
remembered, answered 200 at once. Only then, for an id no replica saw before, is the
leader nudged: a webhook is a reason to read Mava now, never the data itself. A refusal
is one short log line: the reason, never the body or the key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.domain.refused import Refused
from mava_bridge.domain.webhook_key import load_signing_key
from mava_bridge.settings import Settings
from mava_bridge.slack.deps import InFlight
from mava_bridge.slack.http_route import read_body, refusal
from mava_bridge.store.db import Database
from mava_bridge.store.seen import SeenWebhooks
from mava_bridge.webhooks.verify import open_envelope, read_event

log = logging.getLogger("mava_bridge.webhooks")

PATH = "/mava/webhook"


def webhook_handler(
    settings: Settings, db: Database, nudge: Callable[[], None], inflight: InFlight
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    assert settings.mava_webhook_signing_key is not None  # served only when it is set
    key = load_signing_key(settings.mava_webhook_signing_key.get_secret_value().strip())
    mode = settings.mava_webhook_cipher
    seen = SeenWebhooks(db)

    async def handle(request: web.Request) -> web.StreamResponse:
        if inflight.closing:
            return web.Response(status=503, text="shutting down")  # Mava tries again
        try:
            envelope = open_envelope(await read_body(request), key)
        except Refused as refused:
            return refusal(log, "webhook", request, refused)
        event = read_event(envelope, mode)
        ticket_id = event.ticket_id if event else None
        try:
            new = await seen.record(envelope.webhook_id, ticket_id)
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
            nudge()
        return web.Response(status=200)

    return handle
