"""Creating a Mava ticket from Slack over signed HTTP requests: the "Create Mava ticket"
message shortcut and `/mava create`, the modal, POST /api/ticket, the follow in the
source message's thread (or a card in the channel), refusals and Slack/Mava failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mava_bridge.store.follows import follow_for_thread, follow_in_channel
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    GUEST,
    JANE,
    LOOKUP_ACK_SECONDS,
    SAM,
    ack_json,
    assert_ack,
    audit_rows,
    flat,
    idle,
    send,
    shown,
    view_update,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


def element(view: JSON, block_id: str) -> JSON:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    found: JSON = block["element"]
    return found


async def opened(stack: Stack) -> JSON:
    """The modal the bot opened, once views.update has filled it in."""
    [call] = await stack.slack.wait_for("views.open")
    assert call.ok and call.response is not None, call.response
    view_id = call.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None
    return view


async def open_on_message(stack: Stack, message: JSON, user_id: str = JANE) -> JSON:
    assert_ack(await stack.sender.shortcut("create_mava_ticket", message=message, user_id=user_id))
    return await opened(stack)


async def submit(stack: Stack, view: JSON, values: JSON, user_id: str = JANE) -> JSON:
    """Submit with `values`; the priority select holds its initial option unless given,
    as Slack sends it for an untouched select."""
    values = {"priority": "2", **values}
    return ack_json(
        await stack.sender.submit_view("create_ticket_modal", values, view=view, user_id=user_id),
        LOOKUP_ACK_SECONDS,
    )


async def result(stack: Stack, view: JSON) -> str:
    """The sentence of the modal's result view (the update after "Creating…")."""
    done = await view_update(stack, view["id"], 2)
    return flat(shown(done))


def created_for(stack: Stack, email: str) -> list[JSON]:
    sandbox = stack.mava.sandbox
    found = []
    for ticket in sandbox.tickets:
        shown_ticket = sandbox.ticket_json(ticket)
        if (shown_ticket.get("customer") or {}).get("email") == email:
            found.append(shown_ticket)
    return found


async def test_shortcut_makes_a_ticket_followed_in_the_message_thread(stack: Stack) -> None:
    source = stack.slack.user_message(
        CHANNEL, SAM, "My invoice <https://x.example/i|INV-7> is wrong"
    )
    view = await open_on_message(stack, source)

    permalink = stack.slack.permalink(CHANNEL, source["ts"])
    text = element(view, "text")["initial_value"]
    assert text == f"My invoice INV-7 (https://x.example/i) is wrong\n\nFrom Slack: {permalink}"
    assert "initial_value" not in element(view, "customer_email")
    assert element(view, "priority")["initial_option"]["value"] == "2"
    assert "followed in this message's thread" in flat(shown(view))

    billing = stack.mava.sandbox.category_id("Billing")
    email = "ann.shortcut@example.com"
    values = {"customer_email": email, "text": text, "priority": "3", "category": billing}
    ack = await submit(stack, view, values)
    assert ack["response_action"] == "update"
    sentence = await result(stack, view)
    [ticket] = created_for(stack, email)
    assert f"Created ticket {ticket['_id']} for {email}." in sentence
    assert "Following it in the message's thread." in sentence
    assert (ticket["priority"], ticket["category"]["name"]) == (3, "Billing")
    assert [m["content"] for m in ticket["messages"]] == [text]

    # The card is a reply under the source message, and the follow is on that thread.
    replies = [m for m in stack.slack.thread(CHANNEL, source["ts"]) if m.get("bot_id")]
    assert [ticket["_id"] in json.dumps(m["blocks"]) for m in replies] == [True]
    follow = await follow_for_thread(stack.runtime.db, CHANNEL, source["ts"])
    assert follow is not None and follow.ticket_id == ticket["_id"] and follow.active
    row, followed = await audit_rows(stack, ticket["_id"])
    assert (row.slack_user_id, row.action, row.outcome) == (JANE, "create", "ok")
    assert email in row.summary
    assert (followed.action, followed.summary) == ("follow", "create: follow")

    # The customer's next message reaches the source message's thread.
    stack.mava.sandbox.customer_writes(ticket["_id"], "Any news on INV-7?")
    await stack.runtime.delivery.scheduler.run_threads()
    texts = flat(json.dumps(stack.slack.thread(CHANNEL, source["ts"])))
    assert "Any news on INV-7?" in texts
    assert texts.count("My invoice INV-7") == 1  # the first message is not echoed

    # The same submission delivered again creates nothing more.
    again = await submit(stack, view, values)
    assert again["response_action"] == "update"
    await idle(stack)
    assert len(writes(stack, "/api/ticket")) == 1
    assert len(created_for(stack, email)) == 1


async def test_mava_create_posts_a_card_in_the_channel_and_follows_it(stack: Stack) -> None:
    email = "bo.command@example.com"
    url = stack.slack.response_url(channel=CHANNEL)
    assert_ack(
        await stack.sender.command(
            f"create <mailto:{email}|{email}> Printer &amp; scanner down",
            user_id=JANE,
            channel_id=CHANNEL,
            response_url=url,
        )
    )
    view = await opened(stack)
    assert element(view, "customer_email")["initial_value"] == email
    assert element(view, "text")["initial_value"] == "Printer & scanner down"
    await submit(stack, view, {"customer_email": email, "text": "Printer & scanner down"})
    sentence = await result(stack, view)
    [ticket] = created_for(stack, email)
    assert "Its card is posted in this channel" in sentence
    [card] = [
        m
        for m in stack.slack.messages(CHANNEL)
        if ticket["_id"] in json.dumps(m.get("blocks")) and "thread_ts" not in m
    ]
    follow = await follow_in_channel(stack.runtime.db, CHANNEL, ticket["_id"])
    assert follow is not None and follow.thread_ts == card["ts"]
    assert ticket["priority"] == 2  # the modal's default, Mava's too


async def test_a_guest_is_refused_and_nothing_is_created(stack: Stack) -> None:
    source = stack.slack.user_message(CHANNEL, SAM, "Please open a ticket")
    view = await open_on_message(stack, source, user_id=GUEST)
    assert "Guests can't act" in flat(shown(view))
    assert view.get("submit") is None
    # A submission made by hand is refused too, before anything reaches Mava.
    forged = await submit(
        stack, view, {"customer_email": "x@example.com", "text": "hi"}, user_id=GUEST
    )
    assert forged["response_action"] == "update"
    assert "Guests can't act" in flat(shown(forged["view"]))
    await idle(stack)
    assert writes(stack, "/api/ticket") == []
    rows = [r for r in await audit_rows(stack) if r.slack_user_id == GUEST]
    assert [(r.action, r.outcome) for r in rows[-2:]] == [("create", "refused")] * 2


async def test_inline_errors_for_a_bad_email_or_an_empty_message(stack: Stack) -> None:
    await send(stack, "create")
    view = await opened(stack)
    ack = await submit(stack, view, {"customer_email": "not-an-email", "text": "  "})
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {"customer_email", "text"}
    assert writes(stack, "/api/ticket") == []


def _select(option: Any) -> JSON:
    """A select's state as a hand-made submission may give it (`option` as is)."""
    return {"type": "static_select", "selected_option": option}


@pytest.mark.parametrize(
    ("field", "state", "sentence"),
    [
        ("priority", "9", "Pick one of the priorities offered: Low, Medium, High."),
        ("priority", "high", "Pick one of the priorities offered"),
        ("priority", {"priority_input": _select(None)}, "Pick one of the priorities offered"),
        ("priority", {"priority_input": _select("3")}, "Pick one of the priorities offered"),
        ("priority", {"priority_input": _select({"value": 3})}, "Pick one of the priorities"),
        ("priority", {}, "Pick one of the priorities offered"),
        ("category", "0123456789abcdef01234567", "not one of Mava's active categories"),
        ("category", "Legacy", "not one of Mava's active categories"),  # archived
        ("category", {"category_input": _select({"text": "x"})}, "not one of Mava's active"),
    ],
)
async def test_a_hand_made_submission_gets_an_error_on_its_field(
    stack: Stack, field: str, state: Any, sentence: str
) -> None:
    """A value no option offers, a wrong type or no choice where one is required: an
    inline error on that field, and nothing reaches Mava's write endpoints."""
    await send(stack, "create")
    view = await opened(stack)
    if state == "Legacy":
        state = stack.mava.sandbox.category_id("Legacy")
    values: JSON = {"customer_email": "hand.made@example.com", "text": "Forged", field: state}
    if field == "priority" and state == {}:
        values = {"customer_email": "hand.made@example.com", "text": "Forged"}
        ack = ack_json(
            await stack.sender.submit_view("create_ticket_modal", values, view=view),
            LOOKUP_ACK_SECONDS,
        )
    else:
        ack = await submit(stack, view, values)
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == [field]
    assert sentence in ack["errors"][field]
    await idle(stack)
    assert [r for r in stack.mava.sandbox.requests if r.method != "GET"] == []
    assert created_for(stack, "hand.made@example.com") == []
    assert [
        r for r in await audit_rows(stack) if r.action == "create" and "Forged" in r.summary
    ] == []


async def test_a_category_added_or_archived_since_the_list_was_read(stack: Stack) -> None:
    """The check reads the cached list, then a fresh one: a category added since is
    taken; one archived since the list was cached is Mava's to refuse, and the window
    says so (nothing is created)."""
    sandbox = stack.mava.sandbox
    await send(stack, "create")
    view = await opened(stack)
    fresh = sandbox.add_category("Brand new")  # not in the list the modal was built from
    values = {"customer_email": "new.cat@example.com", "text": "Hi", "category": fresh.id}
    assert (await submit(stack, view, values))["response_action"] == "update"
    await result(stack, view)
    [ticket] = created_for(stack, "new.cat@example.com")
    assert ticket["category"]["name"] == "Brand new"

    stack.slack.clear()  # the next window is the only one opened
    await send(stack, "create")
    view = await opened(stack)
    sandbox.archive_category("Brand new")  # in the dashboard, while the window is open
    values = {"customer_email": "late.pick@example.com", "text": "Hi", "category": fresh.id}
    assert (await submit(stack, view, values))["response_action"] == "update"
    sentence = await result(stack, view)
    assert ":warning: Mava does not know that category, or it is archived." in sentence
    assert created_for(stack, "late.pick@example.com") == []


async def test_mava_unreadable_for_the_category_check_is_said_on_the_field(stack: Stack) -> None:
    await send(stack, "create")
    view = await opened(stack)
    stack.mava.sandbox.inject("status", status=500, times=None, path="/api/categories")
    values = {"customer_email": "cat.down@example.com", "text": "Hi", "category": "x" * 24}
    ack = await submit(stack, view, values)
    assert ack["response_action"] == "errors"
    assert "Submit again" in ack["errors"]["category"]
    assert writes(stack, "/api/ticket") == []


async def test_mava_refusal_is_told_and_nothing_is_followed(stack: Stack) -> None:
    # Mava keeps one open ticket per customer: a second one is refused with a 400.
    email = "cy.twice@example.com"
    customer = stack.mava.sandbox.add_customer(name="Cy", email=email)
    stack.mava.sandbox.add_ticket(customer=customer.id)
    await send(stack, f"create {email} Another problem")
    view = await opened(stack)
    await submit(stack, view, {"customer_email": email, "text": "Another problem"})
    sentence = await result(stack, view)
    assert ":warning:" in sentence and "open ticket" in sentence
    assert await follow_in_channel(stack.runtime.db, CHANNEL, "x" * 24) is None
    rows = [r for r in await audit_rows(stack) if r.action == "create"]
    assert rows[-1].outcome == "error"


async def test_slack_refusing_the_card_still_says_the_ticket_was_made(stack: Stack) -> None:
    email = "dee.nopost@example.com"
    source = stack.slack.user_message(CHANNEL, SAM, "Locked out")
    view = await open_on_message(stack, source)
    stack.slack.fail("chat.postMessage", "not_in_channel")
    await submit(stack, view, {"customer_email": email, "text": "Locked out"})
    sentence = await result(stack, view)
    [ticket] = created_for(stack, email)
    assert f"Created ticket {ticket['_id']}" in sentence
    assert "I can't post in this channel" in sentence
    assert f"/mava follow {ticket['_id']}" in sentence
    # The follow was written before the card and undone when Slack refused it.
    assert await stack.runtime.deps.follows.ticket_for_thread(CHANNEL, source["ts"]) is None
    follow = await follow_in_channel(stack.runtime.db, CHANNEL, ticket["_id"])
    assert follow is None or not follow.active


@pytest.mark.parametrize("shape", ["flat", "id", "none"])
async def test_each_answer_shape_mava_may_give(stack: Stack, shape: str) -> None:
    """Mava's page stops before the answer: the id is read wherever it may be."""
    stack.mava.sandbox.create_answer = shape  # type: ignore[assignment]
    try:
        email = f"eve.{shape}@example.com"
        await send(stack, f"create {email} Shape test")
        view = await opened(stack)
        await submit(stack, view, {"customer_email": email, "text": "Shape test"})
        sentence = await result(stack, view)
    finally:
        stack.mava.sandbox.create_answer = "ticket"
    [ticket] = created_for(stack, email)
    follow = await follow_in_channel(stack.runtime.db, CHANNEL, ticket["_id"])
    if shape == "none":
        assert "did not say its id" in sentence and follow is None
    else:
        assert f"Created ticket {ticket['_id']}" in sentence and follow is not None


async def test_closed_modal_gets_the_result_another_way(stack: Stack) -> None:
    email = "fay.closed@example.com"
    await send(stack, f"create {email} Closed window")
    view = await opened(stack)
    stack.slack.fail("views.update", "not_found")
    await submit(stack, view, {"customer_email": email, "text": "Closed window"})
    await idle(stack)
    [ticket] = created_for(stack, email)
    said = flat(json.dumps([c.params for c in stack.slack.calls("chat.postEphemeral")]))
    assert f"Created ticket {ticket['_id']}" in said


async def test_a_change_in_mava_reaches_the_source_thread(stack: Stack) -> None:
    """The card under someone's message is the bot's reply, so the sync cannot redraw
    the thread's parent (Slack: cant_update_message); the change line still comes."""
    email = "gil.change@example.com"
    source = stack.slack.user_message(CHANNEL, SAM, "VPN broken")
    view = await open_on_message(stack, source)
    await submit(stack, view, {"customer_email": email, "text": "VPN broken"})
    await result(stack, view)
    [ticket] = created_for(stack, email)
    await stack.runtime.delivery.scheduler.run_threads()  # the first sync: a baseline
    stack.mava.sandbox.dashboard(ticket["_id"], status="Pending")
    report = await stack.runtime.delivery.scheduler.run_threads()
    assert report is not None and report.changes == 1
    thread = stack.slack.thread(CHANNEL, source["ts"])
    assert thread[0]["text"] == "VPN broken"  # the person's message is left as written
    assert "Pending" in json.dumps(thread[-1])
    follow = await follow_for_thread(stack.runtime.db, CHANNEL, source["ts"])
    assert follow is not None and follow.active


async def test_a_thread_following_another_ticket_keeps_it(stack: Stack) -> None:
    email = "hal.taken@example.com"
    url = stack.slack.response_url(channel=CHANNEL)
    other = str(stack.mava.sandbox.add_ticket()["_id"])
    assert_ack(
        await stack.sender.command(
            f"follow {other}", user_id=JANE, channel_id=CHANNEL, response_url=url
        )
    )
    await idle(stack)
    followed = await follow_in_channel(stack.runtime.db, CHANNEL, other)
    assert followed is not None
    # A message in that followed thread becomes a ticket of its own, with its own card.
    source = stack.slack.user_message(CHANNEL, SAM, "Separate issue", thread_ts=followed.thread_ts)
    view = await open_on_message(stack, source)
    await submit(stack, view, {"customer_email": email, "text": "Separate issue"})
    sentence = await result(stack, view)
    assert "Its card is posted in this channel" in sentence
    [ticket] = created_for(stack, email)
    mine = await follow_in_channel(stack.runtime.db, CHANNEL, ticket["_id"])
    assert mine is not None and mine.thread_ts != followed.thread_ts
    still = await follow_for_thread(stack.runtime.db, CHANNEL, followed.thread_ts)
    assert still is not None and still.ticket_id == other


async def test_an_apps_message_is_not_made_a_ticket(stack: Stack) -> None:
    message = {"bot_id": "B0OTHER", "subtype": "bot_message", "text": "Deploy finished"}
    view = await open_on_message(stack, {"ts": "1767225600.000900", **message})
    assert "posted by an app, not a person" in flat(shown(view))
    assert view.get("submit") is None
    assert writes(stack, "/api/ticket") == []


async def test_mava_failing_the_create_is_told_and_nothing_is_followed(stack: Stack) -> None:
    email = "ida.down@example.com"
    await send(stack, f"create {email} Help")
    view = await opened(stack)
    stack.mava.sandbox.inject("status", status=500, times=None, path="/api/ticket", method="POST")
    await submit(stack, view, {"customer_email": email, "text": "Help"})
    sentence = await result(stack, view)
    # A 500 to a write that is not idempotent: Mava may have made it, so the key is
    # kept (no blind retry) and the person is told to look before trying again.
    assert ":warning:" in sentence and "may or may not have been applied" in sentence
    assert created_for(stack, email) == []
    assert [m for m in stack.slack.messages(CHANNEL) if email in json.dumps(m)] == []
    rows = [r for r in await audit_rows(stack) if r.action == "create"]
    assert (rows[-1].outcome, rows[-1].ticket_id) == ("unknown", None)


async def test_resolve_on_the_card_in_the_source_thread_redraws_that_card(stack: Stack) -> None:
    """The card of a ticket made from a message is a reply in its thread: Resolve there
    redraws it whole as the followed card (chat.update), as on a thread's root."""
    source = stack.slack.user_message(CHANNEL, SAM, "Printer on fire")
    view = await open_on_message(stack, source)
    text = element(view, "text")["initial_value"]
    await submit(stack, view, {"customer_email": "di.card@example.com", "text": text})
    await result(stack, view)
    [card] = [m for m in stack.slack.thread(CHANNEL, source["ts"]) if m.get("bot_id")]
    [ticket] = created_for(stack, "di.card@example.com")
    assert_ack(await stack.sender.action("ticket_resolve", ticket["_id"], message=card))
    [call] = await stack.slack.wait_for("chat.update", timeout=8.0)
    assert call.ok and call.params["ts"] == card["ts"]
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None and f"Resolved by <@{JANE}>" in shown(redrawn)
    assert redrawn["text"] == f"Ticket {ticket['_id']}: Resolved"
