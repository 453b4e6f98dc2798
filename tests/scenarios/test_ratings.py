"""Ratings through the whole bridge over signed HTTP: `/mava subscribe ratings [1 2 …]`,
then the leader's ratings job posts each ticket newly rated with one of those values,
once, with its card, the rating and the customer's last message. What was rated before
the subscription is not posted; a dead leader's post is looked for before it goes again;
across a restart nothing is posted twice. Mava may or may not move `updatedAt` on a
rating (the sandbox's switch): the same either way."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from mava_bridge.delivery.in_doubt import rating_tag
from mava_bridge.delivery.ratings import RatingReport, Ratings
from mava_bridge.store import deliveries
from mava_sandbox.stack import Stack

from .conftest import flat, run, scenario_stack, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
DEAD = "replica-that-died"
BEFORE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # fixed: the same ids after a restart


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    """An empty sandbox: the tests make every ticket they see."""
    async with scenario_stack(mava_options={"tickets": 0}) as stack:
        yield stack


def ratings(stack: Stack) -> Ratings:
    assert stack.runtime.delivery.ratings is not None
    return stack.runtime.delivery.ratings


async def poll(stack: Stack) -> RatingReport:
    return await ratings(stack).poll_once()


def ticket(stack: Stack, said: str, *, days: float = 2, csat: int | None = None) -> str:
    created = datetime.now(UTC) - timedelta(days=days)
    messages = [{"content": "First question", "createdAt": created}]
    messages.append({"content": "ok", "senderType": "agent", "createdAt": created})
    messages.append({"content": said, "createdAt": created + timedelta(minutes=5)})
    added = stack.mava.sandbox.add_ticket(
        createdAt=created, status="Resolved", messages=messages, csat=csat
    )
    return str(added["_id"])


def posts(stack: Stack, channel: str, ticket_id: str) -> list[JSON]:
    """The channel's posts about the ticket (its card, text or metadata)."""
    return [m for m in stack.slack.messages(channel) if ticket_id in json.dumps(m)]


async def subscribe(stack: Stack, channel: str, words: str = "") -> None:
    said = flat(shown(await run(stack, f"subscribe ratings {words}", channel_id=channel)))
    assert "Subscribed" in said, said


@pytest.mark.parametrize("touches", [True, False])
async def test_a_new_low_rating_is_posted_once_old_ones_never(stack: Stack, touches: bool) -> None:
    stack.mava.sandbox.rating_touches_updated = touches
    channel = f"C0RATE{int(touches)}"
    old = ticket(stack, "Was bad", csat=1)
    await subscribe(stack, channel)
    await poll(stack)  # the first look: what is rated already is the baseline
    assert stack.slack.messages(channel) == []
    bad, good = ticket(stack, "Still broken, thanks for nothing"), ticket(stack, "Great")
    stack.mava.sandbox.rate(bad, 2)
    stack.mava.sandbox.rate(good, 5)
    await poll(stack)
    [post] = posts(stack, channel, bad)
    text = flat(shown(post))
    assert "Rated 2/5" in text and "Still broken, thanks for nothing" in text
    assert post["metadata"]["event_payload"]["kind"] == "rating"
    await poll(stack)
    assert len(posts(stack, channel, bad)) == 1
    assert posts(stack, channel, good) == [] and posts(stack, channel, old) == []


@pytest.mark.parametrize("touches", [True, False])
async def test_a_rating_given_before_the_first_look(stack: Stack, touches: bool) -> None:
    """Rated after the subscription but before the job's first look: posted when Mava
    moves updatedAt for a rating; when it does not, taken for an old one (no flood)."""
    stack.mava.sandbox.rating_touches_updated = touches
    channel = f"C0EARLY{int(touches)}"
    await subscribe(stack, channel)
    early = ticket(stack, "Rated right away", days=1)
    stack.mava.sandbox.rate(early, 1)
    await poll(stack)
    assert len(posts(stack, channel, early)) == (1 if touches else 0)


async def test_each_channel_gets_its_own_values(stack: Stack) -> None:
    await subscribe(stack, "C0MIDDLE", "3 4")
    await poll(stack)
    meh = ticket(stack, "Meh")
    stack.mava.sandbox.rate(meh, 3)
    await poll(stack)
    assert len(posts(stack, "C0MIDDLE", meh)) == 1
    said = flat(shown(await run(stack, "subscriptions", channel_id="C0MIDDLE")))
    assert "ratings 3 4" in said and "posted 1 rating" in said


async def test_a_dead_leaders_post_is_found_not_repeated(stack: Stack) -> None:
    channel = "C0FAILOVER"
    await subscribe(stack, channel)
    await poll(stack)
    found, lost = ticket(stack, "Posted before the crash"), ticket(stack, "Never posted")
    db, now = stack.runtime.db, datetime.now(UTC)
    for rated in (found, lost):
        stack.mava.sandbox.rate(rated, 1)
        assert await deliveries.RATINGS.claim(db, (channel, rated), now, DEAD, rating=1)
    await stack.runtime.delivery.poster.post(channel, f"Rated 1/5: {found}", tag=rating_tag(found))
    assert await ratings(stack).take_over() == 2
    report = await poll(stack)
    assert report.recovered == 1
    assert len(posts(stack, channel, found)) == 1 and len(posts(stack, channel, lost)) == 1


async def stack_with_two_rated(database_url: str) -> AsyncIterator[tuple[Stack, list[str]]]:
    async with scenario_stack(database_url=database_url, mava_options={"tickets": 0}) as stack:
        sandbox = stack.mava.sandbox
        made = [sandbox.add_ticket(createdAt=BEFORE + timedelta(hours=i)) for i in range(3)]
        ids = [str(t["_id"]) for t in made]
        sandbox.rate(ids[0], 1)
        yield stack, ids


async def test_nothing_is_posted_twice_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async for stack, ids in stack_with_two_rated(url):
        await subscribe(stack, "C0RESTART")
        await poll(stack)  # ids[0] is the baseline
        stack.mava.sandbox.rate(ids[1], 2)
        assert (await poll(stack)).posted == 1
    async for stack, ids_again in stack_with_two_rated(url):  # the same tickets, restarted
        assert ids_again == ids
        stack.mava.sandbox.rate(ids[1], 2)
        assert (await poll(stack)).posted == 0
        stack.mava.sandbox.rate(ids[2], 1)
        assert (await poll(stack)).posted == 1
        assert [m for m in stack.slack.messages("C0RESTART") if ids[2] in flat(shown(m))]
