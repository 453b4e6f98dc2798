"""Demo line `react EMOJI [TICKET]`: @Jane's reaction reaches the bot as Slack's
reaction_added event; eyes assigns, white_check_mark resolves, ticket brings the Create
Mava ticket button whose modal is prefilled with @Sam's message."""

from __future__ import annotations

import asyncio
import io
import re

from rich.console import Console

from mava_sandbox.demo.session import run_demo

SCRIPT = """\
/mava follow $T1
react eyes $T1
react white_check_mark $T1
react eyes $T1
react ticket
click Create Mava ticket cy.demo@example.com
click Create Mava ticket
react tada
"""


def test_demo_reactions_assign_resolve_and_create() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    result = asyncio.run(run_demo(SCRIPT.splitlines(), console, seed=7, tickets=40))
    text = " ".join(re.sub("[┃│]", " ", out.getvalue()).split())
    sandbox = result.sandbox
    t1 = sandbox.get(result.samples.open_tickets[0])
    assert t1 is not None
    assert t1["assignedTo"] == sandbox.agent_id("jane@example.com")
    assert t1["status"] == "Resolved"
    assert "@Jane reacts :eyes: to the card of ticket" in text
    assert "@Jane has reacted :eyes: there already." in text
    created = [
        t
        for t in sandbox.tickets
        if (sandbox.ticket_json(t).get("customer") or {}).get("email") == "cy.demo@example.com"
    ]
    [ticket] = created
    assert "From Slack: https://" in ticket["messages"][0]["content"]
    assert "Make the message you reacted to a new Mava ticket?" in text
    assert "Modal opened: Create Mava ticket" in text
    # Once the modal is open the prompt is gone: its button is not there to press again.
    assert "The bot deleted the message the button was on." in text
    assert "button is no longer on screen: the bot has deleted that message since" in text
