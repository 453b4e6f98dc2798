"""The demo's live-ticket-thread lines: `customer TICKET TEXT` and `dashboard TICKET
key=value ...` change Mava as the customer and an agent would, `thread TICKET` prints the
Slack thread of the ticket's card from the stub."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from rich.console import Console
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.demo.session import open_demo, run_demo
from mava_sandbox.demo.threads import find_cards, find_ticket, parse_changes
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN

SUPPORT = "C0SUPPORT"


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        file=out, width=100, force_terminal=False, color_system=None, highlight=False, markup=False
    )
    return console, out


@pytest.fixture(scope="module")
def sandbox() -> MavaSandbox:
    return MavaSandbox(seed=7, tickets=30)


def test_parse_changes_reads_names_prefixes_quotes_and_none(sandbox: MavaSandbox) -> None:
    changes = parse_changes(
        sandbox, "status=resolved priority=High assignee=@omar category=Bug report"
    )
    assert changes == {
        "status": "Resolved",
        "priority": 3,
        "assignee": "Omar Haddad",
        "category": "Bug report",
    }
    assert parse_changes(sandbox, "assignee='Li Wei' priority=1") == {
        "assignee": "Li Wei",
        "priority": 1,
    }
    assert parse_changes(sandbox, "assignee=jane@example.com category=feat") == {
        "assignee": "Jane Smith",
        "category": "Feature request",
    }
    assert parse_changes(sandbox, "assignee=none category=none priority=none") == {
        "assignee": None,
        "category": None,
        "priority": None,
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Say e.g."),
        ("Resolved", "Say e.g."),
        ("colour=red", "not colour"),
        ("status=Closed", "status is one of"),
        ("priority=4", "priority is 1-3"),
        ("assignee=Zed", "No single agent 'Zed'"),
        ("category=Legacy", "No single category"),  # archived: the dashboard cannot pick it
        ("status=", "needs a value"),
    ],
)
def test_parse_changes_says_what_is_wrong(sandbox: MavaSandbox, text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_changes(sandbox, text)


def test_find_ticket_by_id_or_tail(sandbox: MavaSandbox) -> None:
    ticket_id = sandbox.tickets[-1]["_id"]
    assert find_ticket(sandbox, ticket_id) == ticket_id
    assert find_ticket(sandbox, "…" + ticket_id[-8:]) == ticket_id
    with pytest.raises(ValueError, match="not a ticket id"):
        find_ticket(sandbox, "hello")
    with pytest.raises(ValueError, match="No ticket"):
        find_ticket(sandbox, "0" * 24)


SCRIPT = """\
customer $T1 Any news? <b>bold</b> & <!channel>
dashboard $T1 status=Pending priority=High assignee=Li category="Bug report"
dashboard $T1 status=Closed
customer $T1
dashboard $T2 status=Resolved
"""


def test_customer_and_dashboard_lines_change_mava_and_show_it() -> None:
    console, out = plain_console()
    result = asyncio.run(run_demo(SCRIPT.splitlines(), console, seed=7, tickets=40, digest=False))
    sandbox = result.sandbox
    t1, t2 = result.samples.open_tickets[:2]
    ticket = sandbox.get(t1)
    assert ticket is not None
    customer = [m for m in ticket["messages"] if m["senderType"] == "customer"]
    assert customer[-1]["content"] == "Any news? <b>bold</b> & <!channel>"
    assert ticket["status"] == "Pending" and ticket["priority"] == 3
    assert sandbox.agents[ticket["assignedTo"]].name == "Li Wei"
    assert sandbox.categories[ticket["category"]].name == "Bug report"
    resolved = sandbox.get(t2)
    assert resolved is not None and resolved["status"] == "Resolved"
    assert resolved["resolutionTime"] is not None

    text = out.getvalue()
    assert "The customer writes on ticket" in text
    assert "by customer: Any news? <b>bold</b> & <!channel>" in text
    assert "status: Open → Pending" in text or "status: Waiting → Pending" in text
    assert "assignee:" in text and "→ Li Wei" in text
    assert "status is one of Open, Pending, Waiting, Resolved." in text
    assert "Say `customer TICKET TEXT`" in text
    # No card follows these tickets: the demo says how to get one.
    assert f"No Slack card follows ticket {t1}" in text


def test_thread_prints_the_cards_thread_not_a_digest() -> None:
    async def scenario() -> str:
        console, out = plain_console()
        async with open_demo(console, seed=7, tickets=40) as session:
            await session.start(digest=True)  # a digest names many tickets: not a card
            t1 = session.samples.open_tickets[0]
            await session.run_line("thread $T1")
            assert find_cards(session.stub, t1) == []

            client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=session.stub.api_url)
            card: Any = await client.chat_postMessage(
                channel=SUPPORT, text=f"Ticket {t1} · Open · Medium"
            )
            root = card["ts"]
            session.stub.user_message(SUPPORT, "U0SAM", "I'll call them back", thread_ts=root)
            await client.chat_postMessage(
                channel=SUPPORT, thread_ts=root, text="*Ana* (customer)\nStill broken"
            )
            assert [c[1]["ts"] for c in find_cards(session.stub, t1)] == [root]
            await session.run_line("thread …" + t1[-6:])
            return out.getvalue()

    text = asyncio.run(scenario())
    _digest, refused, after = text.partition("No card for ticket")
    assert refused
    assert "#support · the thread of ticket" in after
    assert "2 replies" in after
    assert after.index("I'll call them back") < after.index("Still broken")
    assert "Ticket " in after and "Sam" in after


SAY = """\
say $T1 Before any card
/mava follow $T1
say $T1 Refund sent today & ref R-2291.
say …{tail} Second note, by its short id
say $T1
help
"""


def test_say_writes_in_the_followed_thread_and_the_note_lands_in_mava() -> None:
    console, out = plain_console()

    async def scenario() -> tuple[MavaSandbox, Any, str, list[Any]]:
        async with open_demo(console, seed=7, tickets=40) as session:
            t1 = session.samples.open_tickets[0]
            for line in SAY.format(tail=t1[-6:]).splitlines():
                await session.run_line(line)
            events = [c for c in session.stub.calls() if c.method == "reactions.add"]
            return session.sandbox, session.stub, t1, events

    sandbox, stub, t1, reactions = asyncio.run(scenario())
    text = " ".join(out.getvalue().split())
    notes = [
        m["content"]
        for m in (sandbox.get(t1) or {})["messages"]
        if m["messageType"] == "InternalNote" and m["senderType"] != "system"
    ]
    # Before /mava follow there is no thread: nothing is sent, and the demo says why.
    assert f"No card of ticket {t1} has a thread to write in: /mava follow {t1}" in text
    # Both lines became private notes, once each, through the bot's message-event path.
    assert notes == [
        "Note from Jane via Slack: Refund sent today & ref R-2291.",
        "Note from Jane via Slack: Second note, by its short id",
    ]
    assert len(reactions) == 2
    [(channel, card)] = find_cards(stub, t1)
    replies = [m["text"] for m in stub.thread(channel, card["ts"]) if m.get("user") == "U0JANE"]
    assert replies == ["Refund sent today &amp; ref R-2291.", "Second note, by its short id"]
    assert "@Jane in the thread of ticket" in text
    assert "InternalNote (agents only) by agent: Note from Jane via Slack: Refund sent" in text
    assert "Say `say TICKET TEXT`" in text  # no text: the usage, nothing sent
    assert "say TICKET TEXT" in text  # listed in help
