"""Block Kit builders: shapes, Slack limits, escaping, digest order and in-place updates."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.ticket_refs import ending_with, short_ref
from mava_bridge.mava.models import Category, Ticket
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks import threads
from mava_bridge.slack.blocks.home import HomeModel, home_view
from mava_bridge.slack.blocks.modals import confirm_reply_modal
from mava_bridge.slack.blocks.tickets import ticket_unfurl
from mava_bridge.slack.callback_ids import (
    ACTION_ASSIGN_ME,
    ACTION_NOTE,
    ACTION_OPEN_IN_MAVA,
    ACTION_REPLY,
    ACTION_RESOLVE,
    BLOCK_TEXT,
    BLOCK_TICKET,
    INPUT_TEXT,
    INPUT_TICKET,
    VIEW_NOTE,
    VIEW_REPLY,
    VIEW_SHORTCUT_REPLY_CONFIRM,
)
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.command.model import Usage
from mava_sandbox import block_kit_rules

NOW = datetime(2026, 3, 16, 14, 22, tzinfo=UTC)
ID = "6650a1b2c3d4e5f678901234"
NASTY = "<!channel> <@U123> <http://evil.example|your bank> &amp; <script>"


def link(ticket_id: str) -> str:
    return f"https://dashboard.mava.app/dashboard/ticket?id={ticket_id}"


def ticket_json(**fields: Any) -> dict[str, Any]:
    """The reference example of GET /api/tickets, with overrides."""
    data: dict[str, Any] = {
        "_id": ID,
        "createdAt": "2026-03-15T10:30:00.000Z",
        "updatedAt": "2026-03-16T14:22:00.000Z",
        "status": "Open",
        "priority": 2,
        "sourceType": "discord",
        "resolutionTime": None,
        "assignedTo": None,
        "category": {"_id": "6650c3d4e5f678901234567a", "name": "Billing"},
        "tags": [{"_id": "6650d4e5f678901234567890", "name": "VIP"}],
        "csat": None,
        "aiStatus": "resolved",
        "discordUsers": [{"discordAuthorId": "123456789", "name": "user#1234"}],
        "attributes": [],
        "customer": {
            "_id": "6650f6789012345678abcdef",
            "email": "user@example.com",
            "attributes": [],
        },
        "messages": [
            {
                "_id": "665112345678abcdef012345",
                "content": "I need help with my billing",
                "senderType": "customer",
                "senderName": "user#1234",
                "messageType": "ExternalMessage",
                "createdAt": "2026-03-15T10:30:00.000Z",
                "attachments": [],
            },
            {
                "_id": "665212345678abcdef012345",
                "content": "Let me look into that for you",
                "senderType": "agent",
                "senderName": None,
                "messageType": "ExternalMessage",
                "createdAt": "2026-03-15T11:00:00.000Z",
                "attachments": [],
            },
        ],
    }
    data.update(fields)
    return data


def make_ticket(**fields: Any) -> Ticket:
    return Ticket.model_validate(ticket_json(**fields))


def message_json(index: int, content: str, **fields: Any) -> dict[str, Any]:
    data = {
        "_id": f"{index:024x}",
        "content": content,
        "senderType": "customer",
        "senderName": NASTY,
        "messageType": "ExternalMessage",
        "createdAt": "2026-03-15T10:30:00.000Z",
        "attachments": [],
    }
    data.update(fields)
    return data


def nasty_ticket(size: int = 1) -> Ticket:
    """Hostile and oversize content everywhere a customer or Mava can put text."""
    long_text = (NASTY + " ") * 200 * size
    return make_ticket(
        status="Snoozed",  # a status Mava may add later
        priority=7,
        sourceType="sms",
        category={"_id": "c", "name": NASTY * 20},
        tags=[{"_id": f"t{i}", "name": NASTY} for i in range(100)],
        customer={"_id": "cu", "name": NASTY * 10, "email": "<!here>@x.com"},
        assignedTo={"_id": "a", "name": NASTY},
        messages=[
            message_json(i, long_text, messageType="InternalNote" if i % 3 else "ExternalMessage")
            for i in range(60)
        ]
        + [message_json(99, long_text, senderType="system")],
    )


# --- A validator of what Slack accepts ----------------------------------------------


def walk_texts(node: Any) -> Iterator[dict[str, Any]]:
    """Every text object in a block tree."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            yield node
        for value in node.values():
            yield from walk_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_texts(item)


RAW_CONTROL = re.compile(r"<(?![@!#]|https?://|mailto:)")


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int = t.MESSAGE_BLOCKS) -> None:
    assert 0 < len(blocks) <= max_blocks
    # What the Slack stub refuses (slack_sdk's models and Slack's limits), then ours.
    assert block_kit_rules.blocks_problems(blocks, max_blocks) == []
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids)), "block ids must be unique"
    for block in blocks:
        assert len(block.get("block_id", "")) <= t.BLOCK_ID
        kind = block["type"]
        if kind == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= t.SECTION_TEXT
            fields = block.get("fields", [])
            assert len(fields) <= t.SECTION_FIELDS
            assert all(len(f["text"]) <= t.SECTION_FIELD_TEXT for f in fields)
        elif kind == "header":
            assert len(block["text"]["text"]) <= t.HEADER_TEXT
        elif kind == "context":
            assert 0 < len(block["elements"]) <= t.CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= t.CONTEXT_TEXT for e in block["elements"])
        elif kind == "actions":
            assert 0 < len(block["elements"]) <= t.ACTIONS_ELEMENTS
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= t.BUTTON_TEXT
                assert len(element.get("value", "")) <= t.BUTTON_VALUE
                assert len(element["action_id"]) <= t.ACTION_ID
        elif kind == "input":
            assert len(block["label"]["text"]) <= t.INPUT_LABEL
            element = block["element"]
            assert len(element.get("initial_value", "")) <= t.PLAIN_TEXT_INPUT
        else:
            assert kind == "divider", kind
    for obj in walk_texts(blocks):
        assert obj["text"], "Slack rejects empty text"
        if obj["type"] == "mrkdwn":
            assert obj.get("verbatim") is True
            # Only our own links/mentions/dates may open a `<`; customer text is escaped.
            assert not RAW_CONTROL.search(obj["text"]), obj["text"][:200]
            assert "<!channel>" not in obj["text"] and "<!here>" not in obj["text"]
            assert "<@U123>" not in obj["text"] and "<http://evil" not in obj["text"]


def check_view(view: dict[str, Any]) -> None:
    assert view["type"] == "modal"
    assert block_kit_rules.view_refusal(view) is None
    assert len(view["title"]["text"]) <= t.MODAL_TITLE
    for key in ("submit", "close"):
        if key in view:
            assert 0 < len(view[key]["text"]) <= t.MODAL_BUTTON
    assert len(view.get("private_metadata", "")) <= t.PRIVATE_METADATA
    check_blocks(view["blocks"], t.MODAL_BLOCKS)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for block in blocks if block["type"] == "actions" for e in block["elements"]]


def all_text(blocks: Any) -> str:
    return "\n".join(obj["text"] for obj in walk_texts(blocks))


# --- Ephemerals and help -------------------------------------------------------------


def test_help_lists_every_subcommand() -> None:
    blocks = b.help_blocks()
    check_blocks(blocks)
    shown = all_text(blocks)
    for name in ("reply", "note", "status", "assign", "tickets", "identify", "unsubscribe"):
        assert f"/mava {name}" in shown
    assert "subscribe digest" in shown and "subscribe alerts" in shown
    assert len(b.help_text()) <= t.FALLBACK_TEXT and "/mava reply" in b.help_text()


def test_usage_error_success_are_escaped() -> None:
    usage = parse(f"status {ID} {NASTY}")
    assert isinstance(usage, Usage)
    for blocks in (
        b.usage_blocks(usage),
        b.usage_blocks(Usage("x", NASTY * 500)),
        b.error_blocks(NASTY * 500),
        b.success_blocks(NASTY),
    ):
        check_blocks(blocks)
    assert "&lt;!channel&gt;" in all_text(b.error_blocks(NASTY))
    for fallback in (b.error_text(NASTY * 500), b.usage_text(Usage(None, NASTY))):
        assert len(fallback) <= t.FALLBACK_TEXT and "<!channel>" not in fallback


# --- Ticket card and list ------------------------------------------------------------


def test_ticket_card_shape() -> None:
    ticket = make_ticket()
    blocks = b.ticket_card(ticket, ticket_url=link(ID), now=NOW)
    check_blocks(blocks)
    shown = all_text(blocks)
    assert "…901234" in shown and link(ID) in shown
    for expected in ("Open", "Medium", "Billing", "Unassigned", "Discord", "user@example.com"):
        assert expected in shown
    assert "VIP" in shown and "I need help with my billing" in shown
    assert "*Agent*" in shown and "*Customer* user#1234" in shown
    elements = buttons(blocks)
    assert [e["action_id"] for e in elements] == [
        ACTION_OPEN_IN_MAVA,
        ACTION_REPLY,
        ACTION_NOTE,
        ACTION_ASSIGN_ME,
        ACTION_RESOLVE,
    ]
    assert all(e["value"] == ID for e in elements)
    assert elements[0]["url"] == link(ID)
    assert b.ticket_card_text(ticket) == "Ticket …901234 from user@example.com"


def test_ticket_card_without_priority_or_customer() -> None:
    ticket = make_ticket(
        priority=None, customer=None, discordUsers=[], category=None, tags=[], messages=[]
    )
    shown = all_text(b.ticket_card(ticket, ticket_url=link(ID), now=NOW))
    assert "*Priority*\n:white_circle: none" in shown
    assert "*Customer*\nunknown" in shown and "*Category*\nnone" in shown
    assert "No messages yet." in shown


def test_ticket_card_marks_notes_and_dims_system_messages() -> None:
    ticket = make_ticket(
        messages=[
            message_json(1, "internal", messageType="InternalNote", senderType="agent"),
            message_json(2, "Status changed to Pending", senderType="system", senderName=None),
        ]
    )
    blocks = b.ticket_card(ticket, ticket_url=link(ID), now=NOW)
    note = next(x for x in blocks if "internal" in all_text([x]))
    assert note["type"] == "section" and ":lock: *Internal note*" in note["text"]["text"]
    system = next(x for x in blocks if "Status changed" in all_text([x]))
    assert system["type"] == "context"


def test_ticket_card_resolved_and_assigned_drop_buttons() -> None:
    ticket = make_ticket(status="Resolved", assignedTo={"_id": "a", "name": "Jane"})
    ids = [e["action_id"] for e in buttons(b.ticket_card(ticket, ticket_url="", now=NOW))]
    assert ids == [ACTION_REPLY, ACTION_NOTE]


def test_ticket_card_survives_hostile_and_huge_content() -> None:
    ticket = nasty_ticket(size=10)
    for count in (0, 5, 60, 1000):
        blocks = b.ticket_card(ticket, ticket_url=link(ID), now=NOW, max_messages=count)
        check_blocks(blocks)
    assert "earlier messages" in all_text(b.ticket_card(ticket, ticket_url=link(ID), now=NOW))
    assert "<!channel>" not in b.ticket_card_text(ticket)


def test_ticket_list() -> None:
    tickets = [make_ticket(_id=f"{i:024x}", priority=(i % 3) + 1) for i in range(25)]
    blocks = b.ticket_list(tickets, total=40, description="open tickets", link=link, now=NOW)
    check_blocks(blocks)
    shown = all_text(blocks)
    assert shown.startswith("*40 tickets* (showing first 20) — open tickets")
    assert shown.count("https://dashboard.mava.app") == 20
    assert "I need help with my billing" in shown
    assert b.ticket_list_text(40, "open tickets") == "40 tickets: open tickets"


def test_ticket_list_empty_and_hostile() -> None:
    assert all_text(b.ticket_list([], total=0, description="<x>", link=link, now=NOW)) == (
        "No tickets: &lt;x&gt;."
    )
    many = [nasty_ticket() for _ in range(3)]
    many = [m.model_copy(update={"id": f"{i:024x}"}) for i, m in enumerate(many * 40)]
    for limit in (1, 20, 100, 1000):
        blocks = b.ticket_list(
            many, total=len(many), description=NASTY * 100, link=link, now=NOW, limit=limit
        )
        check_blocks(blocks)


def test_categories_list() -> None:
    categories = [Category.model_validate({"_id": str(i), "name": f"Cat {i}"}) for i in (2, 1)]
    shown = all_text(b.categories_list(categories))
    assert "*2 categories in Mava*" in shown and shown.index("Cat 1") < shown.index("Cat 2")
    check_blocks(b.categories_list([]))
    huge = [Category.model_validate({"_id": str(i), "name": NASTY * 5}) for i in range(5000)]
    check_blocks(b.categories_list(huge))


def test_subscriptions_list_escapes_names_and_stays_within_limits() -> None:
    """Category names and outcomes come from Mava and past deliveries: shown as typed,
    never a mention (verbatim), and a channel with many subscriptions stays one section."""
    hostile = Filters(categories=(NASTY, "@channel #general"))
    many = [
        ActiveSubscription(f"sub:{i}", i, "C1", "alerts", hostile, last_outcome=NASTY)
        for i in range(200)
    ]
    for views in ([], many[:1], many):
        check_blocks(b.subscriptions_list(views, [(NASTY,)] * len(views), NASTY))
    shown = all_text(b.subscriptions_list(many[:1], [()], None))
    assert "&lt;!channel&gt;" in shown and "@channel #general" in shown


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=3000),
    content=st.text(max_size=5000),
    tags=st.lists(st.text(min_size=0, max_size=300), max_size=30),
)
def test_any_ticket_text_stays_within_limits(name: str, content: str, tags: list[str]) -> None:
    ticket = make_ticket(
        customer={"_id": "c", "name": name, "email": name},
        category={"_id": "k", "name": name},
        tags=[{"_id": str(i), "name": tag} for i, tag in enumerate(tags)],
        messages=[message_json(i, content, senderName=name) for i in range(8)],
    )
    check_blocks(b.ticket_card(ticket, ticket_url=link(ID), now=NOW))
    check_blocks(b.digest_item(ticket, link=link, now=NOW))
    check_blocks(b.alert_message(ticket, link=link, now=NOW, reason=name))
    check_view(
        b.compose_modal(
            callback_id=VIEW_REPLY,
            title=name,
            ticket=ticket,
            ticket_id=ID,
            initial_text=content,
            ticket_editable=True,
            private_metadata="{}",
            submit_label=name,
            context_lines=[name] * 20,
        )
    )
    check_view(b.confirm_reply_modal(ticket=ticket, text=content, private_metadata="{}"))


# --- Modals --------------------------------------------------------------------------


def test_a_modal_with_an_input_always_has_a_submit_button() -> None:
    """Slack refuses a modal holding an input without submit (#18: found by the stub's
    rules under hypothesis, an empty label dropped the button)."""
    for label in ("", "   "):
        view = b.compose_modal(
            callback_id=VIEW_REPLY,
            title="Reply",
            ticket=None,
            ticket_id=ID,
            ticket_editable=True,
            private_metadata="{}",
            submit_label=label,
        )
        check_view(view)
        assert view["submit"]["text"] in ("Submit", "-")


def test_compose_modal_editable() -> None:
    view = b.compose_modal(
        callback_id=VIEW_REPLY,
        title="Reply to the customer right now",
        ticket=make_ticket(),
        ticket_id=ID,
        initial_text="x" * 5000,
        ticket_editable=True,
        private_metadata='{"channel": "C1"}',
        submit_label="Send",
        context_lines=["Sent as the team <!channel>"],
        now=NOW,
    )
    check_view(view)
    assert view["callback_id"] == VIEW_REPLY and view["private_metadata"] == '{"channel": "C1"}'
    inputs = {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}
    assert inputs[BLOCK_TICKET]["element"]["action_id"] == INPUT_TICKET
    assert inputs[BLOCK_TICKET]["element"]["initial_value"] == ID
    text_input = inputs[BLOCK_TEXT]["element"]
    assert text_input["action_id"] == INPUT_TEXT and text_input["multiline"] is True
    assert len(text_input["initial_value"]) == 3000
    assert inputs[BLOCK_TEXT]["label"]["text"] == "Message to the customer"
    shown = all_text(view["blocks"])
    assert "user@example.com" in shown and "Let me look into that" in shown
    assert "&lt;!channel&gt;" in shown


def test_compose_modal_fixed_ticket_for_a_note() -> None:
    view = b.compose_modal(
        callback_id=VIEW_NOTE,
        title="Add note",
        ticket=None,
        ticket_id=ID,
        ticket_editable=False,
        private_metadata=ID,
        submit_label="Add note",
    )
    check_view(view)
    kinds = [block.get("block_id") for block in view["blocks"] if block["type"] == "input"]
    assert kinds == [BLOCK_TEXT]
    assert "initial_value" not in view["blocks"][-1]["element"]
    assert "Private note" in view["blocks"][-1]["label"]["text"]
    with pytest.raises(ValueError, match="private_metadata"):
        b.compose_modal(
            callback_id=VIEW_NOTE,
            title="x",
            ticket=None,
            ticket_id=None,
            ticket_editable=True,
            private_metadata="x" * 3001,
            submit_label="x",
        )


def test_confirm_reply_shows_the_text_verbatim() -> None:
    text = "Hi *there* <@U1> &amp; :smile:\n\n" + "line\n" * 2000
    view = b.confirm_reply_modal(ticket=make_ticket(), text=text, private_metadata="m")
    check_view(view)
    assert view["callback_id"] == VIEW_SHORTCUT_REPLY_CONFIRM
    assert view["submit"]["text"] == "Send to customer"
    pieces = [
        block["text"]
        for block in view["blocks"]
        if block["type"] == "section" and block["text"]["type"] == "plain_text"
    ]
    assert all(piece["emoji"] is False for piece in pieces)
    assert len(pieces) > 1  # too long for one section: split at line breaks
    assert "\n".join(piece["text"] for piece in pieces) == text
    assert "user@example.com" in all_text(view["blocks"])


def test_result_modal() -> None:
    view = b.result_modal("Sent to the customer!!!!!!", NASTY)
    check_view(view)
    assert "submit" not in view and "&lt;!channel&gt;" in all_text(view["blocks"])


# --- Digest and alerts -------------------------------------------------------------


def digest_tickets() -> list[Ticket]:
    day = timedelta(days=1)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    specs = [(3, 5), (None, 1), (1, 2), (3, 1), (2, 4), (2, 3), (7, 6), (1, 0)]
    return [
        make_ticket(_id=f"{i:024x}", priority=p, createdAt=(base + age * day).isoformat())
        for i, (p, age) in enumerate(specs)
    ]


def item_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        x["block_id"].removeprefix("ticket:")
        for x in blocks
        if x.get("block_id", "").startswith("ticket:")
    ]


def test_digest_item_shape() -> None:
    ticket = make_ticket()
    blocks = b.digest_item(ticket, link=link, now=NOW)
    assert [x["block_id"] for x in blocks] == [f"ticket:{ID}", f"actions:{ID}"]
    check_blocks(blocks)
    text = blocks[0]["text"]["text"]
    assert "Medium" in text and "Open" in text and "Discord" in text and "Billing" in text
    assert "1 d" in text and f"<{link(ID)}|Open in Mava>" in text
    assert "> I need help with my billing" in text
    assert [e["action_id"] for e in buttons(blocks)] == [
        ACTION_REPLY,
        ACTION_NOTE,
        ACTION_ASSIGN_ME,
        ACTION_RESOLVE,
    ]


def test_digest_item_state_line_drops_stale_buttons() -> None:
    resolved = make_ticket(status="Resolved")
    blocks = b.digest_item(resolved, link=link, now=NOW, state_line="Resolved by <@U123ABC>")
    assert [x["block_id"] for x in blocks] == [f"ticket:{ID}", f"state:{ID}", f"actions:{ID}"]
    assert blocks[1]["elements"][0]["text"] == "Resolved by <@U123ABC>"
    assert [e["action_id"] for e in buttons(blocks)] == [ACTION_REPLY, ACTION_NOTE]


def test_digest_excerpt_is_short_and_escaped() -> None:
    ticket = make_ticket(messages=[message_json(1, NASTY * 50)])
    text = b.digest_item(ticket, link=link, now=NOW)[0]["text"]["text"]
    quoted = text.split("\n", 2)[2]
    assert len(quoted) <= 220 and quoted.endswith("…") and "&lt;!channel&gt;" in quoted


def test_digest_order_and_single_message() -> None:
    tickets = digest_tickets()
    messages = b.digest_messages(tickets + tickets[:2], link=link, now=NOW, description="x")
    assert len(messages) == 1
    check_blocks(messages[0])
    # High (oldest first), Medium, Low, then no or unknown priority; duplicates once.
    expected = [3, 0, 5, 4, 7, 2, 1, 6]
    assert item_ids(messages[0]) == [f"{i:024x}" for i in expected]
    labels = [x["elements"][0]["text"] for x in messages[0] if x["type"] == "context"]
    assert [label for label in labels if "priority*" in label] == [
        ":red_circle: *High priority* (2)",
        ":large_orange_circle: *Medium priority* (2)",
        ":large_blue_circle: *Low priority* (2)",
        ":white_circle: *No priority* (2)",
    ]
    assert messages[0][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Mava digest · Mon 16 Mar", "emoji": True},
    }


@pytest.mark.parametrize(
    ("count", "per_message", "expected_messages"),
    [(1, 15, 1), (15, 15, 1), (16, 15, 2), (45, 15, 3), (5, 0, 5), (200, 30, None)],
)
def test_digest_splits_into_thread_chunks(
    count: int, per_message: int, expected_messages: int | None
) -> None:
    tickets = [
        make_ticket(_id=f"{i:024x}", priority=(i % 4) or None, messages=[]) for i in range(count)
    ]
    messages = b.digest_messages(
        tickets,
        link=link,
        now=NOW,
        description="unassigned tickets",
        max_items_per_message=per_message,
        tz_name="Europe/Paris",
    )
    seen: list[str] = []
    for message in messages:
        check_blocks(message)
        assert len(item_ids(message)) <= max(per_message, 1)
        seen.extend(item_ids(message))
    assert sorted(seen) == sorted(tk.id for tk in tickets)
    if expected_messages is not None:
        assert len(messages) == expected_messages
    if len(messages) > 1:
        rest = count - len(item_ids(messages[0]))
        assert all_text(messages[0][-1:]) == f":thread: {rest} more in the thread."
    assert "15:22 Europe/Paris" in all_text(messages[0])


def test_empty_digest_and_bad_time_zone() -> None:
    messages = b.digest_messages([], link=link, now=NOW, description="<b>", tz_name="Mars/Base")
    assert len(messages) == 1
    check_blocks(messages[0])
    assert "&lt;b&gt;" in all_text(messages[0])
    header = b.digest_header(3, NOW, "No/Such_Zone", "tickets")
    assert "UTC" in all_text(header)
    assert b.digest_text(1, "open") == "Mava digest: 1 ticket, open"


def test_alert_message() -> None:
    ticket = make_ticket(priority=3)
    blocks = b.alert_message(ticket, link=link, now=NOW, reason="New high-priority ticket")
    check_blocks(blocks)
    assert blocks[0]["text"]["text"] == ":rotating_light: *New high-priority ticket*"
    assert blocks[1]["block_id"] == f"ticket:{ID}"
    assert {e["value"] for e in buttons(blocks)} == {ID}
    fallback = b.alert_text(nasty_ticket(), "New unassigned ticket")
    assert len(fallback) <= t.FALLBACK_TEXT and "<!channel>" not in fallback


def test_replace_item_swaps_one_item_only() -> None:
    messages = b.digest_messages(digest_tickets(), link=link, now=NOW, description="x")
    original = messages[0]
    before = copy.deepcopy(original)
    target = f"{2:024x}"
    resolved = make_ticket(_id=target, status="Resolved", priority=1)
    new_item = b.digest_item(resolved, link=link, now=NOW, state_line="Resolved by <@U1>")
    updated = b.replace_item(original, target, new_item)
    assert original == before  # the input is not mutated
    start = next(i for i, x in enumerate(original) if x.get("block_id") == f"ticket:{target}")
    assert updated[start : start + 3] == new_item
    others_before = [x for x in original if not x.get("block_id", "").endswith(target)]
    others_after = [x for x in updated if not x.get("block_id", "").endswith(target)]
    assert len(others_before) == len(others_after)
    assert all(x is y for x, y in zip(others_before, others_after, strict=True))
    # Replacing again (now with a state block) swaps all three blocks back out.
    again = b.replace_item(
        updated, target, b.digest_item(make_ticket(_id=target), link=link, now=NOW)
    )
    assert len(again) == len(original)
    assert b.replace_item(original, "f" * 24, new_item) == original


def test_replace_item_leaves_a_card_that_holds_no_whole_item() -> None:
    """A followed card (its follow line between section and buttons) and a ticket card
    hold no whole item: swapping part of one would repeat a block id (#18)."""
    ticket = make_ticket()
    followed = threads.card(ticket, link=link, now=NOW)
    card = b.ticket_card(ticket, ticket_url=link(ID), now=NOW)
    item = b.digest_item(ticket, link=link, now=NOW, state_line="Resolved by <@U1>")
    for blocks in (followed, card):
        assert b.item_span(blocks, ID) is None
        assert b.replace_item(blocks, ID, item) == blocks
    alert = b.alert_message(ticket, link=link, now=NOW, reason="New ticket")
    assert b.item_span(alert, ID) == (1, 3)
    swapped = b.replace_item(alert, ID, item)
    assert swapped == [alert[0], *item]
    assert b.item_span(swapped, ID) == (1, 4)  # the state line is part of the item


def test_a_capped_digest_draws_only_the_tickets_it_posts() -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    tickets = [
        make_ticket(
            _id=f"{i:024x}", priority=2, createdAt=(base + i * timedelta(minutes=1)).isoformat()
        )
        for i in range(1000)
    ]
    drawn: list[str] = []

    def counting_link(ticket_id: str) -> str:
        drawn.append(ticket_id)
        return link(ticket_id)

    whole = b.digest_messages(tickets, link=link, now=NOW, description="x")
    capped = b.digest_messages(
        tickets, link=counting_link, now=NOW, description="x", max_messages=3
    )
    assert capped == whole[:3]  # the same first messages, packed the same way
    listed = sum(len(b.listed_tickets(message)) for message in capped)
    # One more is drawn to learn it does not fit; the 950-odd after it never are.
    assert listed <= len(set(drawn)) <= listed + 1 < 60


def test_every_surface_shows_a_ticket_by_one_short_id_form() -> None:
    ticket = make_ticket(assignedTo={"_id": "a1", "name": "Omar"})
    now = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    shown = short_ref(ID)  # "…901234"
    surfaces = {
        "card": b.ticket_card(ticket, ticket_url=link(ID), now=now),
        "list": b.ticket_list([ticket], total=1, description="open", link=link, now=now),
        "digest, alert, DM and reminder item": b.digest_item(ticket, link=link, now=now),
        "Home": home_view(HomeModel(mine=[ticket]), link=link, now=now, dashboard="https://d"),
        "unfurl": ticket_unfurl(ticket, link(ID), now),
        "confirm": confirm_reply_modal(ticket=ticket, text="hi", private_metadata="{}"),
    }
    for where, blocks in surfaces.items():
        text = all_text(blocks)
        assert shown in text, where
        assert f"#{ID[-6:]}" not in text, where  # no second form
    # What a person copies from any of them reads back to this ticket.
    assert ending_with(shown, [ID, "6650a1b2c3d4e5f678000000"]) == [ID]
    assert b.ticket_card_text(ticket) == f"Ticket {shown} from user@example.com"
