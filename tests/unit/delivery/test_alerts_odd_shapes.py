"""The alert poller when Mava serves odd ticket shapes or refuses with 403/404.

The sandbox's `odd_shapes` switch serves each new ticket in the next odd shape (null
tags, a customer without `_id`, plain-string assignee and category, a number csat,
messages without `_id` or `createdAt`, and one no client can read): every readable
matching ticket is alerted exactly once, the unreadable one is counted and named in
the log once, and nothing blocks the rest.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from test_alerts import ALERTS, alerted_ids

from mava_bridge.delivery.alerts import AlertPoller
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.odd_shapes import ODD_SHAPES
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def odd_sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_mava_sandbox(
        api_key="odd-mava-key", rate_limit=None, odd_shapes=True
    ) as running:
        yield running


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(process_metrics=False)


@pytest.fixture
async def odd_mava(odd_sandbox: RunningSandbox, metrics: Metrics) -> AsyncIterator[MavaClient]:
    client = MavaClient(
        odd_sandbox.url,
        odd_sandbox.api_key,
        limiter=RateLimiter(1000, 1.0),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01),
        sleep=_no_sleep,
        unreadable_observer=metrics.observe_unreadable_ticket,
    )
    yield client
    await client.aclose()


def poller_for(mava: MavaClient, db: Database, stub: SlackStub, metrics: Metrics) -> AlertPoller:
    settings = Settings(_env_file=None, alert_channel=ALERTS, alert_min_priority="high")
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    poster = SlackPoster(
        client,
        metrics=metrics,
        min_interval=0.0,
        retry=replace(SLACK_RETRY, base_delay=0.001),
        sleep=_no_sleep,
    )
    now = lambda: datetime.now(UTC)  # noqa: E731
    return AlertPoller(
        DeliveryParts(
            mava=mava,
            db=db,
            poster=poster,
            renderer=digest_blocks,
            settings=settings,
            subscriptions=SubscriptionService(db, settings, clock=now),
            metrics=metrics,
            link=settings.ticket_url,
            clock=now,
        )
    )


def add_high(running: RunningSandbox, **fields: Any) -> str:
    sandbox = running.sandbox
    fields = {
        "priority": 3,
        "status": "Open",
        "assignedTo": sandbox.agent_id("Omar Haddad"),
        "category": sandbox.category_id("Billing"),
        "tags": [sandbox.tag_id("VIP")],
        "csat": 4,
        "messages": ["It broke", "Still broken"],
        **fields,
    }
    return str(sandbox.add_ticket(**fields)["_id"])


def unreadable_total(metrics: Metrics) -> float:
    return metrics.registry.get_sample_value("mava_tickets_unreadable_total") or 0.0


async def test_every_readable_ticket_is_alerted_once_and_the_odd_one_counted(
    odd_sandbox: RunningSandbox,
    odd_mava: MavaClient,
    db: Database,
    stub: SlackStub,
    metrics: Metrics,
    caplog: pytest.LogCaptureFixture,
) -> None:
    poller = poller_for(odd_mava, db, stub, metrics)
    with caplog.at_level(logging.INFO):
        await poller.poll_once()  # baseline
        made = {}
        for _ in ODD_SHAPES:  # the switch gives each new ticket the next odd shape
            ticket_id = add_high(odd_sandbox)
            made[odd_sandbox.sandbox.odd_shape_of[ticket_id]] = ticket_id
        assert set(made) == set(ODD_SHAPES)
        report = await poller.poll_once()
        again = await poller.poll_once()
        third = await poller.poll_once()
    readable = [tid for shape, tid in made.items() if shape != "unreadable"]
    assert report.mava_errors == 0 and again.mava_errors == 0
    assert report.alerted == len(readable)
    assert again.alerted == 0 and third.alerted == 0
    assert sorted(alerted_ids(stub)) == sorted(readable)
    assert unreadable_total(metrics) >= 1
    named = [r for r in caplog.records if getattr(r, "ticket_id", None) == made["unreadable"]]
    assert len(named) == 1  # once, not once per poll
    assert str(getattr(named[0], "problems", "")).startswith("priority")
    assert not [r for r in caplog.records if "Mava search failed" in r.getMessage()]


@pytest.mark.parametrize(
    ("status", "sentence"),
    [(403, "Mava answered 403 Forbidden for GET"), (404, "Mava answered 404 Not Found for GET")],
)
async def test_403_and_404_are_named_in_the_poll_log(
    odd_sandbox: RunningSandbox,
    odd_mava: MavaClient,
    db: Database,
    stub: SlackStub,
    metrics: Metrics,
    caplog: pytest.LogCaptureFixture,
    status: int,
    sentence: str,
) -> None:
    poller = poller_for(odd_mava, db, stub, metrics)
    odd_sandbox.sandbox.inject("status", path="/api/tickets", status=status, body={})
    with caplog.at_level(logging.WARNING):
        report = await poller.poll_once()
    assert report.mava_errors == 1
    failed = [r for r in caplog.records if "Mava search failed" in r.getMessage()]
    assert failed
    error = failed[0].getMessage()
    host = odd_sandbox.url.split("//", 1)[1]
    assert f"Mava at {host}: {sentence} {odd_sandbox.url}/api/tickets:" in error
    assert "odd-mava-key" not in error
