"""The demo's #support as a team would have it: its people are members (what
users.conversations answers, so App Home shows them its subscriptions) and it gets a
weekday digest, subscribed through the bot's own `/mava subscribe` path before the
session starts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Final

from mava_sandbox.stack import Stack

SAMPLE_SUBSCRIPTION: Final = "subscribe digest weekdays 09:00"
WAIT_SECONDS: Final = 10.0


async def set_up(stack: Stack, channel: str, name: str, members: Iterable[str]) -> None:
    """Create `channel` with `members` in it and subscribe it to the sample digest."""
    stack.slack.add_channel(channel, name=name)
    users = list(members)
    stack.slack.join(channel, *users)
    subscriptions = stack.runtime.deps.subscriptions
    response = await stack.sender.command(SAMPLE_SUBSCRIPTION, user_id=users[0], channel_id=channel)
    response.raise_for_status()
    deadline = time.monotonic() + WAIT_SECONDS
    while not any(s.id is not None for s in await subscriptions.active()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"/mava {SAMPLE_SUBSCRIPTION} was not recorded in {WAIT_SECONDS} s")
        await asyncio.sleep(0.02)
    # Its answer to @Jane is sent before the session counts what Slack shows.
    await stack.runtime.deps.inflight.wait_idle(WAIT_SECONDS)
