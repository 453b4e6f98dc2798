"""Leader fail-over in a followed ticket's thread, as `mava-bot run` assembles it
(`build_delivery`): the leader dies holding a claim on the next message; the replica that
becomes the leader takes the claim over at once and the thread goes on in order, each
message once. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from backends import Backend
from running import wait_for
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app import build_delivery
from mava_bridge.delivery.scheduler import BotScheduler
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import deliveries, follows
from mava_bridge.store.db import Database
from mava_bridge.store.writes import IdempotencyStore
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

from .log_capture import captured_logs

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
        idempotency=IdempotencyStore(db, 60),
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
    assert await deliveries.ITEMS.claim(db, (made.id, key), datetime.now(UTC), "a")
    leading[0] = "b"
    report = await second.run_threads()
    assert report is not None and report.mirrored == 3 and report.skipped == 0
    texts = [m.get("text", "") for m in stub.thread(CHANNEL, card["ts"])[1:]]
    assert [t.rsplit(" ", 1)[1] for t in texts] == [str(n) for n in range(7)]


async def followed(
    backend: Backend, sandbox: Any, stub: SlackStub, channel: str
) -> tuple[Database, str, str]:
    """A followed open ticket: (database, ticket id, the thread's ts)."""
    db = backend.database()
    await db.migrate()
    ticket = str(sandbox.add_ticket(status="Open")["_id"])
    card = await AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url).chat_postMessage(
        channel=channel, text="card"
    )
    await follows.follow(
        db,
        ticket_id=ticket,
        channel_id=channel,
        thread_ts=card["ts"],
        ticket_created_at=sandbox._by_id[ticket]["createdAt"],
        followed_by="U1",
        now=datetime.now(UTC),
    )
    await asyncio.sleep(0.01)
    return db, ticket, str(card["ts"])


async def test_the_new_leader_finds_the_dead_leaders_post_in_the_thread_and_skips_it(
    backend: Backend, mava_sandbox: RunningSandbox, mava: MavaClient, stub: SlackStub
) -> None:
    """The leader dies while Slack is taking its post (Slack answers slowly): the post
    lands, its claim is left. The new leader reads the thread back, finds the post by
    its metadata, records it and posts only what follows: each message once."""
    sandbox = mava_sandbox.sandbox
    db, ticket, thread = await followed(backend, sandbox, stub, CHANNEL)
    leading = ["a"]
    first = replica(backend.database(), mava, stub, "a", leading)
    second = replica(backend.database(), mava, stub, "b", leading)
    assert await first.run_threads() is not None  # the first sync: baseline
    for n in range(3):
        sandbox.customer_writes(ticket, f"message {n}")
    stub.slow_down("chat.postMessage", 0.5)
    dying = asyncio.create_task(first.run_threads())
    await wait_for(lambda: stub.in_flight("chat.postMessage") == 1, 10, "the post to reach Slack")
    dying.cancel()  # "a" dies waiting for Slack's answer
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    await wait_for(lambda: stub.in_flight("chat.postMessage") == 0, 10, "Slack to take it")
    stub.clear_faults()
    assert len(stub.thread(CHANNEL, thread)) == 2  # the card and message 0, unrecorded

    leading[0] = "b"
    with captured_logs() as logs:
        report = await second.run_threads()
    assert report is not None and report.recovered == 1 and report.mirrored == 2
    texts = [m.get("text", "") for m in stub.thread(CHANNEL, thread)[1:]]
    assert [t.rsplit(" ", 1)[1] for t in texts] == ["0", "1", "2"]
    [read] = stub.calls("conversations.replies")
    assert read.params["include_all_metadata"] in ("1", "true", True)
    found = [r for r in logs.records() if r["message"].startswith("an interrupted post")]
    assert len(found) == 1 and not logs.errors()
    assert (await second.run_threads()).mirrored == 0  # type: ignore[union-attr]
    await db.dispose()


async def test_when_slack_cannot_tell_the_in_doubt_item_is_posted_again_once(
    backend: Backend, mava_sandbox: RunningSandbox, mava: MavaClient, stub: SlackStub
) -> None:
    """No history scope (the app was not reinstalled): the new leader cannot look, so it
    posts the dead leader's claimed item again (never lost), and says why in one
    WARNING line however many items are in doubt."""
    sandbox = mava_sandbox.sandbox
    db, ticket, thread = await followed(backend, sandbox, stub, CHANNEL)
    other_db, other, other_thread = await followed(backend, sandbox, stub, "C0OTHER")
    leading = ["a"]
    first = replica(backend.database(), mava, stub, "a", leading)
    second = replica(backend.database(), mava, stub, "b", leading)
    assert await first.run_threads() is not None
    for n in range(3):
        sandbox.customer_writes(ticket, f"message {n}")
        sandbox.customer_writes(other, f"other {n}")
    # "a" claimed the first new message of each thread and died before posting them.
    for made_ticket, made_db in ((ticket, db), (other, other_db)):
        [follow] = [f for f in await follows.active_follows(made_db) if f.ticket_id == made_ticket]
        key = str(sandbox._by_id[made_ticket]["messages"][-3]["_id"])
        assert await deliveries.ITEMS.claim(made_db, (follow.id, key), datetime.now(UTC), "a")
    stub.fail("conversations.replies", "missing_scope", times=None)
    leading[0] = "b"
    with captured_logs() as logs:
        report = await second.run_threads()
    assert report is not None and report.mirrored == 6 and report.recovered == 0
    for channel, ts in ((CHANNEL, thread), ("C0OTHER", other_thread)):
        texts = [m.get("text", "") for m in stub.thread(channel, ts)[1:]]
        assert [t.rsplit(" ", 1)[1] for t in texts] == ["0", "1", "2"]
    warned = [r for r in logs.records() if r["message"].startswith("Slack could not")]
    assert [(r["level"], r["message"]) for r in warned] == [
        (
            "WARNING",
            "Slack could not tell whether an interrupted post went out (missing_scope: the "
            "app lacks channels:history and groups:history: reinstall it from manifest.yml); "
            "posting it again, so it may show twice",
        )
    ]
    assert len(stub.calls("conversations.replies")) == 2 and not logs.errors()
    await db.dispose()
    await other_db.dispose()
