"""Demo lines `shortcut create EMAIL` and `/mava create EMAIL TEXT`: the modal is filled
in and submitted through the bot's signed request path, Mava gets the new ticket, and
Slack shows where it is followed."""

from __future__ import annotations

import asyncio
import io
import re

from rich.console import Console

from mava_sandbox.demo.session import open_demo, run_demo
from mava_sandbox.mava_server import MavaSandbox

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
    assert text.count("Filled in: Create Mava ticket") == 1  # the email typed in, shown once
    assert f"Created ticket {shortcut['_id']}" in text
    assert "Following it in the message's thread." in text
    assert f"Created ticket {command['_id']}" in text
    assert "Its card is posted in this channel" in text
    assert "shortcut create EMAIL" in text  # in the demo's help


def test_create_prompts_list_the_choices_and_ask_again_for_a_bad_one() -> None:
    answers = iter(["e", "", "", "urgent", "high", "b", "BILL", "y"])
    asked: list[str] = []

    async def ask(question: str, *, default: str = "") -> str:
        asked.append(question)
        return next(answers) or default

    async def scenario() -> tuple[MavaSandbox, str]:
        out = io.StringIO()
        console = Console(file=out, width=100, force_terminal=False, color_system=None)
        async with open_demo(console, seed=7, tickets=20, ask=ask) as session:
            await session.run_line("/mava create cy.demo@example.com The printer is down")
        return session.sandbox, out.getvalue()

    sandbox, text = asyncio.run(scenario())
    flat = " ".join(re.sub("[┃│]", " ", text).split())
    [ticket] = [t for t in sandbox.tickets if t["messages"][0]["content"] == "The printer is down"]
    assert ticket["priority"] == 3
    assert sandbox.categories[ticket["category"]].name == "Billing"
    # The prompts name the choices and what Enter keeps; a bad answer is asked again.
    assert "Priority [Low / Medium / High] (Enter keeps Medium): " in asked
    assert asked.count("Priority [Low / Medium / High] (Enter keeps Medium): ") == 2
    category = [q for q in asked if q.startswith("Category [Billing / Technical")]
    assert len(category) == 2 and category[0].endswith("/ none] (Enter keeps none): ")
    assert "'urgent' is not a priority: choose one of Low, Medium, High." in flat
    assert "'b' fits Billing, Bug report: type more of it." in flat
    # The redrawn modal shows the choices by name, as Slack draws a select.
    assert "[ High ▾ ]" in flat and "[ Billing ▾ ]" in flat
    assert f"Created ticket {ticket['_id']}" in flat
