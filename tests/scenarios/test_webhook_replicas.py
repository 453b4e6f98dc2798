"""A webhook taken by a replica that does not lead still makes the leader read Mava now:
the door writes the `seen_webhooks` row, the leader's watcher finds it (#19). On SQLite
and PostgreSQL. Intervals are an hour: only the nudge explains the thread catching up."""

from __future__ import annotations

from dataclasses import replace

import httpx
from aiohttp import web
from backends import Backend
from running import wait_for
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app import Delivery, build_delivery
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.slack.deps import InFlight
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.db import Database
from mava_bridge.store.writes import IdempotencyStore
from mava_bridge.webhooks.door import PATH, webhook_handler
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.mava_webhooks import MavaWebhooks
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

from .test_thread_failover import followed

CHANNEL = "C0HOOKS"
HOUR = 3600.0


def replica(
    db: Database, mava: MavaClient, stub: SlackStub, settings: Settings, name: str, leading: str
) -> Delivery:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    metrics = Metrics(process_metrics=False)
    poster = SlackPoster(
        client, metrics=metrics, min_interval=0.0, retry=replace(SLACK_RETRY, base_delay=0.001)
    )

    async def is_leader() -> bool:
        return leading == name

    return build_delivery(
        settings,
        mava,
        db,
        poster,
        metrics=metrics,
        idempotency=IdempotencyStore(db, 60),
        should_run=is_leader,
        owner=name,
    )


async def test_a_webhook_taken_by_a_follower_replica_reaches_the_leaders_thread(
    backend: Backend, mava_sandbox: RunningSandbox, mava: MavaClient, stub: SlackStub
) -> None:
    sandbox = mava_sandbox.sandbox
    hooks = MavaWebhooks(sandbox)  # not attached: this test posts one by hand
    settings = Settings(
        _env_file=None,
        mava_webhook_signing_key=hooks.signing_key,
        thread_sync_seconds=HOUR,
        desk_refresh_seconds=HOUR,
        poll_interval_seconds=HOUR,
    )
    _db, ticket, thread = await followed(backend, sandbox, stub, CHANNEL)
    leader = replica(backend.database(), mava, stub, settings, "a", leading="a")
    follower = replica(backend.database(), mava, stub, settings, "b", leading="a")
    assert leader.nudges is not None and follower.nudges is not None
    assert await leader.scheduler.run_threads() is not None  # the first sync: the baseline

    # Only the follower serves the door Mava reached.
    follower_db = backend.database()
    handle = webhook_handler(settings, follower_db, follower.nudges.poke, InFlight())
    app = web.Application()
    app.router.add_post(PATH, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await leader.nudges.start()
    await follower.nudges.start()
    try:
        sandbox.customer_writes(ticket, "Sent while the follower took the webhook")
        event = {"type": "message.created", "document": {"ticket": ticket}}
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"http://127.0.0.1:{port}{PATH}", json=hooks.envelope(event))
        assert answer.status_code == 200

        def mirrored() -> bool:
            texts = [m.get("text", "") for m in stub.thread(CHANNEL, thread)[1:]]
            return any("Sent while the follower" in text for text in texts)

        await wait_for(mirrored, 10.0, "the leader to mirror the message")
        assert leader.nudges.runs == 1
        assert follower.nudges.runs == 0  # it saw the row too, and left it to the leader
    finally:
        await leader.nudges.stop()
        await follower.nudges.stop()
        await runner.cleanup()
