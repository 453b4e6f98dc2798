"""Ticket link unfurls across a restart: Slack redelivers a `link_shared` event the old
process had already unfurled (same event id) to the new one, which shares its database:
no second chat.unfurl, no Mava read. A new event after the restart unfurls as usual."""

from __future__ import annotations

from pathlib import Path

from mava_sandbox.stack import Stack

from .conftest import CHANNEL, JANE, assert_ack, new_ticket, scenario_stack


async def paste(stack: Stack, event_id: str) -> str:
    """@Jane pastes a fresh ticket's link; the event goes out with `event_id`."""
    url = stack.runtime.deps.settings.ticket_url(new_ticket(stack))
    event = stack.slack.user_link(CHANNEL, JANE, url)
    assert_ack(await stack.sender.event(event, event_id=event_id))
    assert await stack.runtime.deps.inflight.wait_idle(10.0)
    return url


async def test_a_redelivery_after_a_restart_is_not_unfurled_again(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with scenario_stack(database_url=database_url) as before:
        await paste(before, "EvRESTART001")
        [call] = before.slack.calls("chat.unfurl")
        assert call.ok
    async with scenario_stack(database_url=database_url) as after:
        await paste(after, "EvRESTART001")  # Slack's retry reaches the new process
        assert after.slack.calls("chat.unfurl") == []
        assert after.mava.sandbox.requests == []
        url = await paste(after, "EvRESTART002")
        [call] = after.slack.calls("chat.unfurl")
        assert call.ok and list(call.params["unfurls"]) == [url]
