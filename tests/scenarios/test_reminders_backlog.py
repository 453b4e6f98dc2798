"""No flood on a busy account, through the whole bridge over signed HTTP requests.

`/mava subscribe reminders` where 25 tickets already wait posts ONE summary (how many,
the ten longest with links and waits as people say them, how to list them), and from
then on only a ticket whose wait passes the threshold afterwards, once. A new alerts
subscription where 30 matching tickets exist posts none of them (its first poll takes
them as its baseline) and alerts the next new one."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from mava_bridge.delivery.reminders import BACKLOG_SHOWN, ReminderReport
from mava_sandbox.stack import Stack

from .conftest import flat, run, scenario_stack, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
LINKED = re.compile(r"id=([0-9a-f]{24})\|")  # a ticket's dashboard link in mrkdwn


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    """An empty sandbox: the tests make every ticket they see."""
    async with scenario_stack(mava_options={"tickets": 0}) as stack:
        yield stack


def waiting_ticket(stack: Stack, text: str, waited: timedelta, **fields: Any) -> str:
    """An open ticket whose customer wrote `text` `waited` ago and got no answer."""
    said = datetime.now(UTC) - waited
    ticket = stack.mava.sandbox.add_ticket(
        createdAt=said - timedelta(minutes=1), messages=[], **fields
    )
    stack.mava.sandbox.add_message(ticket["_id"], text, created_at=said)
    return str(ticket["_id"])


async def remind(stack: Stack) -> ReminderReport:
    return await stack.runtime.delivery.desk.reminders.poll_once(max_age=0)


def about(stack: Stack, channel: str, ticket: str) -> list[JSON]:
    return [m for m in stack.slack.messages(channel) if ticket in flat(shown(m))]


async def subscribe(stack: Stack, channel: str, words: str) -> int:
    said = flat(shown(await run(stack, f"subscribe {words}", channel_id=channel)))
    assert "Subscribed" in said, said
    return int(said.rsplit("/mava unsubscribe ", 1)[1].split(".")[0])


async def test_a_new_reminders_subscription_sums_up_the_backlog_once(stack: Stack) -> None:
    channel = "C0BACKLOG"
    # 25 customers waiting from 40 minutes to 13 weeks, longest last; two not yet due.
    waits = [timedelta(minutes=40 + 97 * n) for n in range(24)] + [timedelta(weeks=13, days=3)]
    backlog = [waiting_ticket(stack, f"Backlog {n}", w) for n, w in enumerate(waits)]
    longest_first = [t for _, t in sorted(zip(waits, backlog, strict=True), reverse=True)]
    # 50 s: ten seconds for the first look to see it not yet due, then a short wait.
    soon = waiting_ticket(stack, "Almost a minute", timedelta(seconds=50))
    answered = waiting_ticket(stack, "Answered", timedelta(hours=3))
    stack.mava.sandbox.add_message(
        answered,
        "On it",
        sender_type="agent",
        sender_name="Jane Smith",
        created_at=datetime.now(UTC) - timedelta(hours=2),
    )
    sub = await subscribe(stack, channel, "reminders after 1m")

    first = await remind(stack)

    assert (first.summaries, first.posted, first.baselined) == (1, 0, 25)
    [summary] = stack.slack.messages(channel)
    text = flat(shown(summary))
    assert "25 tickets already wait longer than 1 m for an agent" in text
    assert LINKED.findall(shown(summary)) == longest_first[:BACKLOG_SHOWN]  # ten, with links
    assert "waiting 13 w ·" in text and "waiting 1 d 13 h ·" in text  # as people say them
    assert "`/mava tickets`" in text  # how to list them
    assert "passes 1 m" in text
    assert len(summary["blocks"]) <= 50
    assert "25 tickets already wait" in summary["text"]

    # The same wait crossing the threshold now: one reminder for it, none for the backlog.
    deadline = time.monotonic() + 90
    while not about(stack, channel, soon) and time.monotonic() < deadline:
        report = await remind(stack)
        assert report.summaries == 0
        await asyncio.sleep(1)
    [reminder] = about(stack, channel, soon)
    assert "Customer waiting 1 m for an agent" in flat(shown(reminder))
    later = waiting_ticket(stack, "New and already late", timedelta(hours=2))  # after the look
    await remind(stack)
    await remind(stack)
    assert len(about(stack, channel, later)) == 1
    assert about(stack, channel, answered) == []
    for ticket in backlog:
        assert [m["ts"] for m in about(stack, channel, ticket)] in ([], [summary["ts"]])
    assert len(stack.slack.messages(channel)) == 3  # the summary and two reminders
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "reminders after 1 m" in listed
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_first_look_with_nothing_waiting_posts_nothing(stack: Stack) -> None:
    channel = "C0QUIET"
    sub = await subscribe(stack, channel, "reminders after 30m high origin discord")
    report = await remind(stack)
    assert report.summaries == 0 and stack.slack.messages(channel) == []
    late = waiting_ticket(
        stack, "Discord, high", timedelta(hours=1), priority=3, sourceType="discord"
    )
    await remind(stack)
    [post] = about(stack, channel, late)
    assert "Customer waiting 1 h for an agent" in flat(shown(post))
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_refused_summary_is_told_and_posted_once_when_slack_takes_it(
    stack: Stack,
) -> None:
    channel = "C0SUMFAIL"
    ticket = waiting_ticket(stack, "Waiting the longest", timedelta(weeks=30))
    sub = await subscribe(stack, channel, "reminders after 30m")
    stack.slack.fail("chat.postMessage", "not_in_channel", times=None)
    report = await remind(stack)
    assert (report.errors, report.summaries, report.posted) == (1, 0, 0)
    listed = flat(shown(await run(stack, "subscriptions", channel_id=channel)))
    assert "not_in_channel" in listed
    stack.slack.clear_faults()
    await remind(stack)
    await remind(stack)
    [summary] = stack.slack.messages(channel)
    assert "already wait longer than 30 m" in flat(shown(summary))
    assert LINKED.findall(shown(summary))[0] == ticket
    await run(stack, f"unsubscribe {sub}", channel_id=channel)


async def test_a_new_alerts_subscription_posts_none_of_what_exists(stack: Stack) -> None:
    channel = "C0BUSYALERT"
    existing = [
        str(stack.mava.sandbox.add_ticket(priority=3, messages=[f"Old {n}"])["_id"])
        for n in range(30)
    ]
    sub = await subscribe(stack, channel, "alerts high")
    poller = stack.runtime.delivery.poller
    first = await poller.poll_once()
    assert first.alerted == 0 and first.baselined >= 30
    assert stack.slack.messages(channel) == []
    new = str(stack.mava.sandbox.add_ticket(priority=3, messages=["Brand new"])["_id"])
    await poller.poll_once()
    await poller.poll_once()
    [alert] = stack.slack.messages(channel)
    assert new in flat(shown(alert))
    assert not any(ticket in flat(shown(alert)) for ticket in existing)
    await run(stack, f"unsubscribe {sub}", channel_id=channel)
