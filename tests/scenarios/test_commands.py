"""`/mava` end to end: signed slash commands in, response_url posts, modals, Mava state out."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from running import free_port, wait_for

from mava_bridge.slack.command.help import HELP_ENTRIES
from mava_bridge.slack.inflight import MAX_RUNNING
from mava_sandbox.slack_stub import RESPONSE_URL
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    MISSING_TICKET,
    OMAR,
    SAM,
    ack_json,
    audit_rows,
    flat,
    idle,
    mava_ticket,
    messages,
    new_ticket,
    run,
    scenario_stack,
    send,
    shown,
    view_update,
    views_opened,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPEN_STATUSES = ("Open", "Pending", "Waiting")


# --- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "help", "HELP"])
async def test_help_lists_every_subcommand(stack: Stack, text: str) -> None:
    body = await run(stack, text)
    shown_text = shown(body)
    for entry in HELP_ENTRIES:
        assert entry.syntax.replace("&", "&amp;").replace("<", "&lt;") in shown_text
    assert "/mava show TICKET" in body["text"]
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert stack.mava.sandbox.requests == []  # help needs nothing from Mava


async def test_answers_share_the_bots_connections_to_slack(stack: Stack) -> None:
    """The bot answers over its own connection pool, not a new connection (in production,
    a TLS handshake with Slack) per answer as Bolt's `respond` would."""
    for text in ("help", "help", "help"):
        await run(stack, text)
    ports = [call.client_port for call in stack.slack.calls(RESPONSE_URL)[-3:]]
    assert None not in ports and len(set(ports)) == 1, ports


async def test_answers_slack_holds_leave_the_web_api_its_connections() -> None:
    """Answers (hooks.slack.com) and Web API calls (slack.com) share that pool: a hundred
    answers Slack is slow to take must not make posts to channels wait behind them."""
    held = 6.0  # how long Slack holds each answer
    async with scenario_stack() as stack:  # its own pool: no idle connections to reuse
        stack.slack.slow_down(RESPONSE_URL, held)
        for _ in range(MAX_RUNNING):
            # Another host name for the stub, as Slack's answers come from another host.
            url = stack.slack.response_url(channel=CHANNEL).replace("127.0.0.1", "localhost")
            sent = await stack.sender.command(
                "help", user_id=JANE, channel_id=CHANNEL, response_url=url
            )
            assert sent.status_code == 200
        await wait_for(lambda: stack.slack.in_flight(RESPONSE_URL) == MAX_RUNNING, 30, "held")

        async def post(i: int) -> float:
            started = time.monotonic()
            posted = await stack.runtime.slack.chat_postMessage(channel=CHANNEL, text=f"{i}")
            assert posted["ok"]
            return time.monotonic() - started

        took = await asyncio.gather(*(post(i) for i in range(20)))
        assert max(took) < held / 2, f"posts waited up to {max(took):.1f} s"
        await idle(stack)  # the held answers end
        assert len(stack.slack.calls(RESPONSE_URL)) == MAX_RUNNING


# --- reply and note -----------------------------------------------------------------------


async def test_reply_sends_the_customer_a_message(stack: Stack) -> None:
    ticket = new_ticket(stack)
    # Slack escapes &, < and > in command text; the customer must get the characters.
    body = await run(stack, f"reply {ticket} Fish &amp; chips &lt;3, thanks for waiting!")

    assert "Sent to the customer" in body["text"] and ticket in body["text"]
    assert body["replace_original"] is False
    sent = messages(stack, ticket, "ExternalMessage")
    assert [m["content"] for m in sent][-1] == "Fish & chips <3, thanks for waiting!"
    assert sent[-1]["senderType"] == "agent"
    assert messages(stack, ticket, "InternalNote") == []

    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.slack_user_name, row.channel_id) == (JANE, "Jane", CHANNEL)
    assert (row.action, row.outcome) == ("reply", "ok")
    assert row.summary == "Fish & chips <3, thanks for waiting!"


async def test_note_is_internal_and_attributed(stack: Stack) -> None:
    ticket = new_ticket(stack)
    body = await run(stack, f"note {ticket} Customer is on the Gold plan.")

    assert "Private note added" in body["text"]
    [note] = messages(stack, ticket, "InternalNote")
    assert note["content"] == "Note from Jane via Slack: Customer is on the Gold plan."
    assert len(messages(stack, ticket, "ExternalMessage")) == 1  # only the customer's opener
    [row] = await audit_rows(stack, ticket)
    assert (row.action, row.outcome, row.ticket_id) == ("note", "ok", ticket)


async def test_reply_without_text_opens_a_modal_that_sends(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["My invoice is wrong"])
    sent = await send(stack, f"reply {ticket}")

    opened = await _first_view(stack)
    view = await view_update(stack, opened["id"])
    assert view["callback_id"] == "reply_modal"
    assert ticket in view["private_metadata"]
    assert "My invoice is wrong" in shown(view)  # the ticket's last messages
    assert stack.slack.responses(sent.target) == []  # a modal, not a message

    stored = stack.slack.view(opened["id"])
    assert stored is not None
    ack = ack_json(
        await stack.sender.submit_view("reply_modal", {"text": "Fixed it!"}, view=stored)
    )
    assert ack["response_action"] == "update"
    done = await view_update(stack, opened["id"], 2)
    assert "Sent to the customer" in shown(done)
    assert messages(stack, ticket, "ExternalMessage")[-1]["content"] == "Fixed it!"


async def test_note_modal_refuses_empty_text_inline(stack: Stack) -> None:
    ticket = new_ticket(stack)
    await send(stack, f"note {ticket}")
    opened = await _first_view(stack)
    view = await view_update(stack, opened["id"])
    assert view["callback_id"] == "note_modal"
    stored = stack.slack.view(opened["id"])
    assert stored is not None

    ack = ack_json(await stack.sender.submit_view("note_modal", {"text": "   "}, view=stored))
    assert ack == {"response_action": "errors", "errors": {"text": "Write the message first."}}
    assert messages(stack, ticket, "InternalNote") == []

    ack = ack_json(await stack.sender.submit_view("note_modal", {"text": "VIP"}, view=stored))
    assert ack["response_action"] == "update"
    await view_update(stack, opened["id"], 2)
    [note] = messages(stack, ticket, "InternalNote")
    assert note["content"] == "Note from Jane via Slack: VIP"


async def test_compose_modal_for_an_unknown_ticket_says_so(stack: Stack) -> None:
    await send(stack, f"reply {MISSING_TICKET}")
    opened = await _first_view(stack)
    view = await view_update(stack, opened["id"])
    assert f"Ticket {MISSING_TICKET} was not found in Mava" in flat(shown(view))
    assert "submit" not in view or view.get("submit") is None


async def _first_view(stack: Stack) -> dict[str, Any]:
    await stack.slack.wait_for("views.open")
    return views_opened(stack)[0]


# --- status, priority, category -----------------------------------------------------------


async def test_status_resolve_close_and_reopen(stack: Stack) -> None:
    ticket = new_ticket(stack)
    steps = [
        ("status {} pending", "Pending"),
        ("resolve {}", "Resolved"),
        ("reopen {}", "Open"),
        ("close {}", "Resolved"),
        ("status {} Waiting", "Waiting"),
    ]
    for text, expected in steps:
        body = await run(stack, text.format(ticket))
        assert f"is now {expected}" in body["text"], (text, body["text"])
        assert mava_ticket(stack, ticket)["status"] == expected
    rows = await audit_rows(stack, ticket)
    assert [r.summary for r in rows] == [f"status -> {s}" for _, s in steps]
    assert {r.outcome for r in rows} == {"ok"}


@pytest.mark.parametrize(
    ("text", "status", "sentence"),
    [
        ("resolve {}", "Resolved", "is already resolved"),
        ("close {}", "Resolved", "is already resolved"),
        ("reopen {}", "Open", "is already open"),
        ("status {} pending", "Pending", "is already pending"),
    ],
)
async def test_a_status_it_already_has_is_said_and_nothing_is_written(
    stack: Stack, text: str, status: str, sentence: str
) -> None:
    ticket = new_ticket(stack)
    if status != "Open":  # an agent set it in the dashboard meanwhile
        stack.mava.sandbox.dashboard(ticket, status=status)
    body = await run(stack, text.format(ticket))
    said = flat(shown(body))
    assert f"Ticket {ticket} {sentence}; nothing was changed." in said
    assert "is now" not in said and ":white_check_mark:" not in said
    assert writes(stack, "/api/ticket") == []
    assert mava_ticket(stack, ticket)["status"] == status
    [row] = await audit_rows(stack, ticket)
    assert (row.action, row.outcome) == ("status", "unchanged")


@pytest.mark.parametrize(
    ("word", "level", "label"), [("high", 3, "High"), ("1", 1, "Low"), ("Medium", 2, "Medium")]
)
async def test_priority_by_word_and_number(stack: Stack, word: str, level: int, label: str) -> None:
    ticket = new_ticket(stack, priority=None if level != 2 else 1)
    body = await run(stack, f"priority {ticket} {word}")
    assert f"now has {label} priority" in body["text"]
    assert mava_ticket(stack, ticket)["priority"] == level


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("technical", "Technical"), ("Bug report", "Bug report"), ('"feat"', "Feature request")],
)
async def test_category_exact_or_unique_prefix(stack: Stack, typed: str, expected: str) -> None:
    ticket = new_ticket(stack)
    body = await run(stack, f"category {ticket} {typed}")
    assert f"now in category {expected}" in body["text"]
    sandbox = stack.mava.sandbox
    assert mava_ticket(stack, ticket)["category"] == sandbox.category_id(expected)


async def test_category_ambiguous_unknown_and_archived_are_refused(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    ticket = new_ticket(stack, category=sandbox.category_id("General"))

    ambiguous = flat(shown(await run(stack, f"category {ticket} b")))
    assert "'b' matches several categories: Billing, Bug report" in ambiguous

    unknown = flat(shown(await run(stack, f"category {ticket} Frobnication")))
    assert "No active category is called 'Frobnication'" in unknown
    assert "Valid categories: Account, Billing, Bug report, Feature request, General" in unknown

    archived = flat(shown(await run(stack, f"category {ticket} Legacy")))
    assert "No active category is called 'Legacy' (archived categories can't be used)" in archived
    assert "Legacy" not in archived.split("Valid categories:")[1]

    assert mava_ticket(stack, ticket)["category"] == sandbox.category_id("General")
    assert writes(stack, "/api/ticket") == []  # refused before any write


async def test_categories_lists_the_active_ones(stack: Stack) -> None:
    text = shown(await run(stack, "categories"))
    for name in ("Account", "Billing", "Bug report", "Feature request", "General", "Technical"):
        assert f"• {name}" in text
    assert "Legacy" not in text
    assert "6 categories in Mava" in text


# --- assign -------------------------------------------------------------------------------


async def test_assign_me_a_user_and_none(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    ticket = new_ticket(stack)

    body = await run(stack, f"assign {ticket} me")
    assert "now assigned to Jane Smith" in body["text"]
    assert mava_ticket(stack, ticket)["assignedTo"] == sandbox.agent_id("jane@example.com")

    body = await run(stack, f"assign {ticket} <@{OMAR}|omar>")
    assert "now assigned to Omar Haddad" in body["text"]
    assert mava_ticket(stack, ticket)["assignedTo"] == sandbox.agent_id("omar@example.com")

    body = await run(stack, f"assign {ticket} none")
    assert "now unassigned" in body["text"]
    assert mava_ticket(stack, ticket)["assignedTo"] is None

    rows = await audit_rows(stack, ticket)
    assert [r.summary for r in rows] == [
        "assign -> Jane Smith",
        "assign -> Omar Haddad",
        "assign -> nobody",
    ]


async def test_assign_to_a_slack_user_with_no_mava_agent(stack: Stack) -> None:
    ticket = new_ticket(stack)
    text = flat(shown(await run(stack, f"assign {ticket} <@{SAM}|sam>")))
    assert "No Mava agent has the email sam@example.com (Sam's Slack email)" in text
    assert mava_ticket(stack, ticket)["assignedTo"] is None
    assert writes(stack, "/api/ticket") == []


# --- show and tickets ---------------------------------------------------------------------


def _seeded_with(stack: Stack, needle: str) -> dict[str, object]:
    for ticket in stack.mava.sandbox.tickets:
        if any(needle in m["content"] for m in ticket["messages"]):
            return ticket
    raise AssertionError(f"no seeded ticket contains {needle!r}")


@pytest.mark.parametrize("nasty", ["<!channel>", "<script>"])
async def test_show_escapes_customer_content(stack: Stack, nasty: str) -> None:
    seeded = _seeded_with(stack, nasty)
    body = await run(stack, f"show {seeded['_id']}")
    text = shown(body)
    escaped = nasty.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in text
    # Nothing the customer wrote reaches Slack as markup: no raw `<!` or `<script`.
    assert nasty not in str(body)
    assert "<!channel" not in str(body) and "<script" not in str(body)


async def test_show_card_fields(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    ticket = new_ticket(
        stack,
        status="Pending",
        priority=3,
        sourceType="discord",
        category=sandbox.category_id("Billing"),
        assignedTo=sandbox.agent_id("Omar Haddad"),
        tags=[sandbox.tag_id("VIP")],
        customer={"name": "Ada <Lovelace>", "email": "ada@example.com"},
        messages=["I was charged twice", {"content": "Refunded", "senderType": "agent"}],
    )
    body = await run(stack, f"show {ticket}")
    text = flat(shown(body))
    for field in (
        "*Status* Pending",
        "*Priority* :red_circle: High",
        "*Category* Billing",
        "*Assignee* Omar Haddad",
        "*Origin* Discord",
        "*Customer* Ada &lt;Lovelace&gt; (ada@example.com)",
        "*Tags* VIP",
    ):
        assert field in text, field
    assert "I was charged twice" in text and "Refunded" in text
    assert f"Ticket id `{ticket}`" in text
    buttons = [
        e["action_id"] for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [
        "ticket_open",
        "ticket_reply",
        "ticket_note",
        "ticket_resolve",
        "ticket_follow",
    ]


def _count_of(text: str) -> int:
    match = re.search(r"\*(\d+) tickets?\*", text)
    assert match, text
    return int(match.group(1))


def _listed_ids(text: str) -> list[str]:
    return re.findall(r"ticket\?id=([0-9a-f]{24})", text)


@pytest.mark.parametrize(
    ("filters", "statuses", "origin", "assignee", "high"),
    [
        ("", OPEN_STATUSES, None, "any", False),
        ("unassigned discord", OPEN_STATUSES, "discord", "none", False),
        ("pending waiting", ("Pending", "Waiting"), None, "any", False),
        ("resolved email", ("Resolved",), "email", "any", False),
        ("mine", OPEN_STATUSES, None, "jane", False),
        ("high", OPEN_STATUSES, None, "any", True),
    ],
)
async def test_tickets_count_matches_the_sandbox(
    stack: Stack,
    filters: str,
    statuses: tuple[str, ...],
    origin: str | None,
    assignee: str,
    high: bool,
) -> None:
    sandbox = stack.mava.sandbox
    jane = sandbox.agent_id("jane@example.com")
    if assignee == "jane":
        new_ticket(stack, assignedTo=jane)  # at least one of mine

    def wanted(t: dict[str, object]) -> bool:
        return (
            t["status"] in statuses
            and (origin is None or t["sourceType"] == origin)
            and (assignee != "none" or t["assignedTo"] is None)
            and (assignee != "jane" or t["assignedTo"] == jane)
            and (not high or t["priority"] == 3)
        )

    expected = sorted(
        (t for t in sandbox.tickets if wanted(t)),
        key=lambda t: (t["createdAt"], t["_id"]),
        reverse=True,
    )
    body = await run(stack, f"tickets {filters}".strip())
    text = shown(body)
    assert _count_of(text) == len(expected)
    listed = _listed_ids(text)
    assert len(listed) == min(20, len(expected))
    if len(expected) > 20:
        assert "(showing first 20)" in text
    if not high:  # newest first
        assert listed == [t["_id"] for t in expected[:20]]
    else:
        assert set(listed) <= {t["_id"] for t in expected}


# --- identify -----------------------------------------------------------------------------


async def test_identify_with_quoted_values(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    email = "pat.customer@example.com"
    sandbox.add_customer(name="Pat", email=email, attributes={"Plan": "Free"})
    body = await run(
        stack, f'identify <mailto:{email}|{email}> Plan="Gold plus" company=Acme "Seat count"=12'
    )
    assert f"Updated 3 attribute(s) (Plan, company, Seat count) for {email}" in body["text"]
    customer = sandbox.find_customer(email=email)
    assert customer is not None
    values = {a["name"]: a["content"] for a in customer.attributes}
    assert values == {"Plan": "Gold plus", "company": "Acme", "Seat count": "12"}
    [row] = [r for r in await audit_rows(stack) if r.action == "identify" and email in r.summary]
    assert row.outcome == "ok"


# --- ticket references --------------------------------------------------------------------


async def test_a_dashboard_link_names_the_ticket(stack: Stack) -> None:
    ticket = new_ticket(stack)
    link = f"https://dashboard.mava.app/dashboard/ticket?id={ticket}"
    body = await run(stack, f"resolve {link}")
    assert f"Ticket {ticket} is now Resolved" in body["text"]
    assert mava_ticket(stack, ticket)["status"] == "Resolved"


async def test_a_slack_wrapped_link_names_the_ticket(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Wrapped link works"])
    wrapped = f"<https://dashboard.mava.app/dashboard/ticket?tab=1&amp;id={ticket}|the ticket>"
    body = await run(stack, f"show {wrapped}")
    assert f"Ticket id `{ticket}`" in shown(body)
    assert "Wrapped link works" in shown(body)
    body = await run(stack, f"note {wrapped} seen via a link")
    assert messages(stack, ticket, "InternalNote")[-1]["content"].endswith("seen via a link")


async def test_a_short_id_as_lists_show_it_names_the_ticket(stack: Stack) -> None:
    ticket = new_ticket(stack, messages=["Short ids work"])
    listed = shown(await run(stack, "tickets"))  # the listing is how a person learns it
    short = "…" + ticket[-6:]
    assert short in listed
    assert f"Ticket id `{ticket}`" in shown(await run(stack, f"show {short}"))
    body = await run(stack, f"resolve #{ticket[-6:].upper()}")  # as copied, any case
    assert f"Ticket {ticket} is now Resolved" in body["text"]
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    await run(stack, f"note {ticket[-6:]} seen by its short id")
    assert messages(stack, ticket, "InternalNote")[-1]["content"].endswith("by its short id")


async def test_a_short_id_no_read_ticket_has_is_said(stack: Stack) -> None:
    unseen = new_ticket(stack)  # in Mava, but never listed: Mava cannot search by a tail
    before = len(stack.mava.sandbox.requests)
    message = flat(shown(await run(stack, f"reply …{unseen[-6:]} hello?")))
    assert f"No ticket the bot has read ends in …{unseen[-6:]}" in message
    assert "dashboard link" in message
    assert stack.mava.sandbox.requests[before:] == []  # nothing asked of Mava, nothing sent


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("frobnicate 123", "I don't know `/mava frobnicate`", "Try `/mava help`"),
        ("reply", "Which ticket?", "Usage: `/mava reply TICKET [TEXT]`"),
        ("status", "Which ticket?", "Usage: `/mava status TICKET open|pending|waiting|resolved`"),
        ("reply 12345 hello", "'12345' is not a Mava ticket id", "Usage: `/mava reply"),
        (f"status {MISSING_TICKET} sideways", "'sideways' is not a status", "Usage: `/mava status"),
        (f"status {MISSING_TICKET}", "Which status?", "Usage: `/mava status"),
        (
            f"priority {MISSING_TICKET} urgent",
            "'urgent' is not a priority",
            "Usage: `/mava priority",
        ),
        (f"assign {MISSING_TICKET}", "Assign to whom?", "Usage: `/mava assign"),
        (f"show {MISSING_TICKET} extra", "I did not expect 'extra' here", "Usage: `/mava show"),
        ("identify not-an-email plan=x", "does not look like an email", "Usage: `/mava identify"),
        ('identify a@example.com plan="Gold', "A quote is not closed", "Usage: `/mava identify"),
        ("tickets sideways", "I don't know the filter 'sideways'", "Usage: `/mava tickets"),
    ],
)
async def test_mistyped_commands_get_usage_and_example(
    stack: Stack, text: str, problem: str, usage: str
) -> None:
    body = await run(stack, text)
    message = shown(body)
    assert problem in message
    assert usage.replace("<", "&lt;") in message
    if "Usage" in usage:
        assert "Example: `/mava " in message
    assert writes(stack, "/api/message") == writes(stack, "/api/ticket") == []


async def test_unknown_ticket_is_not_found(stack: Stack) -> None:
    for text in (f"show {MISSING_TICKET}", f"reply {MISSING_TICKET} hello?"):
        message = flat(shown(await run(stack, text)))
        assert f"Ticket {MISSING_TICKET} was not found in Mava" in message
        assert "dashboard link" in message
    rows = await audit_rows(stack, MISSING_TICKET)
    assert [(r.action, r.outcome) for r in rows] == [("reply", "error")]


async def test_mava_down_is_a_plain_sentence(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.inject("status", status=500, times=None)
    message = flat(shown(await run(stack, f"show {ticket}")))
    assert message == ":warning: Mava had an internal error. Try again in a moment."


async def test_mava_unreachable_is_a_plain_sentence(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.inject("disconnect", times=None)
    message = flat(shown(await run(stack, f"status {ticket} pending")))
    assert message == ":warning: Mava could not be reached. Try again in a moment."
    assert mava_ticket(stack, ticket)["status"] == "Open"
    [row] = await audit_rows(stack, ticket)
    assert row.outcome == "error"


async def test_mava_unreadable_answer_is_a_plain_sentence(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.inject("malformed", times=None)
    message = flat(shown(await run(stack, f"show {ticket}")))
    assert message == (
        ":warning: Mava sent a response we could not read. Try again, or check MAVA_API_URL."
    )


async def test_mava_refusing_connections_is_a_plain_sentence() -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with scenario_stack(mava_api_url=closed) as stack:
        ticket = new_ticket(stack)
        for text in (f"show {ticket}", f"reply {ticket} hello"):
            message = flat(shown(await run(stack, text)))
            assert message == ":warning: Mava could not be reached. Try again in a moment."
        assert len(messages(stack, ticket)) == 1  # nothing was sent


async def test_outcome_unknown_reply_is_never_sent_twice(stack: Stack) -> None:
    ticket = new_ticket(stack)
    before = len(messages(stack, ticket, "ExternalMessage"))
    # Mava stores the message but the answer never arrives in time.
    stack.mava.sandbox.inject("timeout", path="/api/message", delay=3.0)
    text = f"reply {ticket} We refunded you."
    message = flat(shown(await run(stack, text)))
    assert "may or may not have been applied" in message
    assert len(writes(stack, "/api/message")) == 1  # not retried
    assert len(messages(stack, ticket, "ExternalMessage")) == before + 1

    # Trying the same again right away must not send it a second time.
    again = flat(shown(await run(stack, text)))
    assert "already submitted a moment ago" in again
    assert len(messages(stack, ticket, "ExternalMessage")) == before + 1
    assert [r.outcome for r in await audit_rows(stack, ticket)] == ["unknown", "duplicate"]


async def test_outcome_unknown_on_a_server_error_is_not_retried(stack: Stack) -> None:
    ticket = new_ticket(stack)
    before = len(messages(stack, ticket))
    stack.mava.sandbox.inject("status", status=500, path="/api/message", times=None)
    message = flat(shown(await run(stack, f"reply {ticket} Are you still there?")))
    assert "may or may not have been applied" in message
    assert len(writes(stack, "/api/message")) == 1
    assert len(messages(stack, ticket)) == before


async def test_wrong_mava_key() -> None:
    async with scenario_stack(mava_api_token="wrong") as stack:
        ticket = new_ticket(stack)
        for text in (f"show {ticket}", f"reply {ticket} hello", "categories"):
            message = flat(shown(await run(stack, text)))
            assert message == ":warning: Mava rejected the API key (401). Check MAVA_API_TOKEN."
        assert len(messages(stack, ticket)) == 1


async def test_mava_rate_limiting() -> None:
    # Own key: the client-side limiter is shared per key, and this test pauses it.
    async with scenario_stack(mava_options={"api_key": "rate-limited-key"}) as stack:
        ticket = new_ticket(stack)
        # Honoured Retry-After waits (a read and a write, 3 retries each): short here,
        # where the sentence is the point (tests/unit/mava/test_client.py: the waits).
        stack.mava.sandbox.inject("status", status=429, times=None, headers={"Retry-After": "0.2"})
        message = flat(shown(await run(stack, f"status {ticket} pending")))
        assert message == ":warning: Mava is rate limiting us (429). Try again in a minute."
        assert mava_ticket(stack, ticket)["status"] == "Open"


# --- digest now ---------------------------------------------------------------------------


async def test_digest_now_answers_with_a_sentence(stack: Stack) -> None:
    body = await run(stack, "digest")
    listed = [
        block["block_id"]
        for message in stack.slack.messages(CHANNEL)
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]
    assert listed
    assert f"Digest posted ({len(listed)} tickets)." in body["text"]

    stack.slack.fail("chat.postMessage", "not_in_channel")
    refused = await run(stack, "digest")
    assert "not_in_channel" in shown(refused)
