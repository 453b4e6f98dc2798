"""Per-ticket parsing against the sandbox's `odd_shapes` switch, and 403/404 sentences."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from mava_bridge.mava import errors
from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import Priority
from mava_bridge.mava.query import TicketQuery
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.observability.metrics import Metrics
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.odd_shapes import ODD_SHAPES

KEY = "test-mava-key"


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def odd_sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_mava_sandbox(api_key=KEY, rate_limit=None, odd_shapes=True) as running:
        yield running


def client_for(running: RunningSandbox, metrics: Metrics | None = None) -> MavaClient:
    return MavaClient(
        running.url,
        running.api_key,
        limiter=RateLimiter(1000, 1.0),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01),
        sleep=_no_sleep,
        unreadable_observer=metrics.observe_unreadable_ticket if metrics else None,
    )


def recent(**options: object) -> TicketQuery:
    now = datetime.now(UTC)
    return TicketQuery(start=now - timedelta(days=360), end=now + timedelta(days=1), **options)  # type: ignore[arg-type]


def unreadable_count(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value("mava_tickets_unreadable_total")
    return value or 0.0


def odd_ids(running: RunningSandbox) -> dict[str, str]:
    """shape -> ticket id, for the tickets the switch serves oddly."""
    return {shape: tid for tid, shape in running.sandbox.odd_shape_of.items()}


async def test_switch_serves_every_odd_shape(odd_sandbox: RunningSandbox) -> None:
    assert set(odd_ids(odd_sandbox)) == set(ODD_SHAPES)


async def test_one_unreadable_ticket_is_skipped_and_the_rest_read(
    odd_sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics(process_metrics=False)
    shapes = odd_ids(odd_sandbox)
    bad = shapes["unreadable"]
    async with client_for(odd_sandbox, metrics) as mava:
        with caplog.at_level(logging.WARNING, logger="mava_bridge.mava.models"):
            page = await mava.fetch_tickets(recent(include_messages=True), limit=20)
            again = await mava.fetch_tickets(recent(include_messages=True), limit=20)
    ids = [t.id for t in page.tickets]
    assert bad not in ids
    assert page.skipped == 1 and again.skipped == 1
    assert len(page.tickets) == 19  # the rest of the page is used
    for shape, ticket_id in shapes.items():
        if shape != "unreadable":
            assert ticket_id in ids, shape
    # Counted at every skip; logged once per ticket id, with field path and error type.
    assert unreadable_count(metrics) == 2
    lines = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(lines) == 1
    assert getattr(lines[0], "ticket_id", None) == bad
    problems = str(getattr(lines[0], "problems", ""))
    assert problems.startswith("priority") and "_type" in problems


async def test_obvious_readings(odd_sandbox: RunningSandbox) -> None:
    sandbox = odd_sandbox.sandbox
    agent = sandbox.agent_id("Omar Haddad")
    category = next(iter(sandbox.categories))
    tag = next(iter(sandbox.tags))
    fields = {
        "assignedTo": agent,
        "category": category,
        "tags": [tag],
        "csat": 4,
        "messages": ["first", "second", "third"],
        "priority": 3,
    }
    made = {shape: str(sandbox.add_ticket(**fields)["_id"]) for shape in ODD_SHAPES}
    for shape, ticket_id in made.items():
        sandbox.serve_odd(ticket_id, shape)
    async with client_for(odd_sandbox) as mava:
        pages = pages_by_created(mava, recent(include_messages=True))
        found = {t.id: t async for page in pages for t in page.tickets}
    assert made["unreadable"] not in found
    by_shape = {shape: found[tid] for shape, tid in made.items() if shape != "unreadable"}
    assert by_shape["null_tags"].tags == []
    customer = by_shape["customer_without_id"].customer
    assert customer is not None and customer.id is None and customer.name
    assignee = by_shape["string_assignee"].assigned_to
    assert assignee is not None and assignee.id == agent
    shown_category = by_shape["string_category"].category
    assert shown_category is not None and shown_category.id == category
    csat = by_shape["number_csat"].csat
    assert csat is not None and csat.value == 4
    for shape in ("message_without_id", "message_without_created_at"):
        texts = [m.content for m in by_shape[shape].messages or []]
        assert texts == ["first", "second", "third"], shape  # ordered by position
    assert by_shape["message_without_id"].messages[0].id is None  # type: ignore[index]
    assert all(t.priority_level == Priority.HIGH for t in by_shape.values())


async def test_envelope_unreadable_is_still_a_protocol_error(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    mava_sandbox.sandbox.inject(
        "status", path="/api/tickets", status=200, body={"tickets": [], "count": "many"}
    )
    with pytest.raises(errors.MavaProtocolError):
        await mava.fetch_tickets(recent())


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (403, errors.MavaForbidden, "403 Forbidden for GET"),
        (404, errors.MavaEndpointNotFound, "404 Not Found for GET"),
    ],
)
async def test_403_and_404_name_the_url_never_the_key(
    mava_sandbox: RunningSandbox,
    mava: MavaClient,
    status: int,
    error: type[errors.MavaError],
    words: str,
) -> None:
    mava_sandbox.sandbox.inject("status", path="/api/tickets", status=status, body={})
    with pytest.raises(error) as caught:
        await mava.fetch_tickets(recent())
    message = caught.value.user_message
    assert words in message
    assert f"{mava_sandbox.url}/api/tickets:" in message  # no query string
    assert "MAVA_API_TOKEN" in message if status == 403 else "MAVA_API_URL" in message
    assert mava_sandbox.api_key not in message
    # Not retried: a wrong URL or key does not fix itself.
    assert sum(1 for r in mava_sandbox.sandbox.requests if r.path == "/api/tickets") == 1


async def test_ticket_not_found_stays_a_400(mava: MavaClient) -> None:
    with pytest.raises(errors.TicketNotFound):
        await mava.update_ticket("0123456789abcdef01234567", priority=Priority.HIGH)
