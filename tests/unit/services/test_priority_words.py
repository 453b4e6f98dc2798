"""Priorities given as words ("high") are found whether Mava sorts words above or below
the numbers (issue #12: the `strings_sort` switch), by `/mava tickets high` and by
alerts with a priority threshold, when the cut-off is on the first page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.alerts import AlertPoller
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.queries import ALERT_LOOKBACK
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.models import Priority, Ticket
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.tickets import TicketFilter, TicketService
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import MavaSandbox, RunningSandbox, running_mava_sandbox
from mava_sandbox.mava_server import TicketQuery as SandboxQuery
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

ALERTS = "C0WORDS"
# Mostly low and medium, a few high: the cut-off is on the first page sorted by priority.
MIX = (1, 2, 1, None, 2, 1, 2, 3, 1, 2)


def as_read(sandbox: MavaSandbox, ticket_id: str) -> Ticket:
    ticket = sandbox.get(ticket_id)
    assert ticket is not None
    return Ticket.model_validate(sandbox.ticket_json(ticket))


def open_high(sandbox: MavaSandbox, since: datetime) -> dict[str, Ticket]:
    found = {}
    for ticket in sandbox.tickets:
        if ticket["status"] == "Resolved" or ticket["createdAt"] <= since:
            continue
        read = as_read(sandbox, ticket["_id"])
        if read.priority_level is Priority.HIGH:
            found[read.id] = read
    return found


def test_a_priority_word_reads_as_its_level() -> None:
    base = {"_id": "a" * 24, "createdAt": "2026-01-01T00:00:00Z", "status": "Open"}
    assert Ticket.model_validate({**base, "priority": "High"}).priority_level is Priority.HIGH
    assert Ticket.model_validate({**base, "priority": "low"}).priority_level is Priority.LOW
    odd = Ticket.model_validate({**base, "priority": "urgent"})
    assert odd.priority_level is None and odd.priority == "urgent"


def test_strings_sort_switch_puts_words_below_the_numbers() -> None:
    sandbox = MavaSandbox(string_priorities=True, strings_sort="last", rate_limit=None)
    query = SandboxQuery(
        start=sandbox.now() - timedelta(days=3650),
        end=sandbox.now() + timedelta(days=1),
        sort_by="priority",
        sort_order="desc",
    )
    served = [sandbox.served_priority(t) for t in sandbox.select(query)]
    kinds = [type(p).__name__ for p in served]
    first_word, last_number = kinds.index("str"), len(kinds) - 1 - kinds[::-1].index("int")
    assert last_number < first_word  # every word after every number (desc)
    assert all(p is None for p in served[kinds.index("NoneType") :])  # nulls last


async def test_tickets_high_lists_words_wherever_they_sort(
    switched: RunningSandbox, client: MavaClient
) -> None:
    sandbox = switched.sandbox
    churn, sandbox.churn = sandbox.churn, 0
    sandbox.string_priorities = True  # words in every run, sorted where the switch says
    for index in range(150):
        sandbox.add_ticket(status="Open", priority=MIX[index % len(MIX)])
    since = datetime.now(UTC) - timedelta(days=364)
    before = open_high(sandbox, since)
    assert any(isinstance(t.priority, str) for t in before.values())  # "high" as a word
    assert len(before) < 100  # the cut-off is on the first page
    sandbox.churn = churn
    listing = await TicketService(client).list_tickets(TicketFilter(high_only=True), limit=1000)
    after = open_high(sandbox, since)
    ids = [t.id for t in listing.tickets]
    assert len(ids) == len(set(ids)) == listing.total
    assert set(before) & set(after) <= set(ids) <= set(before) | set(after)
    if not churn:
        assert set(ids) == set(before)


@pytest.mark.parametrize("strings_sort", ["first", "last"])
async def test_cut_off_on_the_first_page_costs_one_or_two_requests(strings_sort: str) -> None:
    async with running_mava_sandbox(
        api_key="k", rate_limit=None, tickets=0, string_priorities=True, strings_sort=strings_sort
    ) as running:
        sandbox = running.sandbox
        for index in range(200):  # about 50 words, 30 high numbers, then the rest
            sandbox.add_ticket(status="Open", priority=(1, 2, 1, 2, 3)[index % 5])
        since = datetime.now(UTC) - timedelta(days=364)
        wanted = open_high(sandbox, since)
        mava = MavaClient(running.url, running.api_key)
        try:
            sandbox.reset_requests()
            listing = await TicketService(mava).list_tickets(
                TicketFilter(high_only=True), limit=1000
            )
        finally:
            await mava.aclose()
        searches = [r for r in sandbox.requests if r.path == "/api/tickets"]
        assert {t.id for t in listing.tickets} == set(wanted)
        # Words above the numbers are seen on the first page; below, one ascending page.
        assert len(searches) == (1 if strings_sort == "first" else 2)


async def test_threshold_alerts_reach_words_wherever_they_sort(
    switched: RunningSandbox, client: MavaClient, db: Database, stub: SlackStub
) -> None:
    sandbox = switched.sandbox
    churn, sandbox.churn = sandbox.churn, 0
    sandbox.string_priorities = True
    settings = Settings(_env_file=None, alert_channel=ALERTS, alert_min_priority="high")
    metrics = Metrics(process_metrics=False)
    slack = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    poster = SlackPoster(
        slack,
        metrics=metrics,
        min_interval=0.0,
        retry=replace(SLACK_RETRY, base_delay=0.001),
    )
    poller = AlertPoller(
        DeliveryParts(
            mava=client,
            db=db,
            poster=poster,
            renderer=digest_blocks,
            settings=settings,
            subscriptions=SubscriptionService(db, settings),
            metrics=metrics,
            link=settings.ticket_url,
        )
    )
    window = datetime.now(UTC) - ALERT_LOOKBACK + timedelta(minutes=1)
    assert (await poller.poll_once()).alerted == 0  # the baseline
    known = set(open_high(sandbox, window))
    for index in range(150):
        sandbox.add_ticket(status="Open", priority=MIX[index % len(MIX)])
    new_high = {k: t for k, t in open_high(sandbox, window).items() if k not in known}
    assert any(isinstance(t.priority, str) for t in new_high.values())
    sandbox.churn = churn
    reports = [await poller.poll_once() for _ in range(2)]
    sandbox.churn = 0
    reports.append(await poller.poll_once())
    alerted = [
        str(block["block_id"]).removeprefix("ticket:")
        for message in stub.messages(ALERTS)
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]
    assert len(alerted) == len(set(alerted))  # each once
    still_open = {k for k in new_high if k in open_high(sandbox, window)}
    ever_high = {
        t["_id"]
        for t in sandbox.tickets
        if t["_id"] not in known
        and t["createdAt"] > window
        and as_read(sandbox, t["_id"]).priority_level is Priority.HIGH
    }
    assert still_open <= set(alerted) <= ever_high
    if not churn:
        assert set(alerted) == set(new_high)
    assert all(r.mava_errors == 0 for r in reports)
