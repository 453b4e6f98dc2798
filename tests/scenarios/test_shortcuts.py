"""Message shortcuts end to end: "Add as private note" and "Reply to customer"."""

from __future__ import annotations

from typing import Any

import pytest

from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    LOOKUP_ACK_SECONDS,
    MISSING_TICKET,
    SAM,
    ack_json,
    assert_ack,
    audit_rows,
    flat,
    messages,
    new_ticket,
    shown,
    view_update,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
MESSAGE_TS = "1767225600.000200"


def _input(view: JSON, block_id: str) -> JSON:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    element: JSON = block["element"]
    return element


async def open_shortcut(stack: Stack, callback_id: str, message: JSON) -> JSON:
    """Run the shortcut on `message`; return the modal the bot opened (as the stub has it)
    once filled in: it opens at once with "Loading…", then views.update shows the editor."""
    assert_ack(await stack.sender.shortcut(callback_id, message=message))
    [call] = await stack.slack.wait_for("views.open")
    assert call.ok, call.response
    assert call.response is not None
    view_id = call.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None
    return view


async def test_add_as_private_note(stack: Stack) -> None:
    ticket = new_ticket(stack)
    message = {
        "user": SAM,
        "ts": MESSAGE_TS,
        # As Slack sends it: mentions and links wrapped, & < > escaped.
        "text": (
            f"Ticket {ticket}: ping <@U0JANE|jane>, "
            "see <https://x.example/d|the docs> &amp; &lt;logs&gt;"
        ),
    }
    view = await open_shortcut(stack, "add_private_note", message)

    assert view["callback_id"] == "shortcut_note_modal"
    text = f"Ticket {ticket}: ping @jane, see the docs (https://x.example/d) & <logs>"
    assert _input(view, "ticket")["initial_value"] == ticket
    assert _input(view, "text")["initial_value"] == text

    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_note_modal", {"ticket": ticket, "text": text}, view=view
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["response_action"] == "update"
    done = await view_update(stack, view["id"], 2)
    assert "Private note added" in shown(done)

    [note] = messages(stack, ticket, "InternalNote")
    permalink = stack.slack.permalink(CHANNEL, MESSAGE_TS)
    assert note["content"] == (
        f"Note from Jane via Slack: {text}\n\nOriginally posted by Sam in Slack: {permalink}"
    )
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.action, row.outcome, row.channel_id) == (
        JANE,
        "note",
        "ok",
        CHANNEL,
    )


async def test_note_shortcut_on_a_message_without_a_ticket_id(stack: Stack) -> None:
    ticket = new_ticket(stack)
    view = await open_shortcut(
        stack, "add_private_note", {"user": SAM, "ts": MESSAGE_TS, "text": "No id here"}
    )
    assert "initial_value" not in _input(view, "ticket")
    # The agent pastes the ticket's dashboard link into the field.
    link = f"https://dashboard.mava.app/dashboard/ticket?id={ticket}"
    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_note_modal", {"ticket": link, "text": "No id here"}, view=view
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["response_action"] == "update"
    await view_update(stack, view["id"], 2)
    [note] = messages(stack, ticket, "InternalNote")
    assert note["content"].startswith("Note from Jane via Slack: No id here\n\n")


@pytest.mark.parametrize(
    ("message", "sentence"),
    [
        (
            {"bot_id": "B0OTHER", "subtype": "bot_message", "text": "Deploy finished"},
            "That message was posted by an app, not a person.",
        ),
        (
            {"user": SAM, "text": "", "files": [{"id": "F0001", "name": "screenshot.png"}]},
            "That message has no text (only files)",
        ),
    ],
)
@pytest.mark.parametrize("callback_id", ["add_private_note", "reply_to_customer"])
async def test_shortcut_on_messages_it_cannot_use(
    stack: Stack, callback_id: str, message: JSON, sentence: str
) -> None:
    view = await open_shortcut(stack, callback_id, {"ts": MESSAGE_TS, **message})
    assert sentence in flat(shown(view))
    assert view.get("submit") is None  # a result to read, nothing to submit
    assert [c for c in stack.slack.calls() if not c.ok] == []
    assert stack.mava.sandbox.requests == []


async def test_note_shortcut_inline_errors(stack: Stack) -> None:
    ticket = new_ticket(stack)
    view = await open_shortcut(
        stack, "add_private_note", {"user": SAM, "ts": MESSAGE_TS, "text": f"About {ticket}"}
    )

    async def submit(values: JSON) -> JSON:
        response = await stack.sender.submit_view("shortcut_note_modal", values, view=view)
        return ack_json(response, LOOKUP_ACK_SECONDS)

    unknown = await submit({"ticket": MISSING_TICKET, "text": "hello"})
    assert unknown["response_action"] == "errors"
    assert f"Ticket {MISSING_TICKET} was not found in Mava" in unknown["errors"]["ticket"]

    malformed = await submit({"ticket": "not-a-ticket", "text": "hello"})
    assert "'not-a-ticket' is not a Mava ticket id" in malformed["errors"]["ticket"]

    empty = await submit({"ticket": ticket, "text": "  \n "})
    assert empty == {"response_action": "errors", "errors": {"text": "Write the message first."}}

    assert messages(stack, ticket, "InternalNote") == []
    assert len(stack.slack.calls("views.update")) == 1  # the editor, shown after "Loading…"
    assert await audit_rows(stack, ticket) == []


async def test_reply_to_customer_reviews_then_sends_exactly_once(stack: Stack) -> None:
    ticket = new_ticket(stack, customer={"name": "Kim Customer"})
    view = await open_shortcut(
        stack,
        "reply_to_customer",
        {"user": SAM, "ts": MESSAGE_TS, "text": f"Reply for {ticket}: we are on it"},
    )
    assert view["callback_id"] == "shortcut_reply_modal"
    assert view["submit"]["text"] == "Review"
    assert _input(view, "ticket")["initial_value"] == ticket

    # The agent edits the text; mrkdwn, emoji codes and < > & must reach Mava untouched.
    text = "Hi *Kim* :wave:\nFixed: 1 < 2 & <@U0JANE> is <not> a link.\nThanks!"
    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_reply_modal", {"ticket": ticket, "text": text}, view=view
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["response_action"] == "update"
    confirm = ack["view"]
    assert confirm["callback_id"] == "shortcut_reply_confirm"
    assert confirm["submit"]["text"] == "Send to customer"
    assert "Kim Customer" in shown(confirm)
    shown_text = [
        b["text"]
        for b in confirm["blocks"]
        if b["type"] == "section" and b["text"]["type"] == "plain_text"
    ]
    assert shown_text == [{"type": "plain_text", "text": text, "emoji": False}]
    assert messages(stack, ticket, "ExternalMessage")[-1]["content"] != text  # not yet sent

    # Slack keeps the view id when a submission answers response_action: update.
    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_reply_confirm", {}, view={**confirm, "id": view["id"]}
        )
    )
    assert ack["response_action"] == "update"
    done = await view_update(stack, view["id"], 2)
    assert "Sent to the customer" in shown(done)

    sent = [m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"]
    assert [m["content"] for m in sent] == [text]
    assert messages(stack, ticket, "InternalNote") == []
    [row] = await audit_rows(stack, ticket)
    assert (row.action, row.outcome, row.summary) == ("reply", "ok", text)


async def test_reply_shortcut_refuses_an_unknown_ticket_inline(stack: Stack) -> None:
    view = await open_shortcut(
        stack, "reply_to_customer", {"user": SAM, "ts": MESSAGE_TS, "text": "Hello"}
    )
    ack = ack_json(
        await stack.sender.submit_view(
            "shortcut_reply_modal", {"ticket": MISSING_TICKET, "text": "Hello"}, view=view
        ),
        LOOKUP_ACK_SECONDS,
    )
    assert ack["response_action"] == "errors"
    assert "was not found in Mava" in ack["errors"]["ticket"]
    assert [r.method for r in stack.mava.sandbox.requests] == ["GET"] * len(
        stack.mava.sandbox.requests
    )
