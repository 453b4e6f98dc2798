"""Demo lines `shortcut create EMAIL` and `/mava create EMAIL TEXT`: the modal is filled
in and submitted through the bot's signed request path, Mava gets the new ticket, and
Slack shows where it is followed."""

from __future__ import annotations

import asyncio
import io
import re

from rich.console import Console

from mava_sandbox.demo.session import run_demo

SCRIPT = """\
shortcut create ann.demo@example.com
/mava create bo.demo@example.com The printer is down
help
"""


def test_demo_creates_tickets_from_the_shortcut_and_the_command() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    result = asyncio.run(run_demo(SCRIPT.splitlines(), console, seed=7, tickets=40))
    # Box borders out, lines joined: sentences wrap inside the drawn modals and messages.
    text = " ".join(re.sub("[┃│]", " ", out.getvalue()).split())
    sandbox = result.sandbox
    by_email = {}
    for ticket in sandbox.tickets:
        customer = sandbox.ticket_json(ticket).get("customer") or {}
        if customer.get("email"):
            by_email[customer["email"]] = ticket
    shortcut, command = by_email["ann.demo@example.com"], by_email["bo.demo@example.com"]
    # The shortcut's first message is Sam's sample message with its permalink.
    assert "From Slack: https://" in shortcut["messages"][0]["content"]
    assert command["messages"][0]["content"] == "The printer is down"
    assert "Modal opened: Create Mava ticket" in text
    assert f"Created ticket {shortcut['_id']}" in text
    assert "Following it in the message's thread." in text
    assert f"Created ticket {command['_id']}" in text
    assert "Its card is posted in this channel" in text
    assert "shortcut create EMAIL" in text  # in the demo's help
