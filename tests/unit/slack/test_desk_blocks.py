"""The desk's messages for many tickets (slack.blocks.digest): within Slack's limits
whatever the count and the text, customers' words escaped, and the `/mava tickets`
command the backlog summary names is one the grammar takes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_blocks import NOW, check_blocks, link, make_ticket, nasty_ticket

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.tickets import Origin, Priority
from mava_bridge.domain.wording import duration
from mava_bridge.mava.models import Ticket
from mava_bridge.slack.blocks.digest import (
    assignments_message,
    assignments_text,
    backlog_message,
    backlog_text,
    listing_command,
)
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.command.model import ListTickets


def ids(count: int) -> list[str]:
    return [f"{n:024x}" for n in range(count)]


def nasty(count: int) -> list[Ticket]:
    """Hostile, oversize tickets, each with its own id (block ids must be unique)."""
    return [nasty_ticket().model_copy(update={"id": ticket_id}) for ticket_id in ids(count)]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=2, max_value=5000), st.integers(min_value=1, max_value=5))
def test_a_grouped_dm_fits_whatever_the_count(total: int, shown: int) -> None:
    tickets = nasty(min(shown, total))
    blocks = assignments_message(tickets, total=total, link=link, now=NOW)
    check_blocks(blocks)  # at most 50 blocks, every text within its limit
    said = str(blocks)
    assert f"{total} tickets were assigned to you" in said
    assert "<!channel>" not in said
    more = total - len(tickets)
    assert (f"…and {more} more" in said) == (more > 0)
    assert assignments_text(total) == f"{total} tickets were assigned to you"


def test_one_ticket_reads_singular() -> None:
    assert assignments_text(1) == "1 ticket was assigned to you"


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=10))
def test_a_backlog_summary_fits_and_names_the_waits(total: int, shown: int) -> None:
    total = max(total, shown)
    longest = [
        (ticket, timedelta(days=n + 1, hours=4).total_seconds())
        for n, ticket in enumerate(nasty(shown))
    ]
    blocks = backlog_message(longest, total=total, wait="30 m", filters=Filters(), link=link)
    check_blocks(blocks)
    said = str(blocks)
    assert "already wait" in said or "already waits" in said
    assert "<!channel>" not in said
    for _, waited in longest:  # the one way a wait is written
        assert f"waiting {duration(waited)} ·" in said
    assert "`/mava tickets`" in said and "passes 30 m" in said
    assert backlog_text(total, "30 m").startswith(f"{total} ticket")


def test_the_summary_links_each_ticket() -> None:
    tickets = [make_ticket(_id=ticket_id) for ticket_id in ids(3)]
    blocks = backlog_message(
        [(t, 7200.0) for t in tickets], total=3, wait="1 h", filters=Filters(), link=link
    )
    text = str(blocks)
    assert all(f"{link(t)}|" in text for t in ids(3))


@pytest.mark.parametrize(
    ("filters", "command"),
    [
        (Filters(), "/mava tickets"),
        (
            Filters(min_priority=Priority.HIGH, unassigned_only=True, origins=(Origin.DISCORD,)),
            "/mava tickets unassigned discord high",
        ),
        (Filters(min_priority=Priority.MEDIUM, categories=("Billing",)), "/mava tickets"),
        (Filters(origins=(Origin.TELEGRAM_GROUP, Origin.WEB)), "/mava tickets telegram-group web"),
    ],
)
def test_the_listing_command_is_one_the_grammar_takes(filters: Filters, command: str) -> None:
    assert listing_command(filters) == command
    parsed = parse(command.removeprefix("/mava "))
    assert isinstance(parsed, ListTickets)
    assert parsed.assignee == ("unassigned" if filters.unassigned_only else "any")
    assert parsed.origins == filters.origins
    assert parsed.high_only == (filters.min_priority is Priority.HIGH)
