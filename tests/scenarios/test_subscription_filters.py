"""`/mava subscribe … category NAME` resolves NAME as `/mava category` does (any case, a
unique prefix of an active Mava category) and stores Mava's name, so the filter can
match; `/mava subscriptions` flags a category archived or renamed in Mava since."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from mava_bridge.domain.filters import filters_from_json
from mava_bridge.store.tables import Subscription
from mava_sandbox.stack import Stack

from .conftest import audit_rows, flat, new_ticket, run, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

VALID = "Valid categories: Account, Billing, Bug report, Feature request, General, Technical"


async def stored_categories(stack: Stack, channel: str) -> list[tuple[str, ...]]:
    async with stack.runtime.db.session() as session:
        rows = await session.scalars(
            select(Subscription).where(Subscription.channel_id == channel).order_by(Subscription.id)
        )
        return [filters_from_json(row.filters or {}).categories for row in rows]


def alerted(stack: Stack, channel: str) -> str:
    return json.dumps([m.get("blocks") for m in stack.slack.messages(channel)])


async def test_a_prefix_is_stored_as_mavas_name_and_the_alert_fires(stack: Stack) -> None:
    channel = "C0BILLING"
    stack.slack.add_channel(channel)
    said = flat(
        shown(
            await run(stack, "subscribe alerts medium unassigned category bill", channel_id=channel)
        )
    )
    assert "in category Billing" in said
    assert await stored_categories(stack, channel) == [("Billing",)]

    poller = stack.runtime.delivery.poller
    await poller.poll_once()  # what matched before is baseline
    await asyncio.sleep(0.01)  # the tickets below are created after the subscription
    sandbox = stack.mava.sandbox
    billing = new_ticket(stack, priority=2, category=sandbox.category_id("Billing"))
    other = new_ticket(stack, priority=2, category=sandbox.category_id("Technical"))
    report = await poller.poll_once()
    assert report.alerted >= 1
    posted = alerted(stack, channel)
    assert billing in posted and other not in posted


@pytest.mark.parametrize(
    ("channel", "text", "stored"),
    [
        ("C0DIGEST", "subscribe digest daily at 08:00 category TECH", ("Technical",)),
        ("C0REMIND", 'subscribe reminders after 2h category "bug"', ("Bug report",)),
        ("C0TWICE", "subscribe alerts high category account category ACCOUNT", ("Account",)),
    ],
)
async def test_digest_and_reminders_filters_are_resolved_too(
    stack: Stack, channel: str, text: str, stored: tuple[str, ...]
) -> None:
    said = flat(shown(await run(stack, text, channel_id=channel)))
    assert "Subscribed" in said, said
    assert await stored_categories(stack, channel) == [stored]


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        (
            "Frobnication",
            "No active category is called 'Frobnication' (archived categories can't be "
            f"used). {VALID}.",
        ),
        ("Legacy", "No active category is called 'Legacy'"),  # archived in Mava
        ("b", "'b' matches several categories: Billing, Bug report. Be more specific."),
    ],
)
@pytest.mark.parametrize("kind", ["alerts high", "digest", "reminders after 30m"])
async def test_an_unknown_archived_or_ambiguous_name_is_refused(
    stack: Stack, kind: str, name: str, sentence: str
) -> None:
    channel = "C0REFUSED"
    said = flat(shown(await run(stack, f"subscribe {kind} category {name}", channel_id=channel)))
    assert sentence in said
    assert await stored_categories(stack, channel) == []
    assert [r for r in await audit_rows(stack) if r.channel_id == channel] == []


async def test_subscriptions_flags_a_category_archived_or_renamed_since(stack: Stack) -> None:
    channel = "C0STALE"
    sandbox = stack.mava.sandbox
    sandbox.add_category("Shipping")
    sandbox.add_category("Returns")
    for text in (
        "subscribe alerts high category ship",
        "subscribe digest category returns",
        "subscribe reminders after 1h category billing",
    ):
        assert "Subscribed" in flat(shown(await run(stack, text, channel_id=channel)))
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "no active category" not in listed

    sandbox.rename_category("Shipping", "Delivery")  # an admin, in the dashboard
    sandbox.archive_category("Returns")
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    lines = [line for line in listed.split("• ") if "#" in line]
    assert len(lines) == 3
    shipping, returns, billing = lines
    assert "Mava has no active category 'Shipping' now (archived or renamed)" in shipping
    assert "Mava has no active category 'Returns' now" in returns
    assert "no active category" not in billing

    # Mava unreadable: said so, nothing flagged or guessed.
    sandbox.inject("status", status=500, times=None, path="/api/categories")
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "Mava's categories could not be read" in listed
    assert "category filters above were not checked" in listed
    assert "no active category 'Shipping'" not in listed
