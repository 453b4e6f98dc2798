"""Creating a Mava ticket from Slack in Socket Mode: the shortcut, the slash command and
the modal's submission arrive as envelopes and are acked at once; the same submission
redelivered (same view id) creates nothing more; a member who is not on the allow-list
(ALLOWED_SLACK_USER_IDS is Jane and Sam here) is refused; Slack failing to open the
modal is told with the text command that does the same."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mava_sandbox.slack_requests import message_shortcut, slash_command, view_submission
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    OMAR,
    SAM,
    SLACK_ACK_LIMIT,
    answer,
    audit_rows,
    flat,
    idle,
    scenario_stack,
    shown,
    view_update,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack(socket_mode=True, allowed_slack_user_ids=f"{JANE},{SAM}") as stack:
        yield stack


async def deliver(stack: Stack, body: str) -> JSON | None:
    """Send an HTTP-mode body as an envelope; the ack's payload (acked within 3 s)."""
    assert stack.socket is not None
    envelope = await stack.socket.send_request(body)
    ack = await envelope.acked(timeout=SLACK_ACK_LIMIT)
    assert ack.seconds < SLACK_ACK_LIMIT
    return ack.payload


async def opened(stack: Stack) -> JSON:
    [call] = await stack.slack.wait_for("views.open")
    assert call.ok and call.response is not None, call.response
    view_id = call.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None
    return view


def submission(view: JSON, values: JSON, user_id: str = JANE) -> str:
    """The priority select holds its initial option, as Slack sends it untouched."""
    values = {"priority": "2", **values}
    return view_submission("create_ticket_modal", values, view=view, user_id=user_id)


async def test_shortcut_and_submission_as_envelopes(stack: Stack) -> None:
    source = stack.slack.user_message(CHANNEL, SAM, "Refund not received")
    url = stack.slack.response_url(channel=CHANNEL)
    await deliver(
        stack,
        message_shortcut(
            "create_mava_ticket",
            message=source,
            user_id=JANE,
            channel_id=CHANNEL,
            response_url=url,
        ),
    )
    view = await opened(stack)
    text = view["blocks"][1]["element"]["initial_value"]
    assert text.startswith("Refund not received\n\nFrom Slack: https://")
    email = "gus.socket@example.com"
    body = submission(view, {"customer_email": email, "text": text, "priority": "1"})
    ack = await deliver(stack, body)
    assert ack is not None and ack["response_action"] == "update"
    done = flat(shown(await view_update(stack, view["id"], 2)))
    await idle(stack)
    [ticket] = [
        t
        for t in (stack.mava.sandbox.ticket_json(x) for x in stack.mava.sandbox.tickets)
        if (t.get("customer") or {}).get("email") == email
    ]
    assert f"Created ticket {ticket['_id']}" in done and "message's thread" in done
    assert ticket["priority"] == 1
    replies = [m for m in stack.slack.thread(CHANNEL, source["ts"]) if m.get("bot_id")]
    assert len(replies) == 1 and ticket["_id"] in json.dumps(replies[0]["blocks"])

    # Slack redelivers the same submission (a new envelope, the same view): no new ticket.
    await deliver(stack, body)
    await idle(stack)
    assert len(writes(stack, "/api/ticket")) == 1
    rows = [r for r in await audit_rows(stack) if r.action == "create"]
    # The duplicate is audited too; which ticket it would have been is not known to it.
    assert [(r.outcome, r.ticket_id) for r in rows[-2:]] == [
        ("ok", ticket["_id"]),
        ("duplicate", None),
    ]


async def test_a_member_not_on_the_allow_list_is_refused(stack: Stack) -> None:
    url = stack.slack.response_url(channel=CHANNEL)
    await deliver(
        stack,
        slash_command(
            "create hal@example.com Help", user_id=OMAR, channel_id=CHANNEL, response_url=url
        ),
    )
    view = await opened(stack)
    assert view.get("submit") is None
    refusal = flat(shown(view))
    assert "not" in refusal.lower()
    # A hand-made submission is refused in the ack, before anything reaches Mava.
    ack = await deliver(
        stack, submission(view, {"customer_email": "hal@example.com", "text": "Help"}, OMAR)
    )
    assert ack is not None and ack["response_action"] == "update"
    assert flat(shown(ack["view"])) == refusal
    await idle(stack)
    assert writes(stack, "/api/ticket") == []
    rows = [r for r in await audit_rows(stack) if r.slack_user_id == OMAR]
    assert [(r.action, r.outcome) for r in rows[-2:]] == [("create", "refused")] * 2


async def test_slack_refusing_the_modal_is_told_with_the_command(stack: Stack) -> None:
    stack.slack.fail("views.open", "expired_trigger_id")
    url = stack.slack.response_url(channel=CHANNEL)
    await deliver(
        stack,
        slash_command(
            "create ivy@example.com Hi", user_id=JANE, channel_id=CHANNEL, response_url=url
        ),
    )
    said = flat(shown(await answer(stack, url.rsplit("/", 1)[-1])))
    assert "could not open" in said and "/mava create EMAIL" in said
    assert writes(stack, "/api/ticket") == []
