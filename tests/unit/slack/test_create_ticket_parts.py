"""The pure parts of creating a ticket from Slack: `/mava create` parsing, the id in
POST /api/ticket's answer (whichever shape Mava gives), the modal and the request body."""

from __future__ import annotations

from typing import Any

import pytest

from mava_bridge.mava.models import Category, NewCustomer, NewMessage, NewTicket, Priority
from mava_bridge.services.customer_actions import created_ticket_id
from mava_bridge.slack.blocks.modals import create_modal, first_message
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.command.model import Create, Usage

TICKET = "6650a1b2c3d4e5f678901234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("create", Create(None, "")),
        ("create ann@example.com", Create("ann@example.com", "")),
        (
            "create <mailto:ann@example.com|ann@example.com> Invoice &amp; refund",
            Create("ann@example.com", "Invoice & refund"),
        ),
        ("create The printer is down", Create(None, "The printer is down")),
    ],
)
def test_create_command(text: str, expected: Create) -> None:
    assert parse(text) == expected


def test_create_with_a_broken_email_gets_usage() -> None:
    found = parse("create ann@example Help")
    assert isinstance(found, Usage) and "does not look like an email" in found.message
    assert "/mava create [EMAIL] [TEXT]" in found.message


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"ticket": {"_id": TICKET, "status": "Open"}}, TICKET),
        ({"ticket": {"id": TICKET}}, TICKET),
        ({"_id": TICKET, "status": "Open"}, TICKET),
        ({"ticketId": TICKET, "message": "Ticket created"}, TICKET),
        ({"ticket": TICKET}, TICKET),
        ({"message": "Ticket created"}, None),
        ({"ticket": {"_id": ""}}, None),
        ([TICKET], None),
    ],
)
def test_created_ticket_id(answer: Any, expected: str | None) -> None:
    assert created_ticket_id(answer) == expected


def test_first_message_names_the_slack_message() -> None:
    link = "https://acme.slack.com/archives/C1/p1"
    assert first_message("Help", link) == f"Help\n\nFrom Slack: {link}"
    assert first_message("", link) == f"From Slack: {link}"
    assert first_message("Help", None) == "Help"


def test_the_modal_offers_priorities_and_active_categories() -> None:
    categories = [
        Category.model_validate({"_id": f"{i:024x}", "name": f"C{i}"}) for i in range(120)
    ]
    view = create_modal(
        email="ann@example.com",
        text="x" * 4000,
        categories=categories,
        private_metadata='{"channel":"C1"}',
        where="Followed <here> & now",
    )
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert view["callback_id"] == "create_ticket_modal"
    assert blocks["customer_email"]["element"]["initial_value"] == "ann@example.com"
    assert len(blocks["text"]["element"]["initial_value"]) == 3000  # Slack's input limit
    priority = blocks["priority"]["element"]
    assert [o["value"] for o in priority["options"]] == ["1", "2", "3"]
    assert priority["initial_option"]["value"] == "2"
    assert len(blocks["category"]["element"]["options"]) == 100  # Slack's option limit
    assert blocks["category"]["optional"] is True
    assert "&lt;here&gt; &amp; now" in view["blocks"][-1]["elements"][0]["text"]


def test_no_category_input_without_categories() -> None:
    view = create_modal(email=None, text="", categories=[], private_metadata="", where="x")
    assert "category" not in {b.get("block_id") for b in view["blocks"]}
    assert "initial_value" not in view["blocks"][0]["element"]


def test_the_request_body_is_what_mava_documents() -> None:
    new = NewTicket(
        customer=NewCustomer(email="ann@example.com"),
        priority=Priority.HIGH,
        category=TICKET,
        message=NewMessage(content="Help"),
        silent=True,
    )
    assert new.body() == {
        "customer": {"email": "ann@example.com"},
        "priority": 3,
        "category": TICKET,
        "message": {"content": "Help"},
        "silent": True,
    }
    assert "silent" not in NewTicket(customer=NewCustomer(email="a@b.co")).body()
