"""App Home across a restart of `mava-bot run`: the process is SIGKILLed after drawing
Jane's Home; while it is down a ticket is assigned to her in Mava's dashboard. The
restarted process (same database) draws Home from a fresh read (the new assignment is
hers), and a button on the Home the killed process published (still on Jane's screen)
acts and redraws it."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from running import bot_env, free_port, running_bot, start_bot, wait_healthy

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_requests import SlackEventSender
from mava_sandbox.slack_stub import SlackStub

JANE = "U0JANE"


def home_event() -> dict[str, Any]:
    return {"type": "app_home_opened", "user": JANE, "channel": "D0JANE", "tab": "home"}


def mine(view: dict[str, Any]) -> list[str]:
    """Ticket ids listed under "Assigned to me"."""
    found, inside = [], False
    for block in view["blocks"]:
        if block["type"] == "header":
            inside = block["text"]["text"].startswith("Assigned to me")
        block_id = str(block.get("block_id") or "")
        if inside and block_id.startswith("home_ticket:"):
            found.append(block_id.split(":", 1)[1])
    return found


async def open_home(sender: SlackEventSender, slack: SlackStub) -> dict[str, Any]:
    published = len(slack.calls("views.publish"))
    assert (await sender.event(home_event())).status_code == 200
    await slack.wait_for("views.publish", published + 1, timeout=15)
    view = slack.home_view(JANE)
    assert view is not None
    return view


async def test_home_after_a_restart_reads_afresh_and_old_buttons_still_act(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    sandbox = mava.sandbox
    jane = sandbox.agent_id("Jane Smith")
    hers = str(sandbox.add_ticket(assignedTo=jane)["_id"])
    later = str(sandbox.add_ticket(priority=3)["_id"])
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port))
    log = tmp_path / "bot.log"
    base = f"http://127.0.0.1:{port}"

    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"{base}/healthz")
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            before = await open_home(sender, slack)
        assert mine(before) == [hers]
        first.send_signal(signal.SIGKILL)
        await first.wait()

    sandbox.dashboard(later, assignee="Jane Smith")  # while the bot is down
    second = await start_bot(env, tmp_path, log)
    try:
        await wait_healthy(f"{base}/healthz")
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            # The Home the killed process drew is still on screen: its Resolve acts.
            response = await sender.action("home_resolve", hers, view=before, user_id=JANE)
            assert response.status_code == 200
            await slack.wait_for("views.publish", 2, timeout=15)
            resolved = sandbox.get(hers)
            assert resolved is not None and resolved["status"] == "Resolved"
            redrawn = slack.home_view(JANE)
            assert redrawn is not None
            assert mine(redrawn) == [later]  # a fresh read: the dashboard's assignment
            assert f"Ticket {hers} resolved" in json.dumps(redrawn)
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
