"""Leader fail-over in a followed ticket's thread, as `mava-bot run` assembles it
(`build_delivery`): the leader dies holding a claim on the next message; the replica that
becomes the leader takes the claim over at once and the thread goes on in order, each
message once. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from backends import Backend
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app import build_delivery
from mava_bridge.delivery.scheduler import BotScheduler
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import follows, thread_posts
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

CHANNEL = "C0FAILOVER"


async def _no_sleep(_seconds: float) -> None:
    return None


def replica(
    db: Database,
    mava: MavaClient,
    stub: SlackStub,
    name: str,
    leading: list[str],
) -> BotScheduler:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    metrics = Metrics(process_metrics=False)
    poster = SlackPoster(
        client,
        metrics=metrics,
        min_interval=0.0,
        retry=replace(SLACK_RETRY, base_delay=0.001),
        sleep=_no_sleep,
    )

    async def is_leader() -> bool:
        return leading[0] == name

    return build_delivery(
        Settings(_env_file=None),
        mava,
        db,
        poster,
        metrics=metrics,
        should_run=is_leader,
        owner=name,
    ).scheduler


async def test_the_new_leader_takes_over_the_dead_leaders_thread_claim(
    backend: Backend, mava_sandbox: RunningSandbox, mava: MavaClient, stub: SlackStub
) -> None:
    db = backend.database()
    await db.migrate()
    sandbox = mava_sandbox.sandbox
    ticket = str(sandbox.add_ticket(status="Open")["_id"])
    card = await AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url).chat_postMessage(
        channel=CHANNEL, text="card"
    )
    made, _ = await follows.follow(
        db,
        ticket_id=ticket,
        channel_id=CHANNEL,
        thread_ts=card["ts"],
        ticket_created_at=sandbox._by_id[ticket]["createdAt"],
        followed_by="U1",
        now=datetime.now(UTC),
    )
    await asyncio.sleep(0.01)
    leading = ["a"]
    first = replica(backend.database(), mava, stub, "a", leading)
    second = replica(backend.database(), mava, stub, "b", leading)
    assert await first.run_threads() is not None  # the first sync: baseline
    assert await second.run_threads() is None  # not the leader: does nothing
    for n in range(4):
        sandbox.customer_writes(ticket, f"message {n}")
    assert (await first.run_threads()).mirrored == 4  # type: ignore[union-attr]
    for n in range(4, 7):
        sandbox.customer_writes(ticket, f"message {n}")
    # "a" claims message 4 and dies before posting it.
    key = str(sandbox._by_id[ticket]["messages"][-3]["_id"])
    assert await thread_posts.claim_item(db, made.id, key, datetime.now(UTC), "a")
    leading[0] = "b"
    report = await second.run_threads()
    assert report is not None and report.mirrored == 3 and report.skipped == 0
    texts = [m.get("text", "") for m in stub.thread(CHANNEL, card["ts"])[1:]]
    assert [t.rsplit(" ", 1)[1] for t in texts] == [str(n) for n in range(7)]
