"""A burst of requests into a freshly started bot.

Every request is acked before any work starts, and the questions the work needs to ask
Slack (who the bot is, who the person is) are asked once per burst, not once per request:
Slack rate-limits users.info, and a cold replica behind a load balancer takes bursts.
"""

from __future__ import annotations

import asyncio

import pytest

from mava_sandbox.stack import Stack

from .conftest import CHANNEL, answer, scenario_stack, send

pytestmark = pytest.mark.asyncio(loop_scope="function")

NEWCOMER = "U0NEWBIE"
BURST = 25


def add_newcomer(stack: Stack) -> None:
    stack.slack.add_user(NEWCOMER, name="newbie", real_name="New Person", email="new@example.com")
    # Slow enough that the whole burst arrives while the first lookups are still out.
    stack.slack.slow_down("auth.test", 0.5)
    stack.slack.slow_down("users.info", 0.5)


async def burst_of_shows(stack: Stack, ticket_id: str) -> list[dict[str, object]]:
    sent = await asyncio.gather(
        *(send(stack, f"show {ticket_id}", user_id=NEWCOMER) for _ in range(BURST))
    )
    return await asyncio.gather(*(answer(stack, s.target) for s in sent))


async def test_a_cold_burst_asks_slack_once_who_the_bot_and_the_person_are() -> None:
    async with scenario_stack() as stack:
        add_newcomer(stack)
        ticket = stack.mava.sandbox.add_ticket(status="Open")

        answers = await burst_of_shows(stack, str(ticket["_id"]))

        assert len(answers) == BURST
        assert all(str(ticket["_id"]) in str(a.get("blocks")) for a in answers)
        assert len(stack.slack.calls("auth.test")) == 1
        lookups = [c for c in stack.slack.calls("users.info") if c.params["user"] == NEWCOMER]
        assert len(lookups) == 1


async def test_a_failed_profile_lookup_is_shared_by_the_burst_and_not_remembered() -> None:
    async with scenario_stack() as stack:
        add_newcomer(stack)
        ticket = stack.mava.sandbox.add_ticket(status="Open")
        stack.slack.fail("users.info", error="ratelimited", times=1)

        answers = await burst_of_shows(stack, str(ticket["_id"]))

        # One lookup failed, and everyone waiting on it hears why; nothing is shown.
        assert len(stack.slack.calls("users.info")) == 1
        assert all("could not be looked up (ratelimited)" in str(a["text"]) for a in answers)
        # The failure is not cached: the next request asks again and succeeds.
        stack.slack.clear_faults()
        retry = await send(stack, f"show {ticket['_id']}", user_id=NEWCOMER, channel_id=CHANNEL)
        shown = await answer(stack, retry.target)
        assert str(ticket["_id"]) in str(shown.get("blocks"))
        assert len(stack.slack.calls("users.info")) == 2
