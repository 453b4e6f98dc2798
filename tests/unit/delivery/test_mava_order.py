"""Alerts and digests whatever order Mava uses and however the list changes between pages.

Each test runs against the sandbox under every switch of issue #12 (`null_priorities`,
`string_priorities`, `random_ties`, `churn`) and all of them at once."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app import build_digests
from mava_bridge.delivery.alerts import AlertPoller
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.queries import ALERT_LOOKBACK
from mava_bridge.domain.filters import DEFAULT_DIGEST_FILTERS
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.models import Priority, Ticket
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import MavaSandbox, RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

ALERTS = "C0ALERTS"
DIGESTS = "C0DIGESTS"


async def _no_sleep(_seconds: float) -> None:
    return None


def _poster(stub: SlackStub, metrics: Metrics) -> SlackPoster:
    slack = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    retry = replace(SLACK_RETRY, base_delay=0.001)
    return SlackPoster(slack, metrics=metrics, min_interval=0.0, retry=retry, sleep=_no_sleep)


def served(sandbox: MavaSandbox, ticket_id: str) -> Ticket:
    """The ticket as the bridge reads it from the API (words as priorities and all)."""
    ticket = sandbox.get(ticket_id)
    assert ticket is not None
    return Ticket.model_validate(sandbox.ticket_json(ticket))


def is_high(sandbox: MavaSandbox, ticket_id: str) -> bool:
    return served(sandbox, ticket_id).priority_level is Priority.HIGH


def alerted_ids(stub: SlackStub) -> list[str]:
    return [
        str(block["block_id"]).removeprefix("ticket:")
        for message in stub.messages(ALERTS)
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]


def open_ids(sandbox: MavaSandbox, since: datetime) -> set[str]:
    return {
        t["_id"] for t in sandbox.tickets if t["status"] != "Resolved" and t["createdAt"] > since
    }


async def test_threshold_alerts_each_matching_ticket_exactly_once(
    switched: RunningSandbox, client: MavaClient, db: Database, stub: SlackStub
) -> None:
    sandbox = switched.sandbox
    churn, sandbox.churn = sandbox.churn, 0
    settings = Settings(_env_file=None, alert_channel=ALERTS, alert_min_priority="high")
    metrics = Metrics(process_metrics=False)
    poller = AlertPoller(
        DeliveryParts(
            mava=client,
            db=db,
            poster=_poster(stub, metrics),
            renderer=digest_blocks,
            settings=settings,
            subscriptions=SubscriptionService(db, settings),
            metrics=metrics,
            link=settings.ticket_url,
        )
    )
    window = datetime.now(UTC) - ALERT_LOOKBACK + timedelta(minutes=1)
    assert (await poller.poll_once()).alerted == 0  # the baseline
    known = open_ids(sandbox, window)

    # More than a page of candidates, with nulls, low numbers and words between them.
    for index in range(200):
        priority = (3, 3, 3, None, 1)[index % 5]
        sandbox.add_ticket(status="Open", priority=priority)
    count = len(sandbox.tickets)
    sandbox.churn = churn
    reports = [await poller.poll_once() for _ in range(3)]
    assert (len(sandbox.tickets) > count) == bool(churn)  # tickets came and went mid-search
    sandbox.churn = 0
    reports.append(await poller.poll_once())

    alerted = alerted_ids(stub)
    assert [tid for tid, n in Counter(alerted).items() if n > 1] == []
    now_open_high = {t for t in open_ids(sandbox, window) - known if is_high(sandbox, t)}
    ever_high = {
        t["_id"]
        for t in sandbox.tickets
        if t["_id"] not in known and t["createdAt"] > window and is_high(sandbox, t["_id"])
    }
    assert now_open_high <= set(alerted) <= ever_high
    assert len(now_open_high) >= 60
    if not churn:
        assert set(alerted) == now_open_high
    assert all(r.mava_errors == 0 for r in reports)


async def test_digest_lists_every_open_ticket_back_over_the_years(
    switched: RunningSandbox, client: MavaClient, db: Database, stub: SlackStub
) -> None:
    sandbox = switched.sandbox
    churn, sandbox.churn = sandbox.churn, 0
    now = datetime.now(UTC)
    old = {
        str(sandbox.add_ticket(status="Open", createdAt=now - timedelta(days=days))["_id"])
        for days in (400, 800, 1000, 1100)
    }
    for index in range(250):  # three pages of this year's backlog
        sandbox.add_ticket(status="Open", priority=(None, 1, 2, 3)[index % 4])
    settings = Settings(_env_file=None, digest_channel=DIGESTS)
    metrics = Metrics(process_metrics=False)
    poster = _poster(stub, metrics)
    digests = build_digests(
        settings,
        client,
        db,
        poster,
        lookback=poster,
        metrics=metrics,
        subscriptions=SubscriptionService(db, settings),
    )

    def wanted() -> set[str]:
        return {
            t["_id"]
            for t in sandbox.tickets
            if t["status"] != "Resolved"
            and DEFAULT_DIGEST_FILTERS.matches(served(sandbox, t["_id"]))
        }

    before, count = wanted(), len(sandbox.tickets)
    sandbox.churn = churn
    listed = [t.id for t in await digests.collect()]
    assert (len(sandbox.tickets) > count) == bool(churn)  # tickets came and went mid-search
    after = wanted()
    ever = before | after | {t["_id"] for t in sandbox.tickets}
    assert len(listed) == len(set(listed))
    assert old <= set(listed)
    assert before & after <= set(listed) <= ever
    if not churn:
        assert set(listed) == before
