"""Response-time targets in Socket Mode: `/mava sla set`, `/mava sla` and `/mava subscribe
breaches` arrive as envelopes and do what they do over HTTP; a breach is posted once
even when Slack redelivers the command that subscribed; a member not on the allow-list
may not change the policy and is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from mava_sandbox.slack_requests import slash_command
from mava_sandbox.stack import Stack

from .conftest import JANE, SAM, SLACK_ACK_LIMIT, answer, audit_rows, flat, scenario_stack, shown

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
CHANNEL = "C0SLASOCK"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack() -> AsyncIterator[Stack]:
    async with scenario_stack(
        socket_mode=True, allowed_slack_user_ids=JANE, mava_options={"tickets": 0}
    ) as found:
        yield found


async def command(stack: Stack, text: str, user: str = JANE) -> tuple[str, JSON]:
    """`/mava text` as a slash_commands envelope: the answer's text, and the body."""
    assert stack.socket is not None
    url = stack.slack.response_url(channel=CHANNEL)
    body = slash_command(text, user_id=user, channel_id=CHANNEL, response_url=url)
    envelope = await stack.socket.send_request(body)
    assert (await envelope.acked(timeout=SLACK_ACK_LIMIT)).seconds < SLACK_ACK_LIMIT
    return flat(shown(await answer(stack, url.rsplit("/", 1)[-1]))), body


async def test_set_show_subscribe_and_a_breach_once_over_the_socket(stack: Stack) -> None:
    said, _ = await command(stack, "sla set all first-response 30m")
    assert "SLA policy saved" in said and "Medium: first response 30 m" in said
    said, _ = await command(stack, "sla set all first-response 1m", user=SAM)
    assert "not on the list of people allowed" in said
    assert [r.outcome for r in await audit_rows(stack) if r.slack_user_id == SAM] == ["refused"]
    said, _ = await command(stack, "sla")
    assert "Medium: first response 30 m" in said and "Business hours: always" in said

    said, body = await command(stack, "subscribe breaches")
    assert "Subscribed" in said
    assert stack.socket is not None
    redelivered = await stack.socket.send_request(body)  # Slack delivers it again
    await redelivered.acked(timeout=SLACK_ACK_LIMIT)
    assert await stack.runtime.deps.inflight.wait_idle(10.0)
    breaches = stack.runtime.delivery.desk.breaches
    await breaches.poll_once(max_age=0)  # the first look

    created = datetime.now(UTC) - timedelta(minutes=45)
    ticket = stack.mava.sandbox.add_ticket(createdAt=created, messages=[])
    stack.mava.sandbox.add_message(ticket["_id"], "Hello?", created_at=created)
    report = await breaches.poll_once(max_age=0)
    await breaches.poll_once(max_age=0)
    assert report.posted == 1  # one subscription, though the command came twice
    [post] = [m for m in stack.slack.messages(CHANNEL) if ticket["_id"] in flat(shown(m))]
    assert "SLA breached: the 30 m first response target was missed" in flat(shown(post))
