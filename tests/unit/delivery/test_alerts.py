"""The alert poller against the Mava sandbox and the Slack stub, over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from running import free_port
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from mava_bridge.delivery.alerts import AlertPoller, PollReport
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.domain.filters import Filters
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.models import Origin, Priority
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.observability.logs import JsonFormatter
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import deliveries as ledger
from mava_bridge.store.db import Database
from mava_bridge.store.deliveries import ticket_for_thread
from mava_bridge.store.tables import AlertDelivery
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

ALERTS = "C0ALERTS"


async def _no_sleep(_seconds: float) -> None:
    return None


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"alert_channel": ALERTS, "alert_min_priority": "high"}
    values.update(overrides)
    return Settings(_env_file=None, **values)


PollerFactory = Callable[..., AlertPoller]


@pytest.fixture
def make_poller(db: Database, stub: SlackStub, mava: MavaClient) -> PollerFactory:
    """A new poller each call: a new process as far as the poller can tell."""

    def build(
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        mava_client: MavaClient | None = None,
        metrics: Metrics | None = None,
        owner: str | None = None,
        **retry_options: Any,
    ) -> AlertPoller:
        settings = settings or make_settings()
        metrics = metrics or Metrics(process_metrics=False)
        # The SDK's connection retry (as the bot's poster has it), without its ~1 s waits.
        fast = FixedValueRetryIntervalCalculator(0.001)
        client = AsyncWebClient(
            token=DEFAULT_BOT_TOKEN,
            base_url=stub.api_url,
            retry_handlers=[AsyncConnectionErrorRetryHandler(interval_calculator=fast)],
        )
        retry = replace(SLACK_RETRY, base_delay=0.001, **retry_options)
        poster = SlackPoster(
            client, metrics=metrics, min_interval=0.0, retry=retry, sleep=_no_sleep
        )
        now = clock or (lambda: datetime.now(UTC))
        return AlertPoller(
            DeliveryParts(
                mava=mava_client or mava,
                db=db,
                poster=poster,
                renderer=digest_blocks,
                settings=settings,
                subscriptions=SubscriptionService(db, settings, clock=now),
                metrics=metrics,
                link=settings.ticket_url,
                clock=now,
                owner=owner,
                lookback=poster,
            )
        )

    return build


def ticket_searches(running: RunningSandbox) -> int:
    return sum(1 for r in running.sandbox.requests if r.path == "/api/tickets")


def alerted_ids(stub: SlackStub, channel: str = ALERTS) -> list[str]:
    """Ticket ids of the alert messages in `channel`, in posting order."""
    found = []
    for message in stub.messages(channel):
        for block in message.get("blocks") or []:
            block_id = str(block.get("block_id", ""))
            if block_id.startswith("ticket:"):
                found.append(block_id.removeprefix("ticket:"))
    return found


def add_open(running: RunningSandbox, **fields: Any) -> str:
    fields.setdefault("priority", 3)
    fields.setdefault("status", "Open")
    return str(running.sandbox.add_ticket(**fields)["_id"])


async def test_new_high_ticket_alerted_once(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    poller = make_poller()
    first = await poller.poll_once()
    # The sandbox holds open high-priority tickets already: known, never posted.
    assert first.baselined > 0
    assert first.alerted == 0
    assert stub.messages(ALERTS) == []

    ticket_id = add_open(mava_sandbox, messages=["Site is down <!channel> & <b>"])
    second = await poller.poll_once()
    assert second.alerted == 1
    assert alerted_ids(stub) == [ticket_id]
    message = stub.messages(ALERTS)[0]
    assert "New High-priority ticket" in message["text"]
    # Customer text is escaped, so it cannot ping the channel.
    shown = str(message["blocks"])
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown
    # The alert is the ticket's thread in Slack.
    assert await ticket_for_thread(db, ALERTS, message["ts"]) == ticket_id
    assert await ticket_for_thread(db, ALERTS, "1.000") is None

    third = await poller.poll_once()
    assert third.alerted == 0
    assert len(stub.messages(ALERTS)) == 1


async def test_old_tickets_are_not_alerted(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    poller = make_poller()
    await poller.poll_once()
    await poller.poll_once()
    assert stub.messages(ALERTS) == []


async def test_ticket_raised_to_high_is_alerted(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    poller = make_poller()
    medium = add_open(mava_sandbox, priority=2, createdAt=datetime.now(UTC) - timedelta(days=3))
    await poller.poll_once()
    assert await poller.poll_once() == PollReport(searches=1, queries=1)

    mava_sandbox.sandbox.update(medium, priority=3)
    report = await poller.poll_once()
    assert report.alerted == 1
    assert alerted_ids(stub) == [medium]
    assert "raised to High priority" in stub.messages(ALERTS)[0]["text"]
    assert (await poller.poll_once()).alerted == 0


async def test_unassigned_alerts(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    settings = make_settings(alert_channel=None)
    subscriptions = SubscriptionService(db, settings)
    await subscriptions.add("alerts", "C0UNASSIGNED", Filters(unassigned_only=True), "U0JANE")
    poller = make_poller(settings)
    agent = mava_sandbox.sandbox.agent_id("Jane Smith")
    # Created after the subscription: alerted even on its first poll.
    unassigned = add_open(mava_sandbox, priority=1)
    add_open(mava_sandbox, priority=3, assignedTo=agent)
    report = await poller.poll_once()
    assert report.alerted == 1
    assert alerted_ids(stub, "C0UNASSIGNED") == [unassigned]
    assert "New unassigned Low-priority ticket" in stub.messages("C0UNASSIGNED")[0]["text"]
    assert (await poller.poll_once()).alerted == 0


async def test_filters_by_origin_and_category(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    settings = make_settings(alert_channel=None)
    subscriptions = SubscriptionService(db, settings)
    high = Priority.HIGH
    await subscriptions.add("alerts", "C0DISCORD", Filters(high, origins=(Origin.DISCORD,)), "U1")
    await subscriptions.add("alerts", "C0BILLING", Filters(high, categories=("billing",)), "U1")
    poller = make_poller(settings)
    await poller.poll_once()  # baseline (nothing new yet)

    billing = mava_sandbox.sandbox.category_id("Billing")
    technical = mava_sandbox.sandbox.category_id("Technical")
    from_discord = add_open(mava_sandbox, sourceType="discord", category=technical)
    about_billing = add_open(mava_sandbox, sourceType="email", category=billing)
    add_open(mava_sandbox, sourceType="email", category=technical)  # neither
    add_open(mava_sandbox, sourceType="discord", priority=2, category=billing)  # too low
    report = await poller.poll_once()
    assert report.alerted == 2
    assert alerted_ids(stub, "C0DISCORD") == [from_discord]
    assert alerted_ids(stub, "C0BILLING") == [about_billing]


async def test_channels_sharing_a_filter_share_one_search(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    settings = make_settings()  # ALERT_CHANNEL: high priority
    subscriptions = SubscriptionService(db, settings)
    await subscriptions.add("alerts", "C0TWO", Filters(Priority.HIGH), "U1")
    await subscriptions.add("alerts", "C0THREE", Filters(Priority.HIGH), "U1")
    await subscriptions.add("alerts", "C0NEWBIES", Filters(unassigned_only=True), "U1")
    poller = make_poller(settings)
    await poller.poll_once()

    mava_sandbox.sandbox.reset_requests()
    quiet = await poller.poll_once()
    # No new tickets: one request per distinct filter (high; unassigned), nothing else.
    assert ticket_searches(mava_sandbox) == 2
    assert quiet == PollReport(searches=2, queries=2)

    ticket_id = add_open(mava_sandbox)
    mava_sandbox.sandbox.reset_requests()
    report = await poller.poll_once()
    assert ticket_searches(mava_sandbox) == 2
    assert report.alerted == 4
    for channel in (ALERTS, "C0TWO", "C0THREE", "C0NEWBIES"):
        assert alerted_ids(stub, channel) == [ticket_id]


async def test_restart_posts_nothing_twice(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    await make_poller().poll_once()
    first = add_open(mava_sandbox)
    assert (await make_poller().poll_once()).alerted == 1
    second = add_open(mava_sandbox)
    # A "restarted" process: new poller, poster and Slack client on the same database.
    assert (await make_poller().poll_once()).alerted == 1
    assert (await make_poller().poll_once()).alerted == 0
    assert alerted_ids(stub) == [first, second]


async def test_stale_claim_is_released_and_posted_once(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    poller = make_poller()
    await poller.poll_once()
    ticket_id = add_open(mava_sandbox)
    # A process claimed the ticket and died before posting, 20 minutes ago.
    crashed_at = datetime.now(UTC) - timedelta(minutes=20)
    assert await ledger.ALERTS.claim(db, (ALERTS, ticket_id), crashed_at, None, reason="new")

    restarted = make_poller()
    assert await restarted.release_stale_claims() == 1
    assert (await restarted.poll_once()).alerted == 1
    assert (await restarted.poll_once()).alerted == 0
    assert alerted_ids(stub) == [ticket_id]


async def test_fresh_claim_elsewhere_is_left_alone(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    poller = make_poller()
    await poller.poll_once()
    ticket_id = add_open(mava_sandbox)
    # Another leader is posting it right now.
    assert await ledger.ALERTS.claim(db, (ALERTS, ticket_id), datetime.now(UTC), None, reason="new")
    report = await poller.poll_once()
    assert report.alerted == 0
    assert report.skipped == 1
    assert stub.messages(ALERTS) == []


async def test_slack_429_and_500_lose_nothing(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    poller = make_poller(attempts=3)
    await poller.poll_once()
    a = add_open(mava_sandbox)
    b = add_open(mava_sandbox)
    stub.rate_limit("chat.postMessage", times=2, retry_after=1)
    assert (await poller.poll_once()).alerted == 2  # retried within the poll

    c = add_open(mava_sandbox)
    stub.http_error("chat.postMessage", 500, times=None)  # longer than the retries
    down = await poller.poll_once()
    assert down.alerted == 0
    assert down.slack_errors == 1
    stub.clear_faults()
    assert (await poller.poll_once()).alerted == 1
    assert alerted_ids(stub) == [a, b, c]


async def test_channel_not_found_is_recorded(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    settings = make_settings(alert_channel=None)
    subscriptions = SubscriptionService(db, settings)
    await subscriptions.add("alerts", "C0GONE", Filters(Priority.HIGH), "U0JANE")
    poller = make_poller(settings)
    stub.channels_not_found.add("C0GONE")
    ticket_id = add_open(mava_sandbox)
    report = await poller.poll_once()
    assert report.alerted == 0
    assert report.slack_errors == 1
    [view] = await subscriptions.list_for_channel("C0GONE")
    assert view.last_outcome is not None
    assert "channel_not_found" in view.last_outcome
    assert view.last_delivery_at is not None
    async with db.session() as session:
        states = (await session.scalars(select(AlertDelivery.state))).all()
    assert ledger.CLAIMED not in states  # the failed claim was released
    assert ledger.POSTED not in states

    stub.channels_not_found.discard("C0GONE")  # someone fixed it
    assert (await poller.poll_once()).alerted == 1
    assert alerted_ids(stub, "C0GONE") == [ticket_id]
    [view] = await subscriptions.list_for_channel("C0GONE")
    assert view.last_outcome == "posted 1 alert"


@pytest.mark.parametrize("fault", ["status", "disconnect"])
async def test_mava_outage_loses_nothing(
    make_poller: PollerFactory,
    stub: SlackStub,
    mava_sandbox: RunningSandbox,
    db: Database,
    fault: str,
) -> None:
    poller = make_poller()
    await poller.poll_once()
    key = f"alerts:settings:alerts:{ALERTS}:"
    marks_before = await _marks(db, key)
    ticket_id = add_open(mava_sandbox)

    mava_sandbox.sandbox.inject(fault, times=None, path="/api/tickets")  # type: ignore[arg-type]
    report = await poller.poll_once()
    assert report.mava_errors == 1
    assert report.alerted == 0
    assert await _marks(db, key) == marks_before  # the watermark did not move

    mava_sandbox.sandbox.clear_faults()
    assert (await poller.poll_once()).alerted == 1
    assert alerted_ids(stub) == [ticket_id]
    assert await _marks(db, key) != marks_before


@pytest.mark.parametrize("fault", ["timeout", "malformed", "429 storm", "refused"])
async def test_every_kind_of_mava_failure_during_a_poll_loses_nothing(
    make_poller: PollerFactory,
    stub: SlackStub,
    mava_sandbox: RunningSandbox,
    db: Database,
    fault: str,
) -> None:
    await make_poller().poll_once()
    ticket_id = add_open(mava_sandbox)
    url = mava_sandbox.url
    if fault == "refused":
        url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    elif fault == "429 storm":
        mava_sandbox.sandbox.inject("status", status=429, times=None, path="/api/tickets")
    else:
        kind = "timeout" if fault == "timeout" else "malformed"
        mava_sandbox.sandbox.inject(kind, times=None, path="/api/tickets", delay=2.0)
    impatient = MavaClient(
        url,
        mava_sandbox.api_key,
        timeout=0.3,
        limiter=RateLimiter(1000, 1.0),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01, max_retry_after=0.01),
        sleep=_no_sleep,
    )
    try:
        report = await make_poller(mava_client=impatient).poll_once()
    finally:
        await impatient.aclose()
    assert (report.mava_errors, report.alerted) == (1, 0)
    assert stub.messages(ALERTS) == []

    mava_sandbox.sandbox.clear_faults()
    assert (await make_poller().poll_once()).alerted == 1
    assert alerted_ids(stub) == [ticket_id]


async def test_slack_unreachable_is_one_warning_naming_the_host_and_the_cause(
    make_poller: PollerFactory,
    stub: SlackStub,
    mava_sandbox: RunningSandbox,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The stub stopped (a closed loopback port): the alert is not lost, and the poll
    says why in one WARNING naming Slack's host and the cause, without a traceback."""
    await make_poller().poll_once()
    ticket_id = add_open(mava_sandbox)
    port = urlsplit(stub.api_url).port
    await stub.stop()
    caplog.set_level(logging.INFO)
    report = await make_poller().poll_once()
    assert (report.alerted, report.slack_errors) == (0, 1)
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.levelname, r.getMessage()) for r in warned] == [("WARNING", "alert not posted")]
    line = json.loads(JsonFormatter().format(warned[0]))
    assert line["error"] == "connection_error"
    assert line["detail"] == f"Slack at 127.0.0.1:{port}: connection refused"
    assert "exception" not in line and "ClientConnectorError" not in json.dumps(line)
    # Nothing lost: the ticket is free for the next poll, once Slack is back.
    assert await ledger.ALERTS.states(db, (ALERTS,), [ticket_id]) == {}
    await stub.start(port=port or 0)  # the same address: Slack is back
    assert (await make_poller().poll_once()).alerted == 1
    assert alerted_ids(stub) == [ticket_id]


async def test_watermark_waits_for_failed_posts_of_creation_time_searches(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    """Without a priority threshold the search starts at the watermark (less a few
    minutes), so a ticket whose post failed must hold the watermark back until posted,
    however long that takes."""
    settings = make_settings(alert_channel=None)
    subscriptions = SubscriptionService(db, settings)
    await subscriptions.add("alerts", "C0NEW", Filters(unassigned_only=True), "U1")
    polls = iter(range(100))

    def clock() -> datetime:  # every look at the clock is 10 minutes after the last
        return datetime.now(UTC) + timedelta(minutes=10 * next(polls))

    poller = make_poller(settings, clock)
    await poller.poll_once()
    ticket_id = add_open(mava_sandbox)
    stub.channels_not_found.add("C0NEW")
    for _ in range(3):
        assert (await poller.poll_once()).alerted == 0
    stub.channels_not_found.clear()
    assert (await poller.poll_once()).alerted == 1
    assert alerted_ids(stub, "C0NEW") == [ticket_id]


async def _marks(db: Database, prefix: str) -> dict[str, datetime]:
    from mava_bridge.store.tables import PollWatermark

    async with db.session() as session:
        rows = (await session.scalars(select(PollWatermark))).all()
    return {row.query_key: row.seen_until for row in rows if row.query_key.startswith(prefix)}


async def test_a_claim_left_by_a_dead_leader_is_posted_by_the_next_at_once(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    await make_poller().poll_once()
    ticket_id = add_open(mava_sandbox)
    # The old leader claimed the ticket a moment ago and died before posting it.
    assert await ledger.ALERTS.claim(
        db, (ALERTS, ticket_id), datetime.now(UTC), "old:1:aa", reason="new"
    )
    # Claims of its own are not the new leader's to take.
    mine = add_open(mava_sandbox)
    assert await ledger.ALERTS.claim(
        db, (ALERTS, mine), datetime.now(UTC), "new:1:bb", reason="new"
    )

    assert await ledger.take_over_claims(db, "new:1:bb") == (1, 0)
    report = await make_poller(owner="new:1:bb").poll_once()
    assert report.alerted == 1  # not 15 minutes later: not in the channel, so posted
    assert report.recovered == 0
    assert alerted_ids(stub) == [ticket_id]
    assert (await make_poller(owner="new:1:bb").poll_once()).alerted == 0


async def _until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_dead_leaders_alert_that_reached_slack_is_found_not_posted_again(
    make_poller: PollerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    await make_poller(owner="old:1:aa").poll_once()
    first, second = add_open(mava_sandbox), add_open(mava_sandbox)
    # The old leader dies waiting for Slack's slow answer to its first alert: Slack
    # posts it all the same, and the claim is left.
    stub.slow_down("chat.postMessage", 0.5)
    dying = asyncio.create_task(make_poller(owner="old:1:aa").poll_once())
    await _until(lambda: stub.in_flight("chat.postMessage") == 1)
    dying.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    await _until(lambda: stub.in_flight("chat.postMessage") == 0)
    stub.clear_faults()
    assert alerted_ids(stub) == [first]

    assert await ledger.take_over_claims(db, "new:1:bb") == (1, 0)
    report = await make_poller(owner="new:1:bb").poll_once()
    assert (report.recovered, report.alerted) == (1, 1)
    assert alerted_ids(stub) == [first, second]  # each once
    [read] = stub.calls("conversations.history")
    assert read.params["include_all_metadata"] in ("1", "true", True) and read.params["oldest"]
    states = await ledger.ALERTS.states(db, (ALERTS,), [first, second])
    assert states == {first: ledger.POSTED, second: ledger.POSTED}
    # The recorded alert is its ticket's thread, as if its poll had finished.
    ts = stub.messages(ALERTS)[0]["ts"]
    assert await ticket_for_thread(db, ALERTS, ts) == first
    assert (await make_poller(owner="new:1:bb").poll_once()).alerted == 0
