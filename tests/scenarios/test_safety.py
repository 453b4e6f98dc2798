"""Safety: signatures, who may act, at-most-once writes, the audit trail, no leaked secrets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, sign, slash_command
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN
from mava_sandbox.stack import Stack

from .conftest import (
    BOT,
    CHANNEL,
    EXTERNAL,
    GUEST,
    JANE,
    LOOKUP_ACK_SECONDS,
    OMAR,
    SAM,
    ack_json,
    answer,
    assert_ack,
    audit_rows,
    flat,
    idle,
    mava_ticket,
    messages,
    new_ticket,
    post_resolve_button,
    run,
    scenario_stack,
    send,
    shown,
    view_update,
    views_opened,
    writes,
)
from .home_helpers import home_event

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
AUDIT_CHANNEL = "C0AUDIT"
MAVA_KEY = "mava-secret-key-7f3a9c"
DUPLICATE = "That was already submitted a moment ago, so it was not sent again."
TEXT_STATE = {"text_input": {"type": "plain_text_input", "value": "hello"}}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    """This module's stack mirrors the audit log into a channel and has its own Mava key."""
    async with scenario_stack(audit_channel=AUDIT_CHANNEL, mava_options={"api_key": MAVA_KEY}) as s:
        yield s


def agent_messages(stack: Stack, ticket: str) -> list[JSON]:
    return [m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"]


# --- request signatures -------------------------------------------------------------------


async def test_bad_signature_is_refused_and_nothing_happens(stack: Stack) -> None:
    ticket = new_ticket(stack)
    body = slash_command(f"reply {ticket} forged!", response_url=stack.slack.response_url())
    forged = sign("not-the-signing-secret", body)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    tampered = sign(DEFAULT_SIGNING_SECRET, body.replace("forged", "benign"))

    for headers in (forged, unsigned, tampered):
        response = await stack.sender.post_raw(body, headers)
        assert response.status_code == 401

    await asyncio.sleep(0.2)  # anything the bot would do, it would have started by now
    assert stack.slack.calls() == []
    assert stack.mava.sandbox.requests == []
    assert agent_messages(stack, ticket) == []
    assert await audit_rows(stack, ticket) == []


async def test_stale_timestamp_is_refused(stack: Stack) -> None:
    ticket = new_ticket(stack)
    response = await stack.sender.command(
        f"reply {ticket} replayed", timestamp=int(time.time()) - 10 * 60
    )
    assert response.status_code == 401
    await asyncio.sleep(0.2)
    assert stack.slack.calls() == []
    assert stack.mava.sandbox.requests == []
    assert agent_messages(stack, ticket) == []


# --- who may act --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "sentence"),
    [
        (GUEST, "Guests can't act on Mava tickets."),
        (EXTERNAL, "People from another workspace (Slack Connect) can't act on Mava tickets here."),
        (BOT, "Bots can't act on Mava tickets."),
    ],
)
async def test_guests_external_people_and_bots_are_refused(
    stack: Stack, user_id: str, sentence: str
) -> None:
    ticket = new_ticket(stack)
    reply = flat(shown(await run(stack, f"reply {ticket} hello from outside", user_id=user_id)))
    assert sentence in reply

    # The same person through a button and a shortcut.
    assert_ack(await stack.sender.action("ticket_resolve", ticket, user_id=user_id))
    await stack.slack.wait_for("response_url", 2)
    assert sentence in flat(shown(stack.slack.responses()[-1]))
    assert_ack(
        await stack.sender.shortcut(
            "reply_to_customer",
            message={"user": SAM, "text": f"About {ticket}"},
            user_id=user_id,
        )
    )
    await stack.slack.wait_for("views.open")
    # The modal opens at once ("Loading…"), then says why not.
    assert sentence in flat(shown(await view_update(stack, views_opened(stack)[-1]["id"])))

    assert agent_messages(stack, ticket) == []
    assert mava_ticket(stack, ticket)["status"] == "Open"
    assert writes(stack, "/api/message") == writes(stack, "/api/ticket") == []
    rows = await audit_rows(stack, ticket)
    assert [(r.slack_user_id, r.action, r.outcome, r.summary.split(":")[0]) for r in rows] == [
        (user_id, "reply", "refused", "/mava"),
        (user_id, "resolve", "refused", "button"),
        (user_id, "reply", "refused", "shortcut"),
    ]


async def test_a_refused_person_cannot_send_a_confirm_view(stack: Stack) -> None:
    """A hand-made submission of the final step (on the modal that refused them) is
    checked again."""
    ticket = new_ticket(stack)
    assert_ack(
        await stack.sender.shortcut(
            "reply_to_customer", message={"user": SAM, "text": ticket}, user_id=GUEST
        )
    )
    await stack.slack.wait_for("views.open")
    refusal = views_opened(stack)[0]
    await view_update(stack, refusal["id"])  # "Loading…", then the refusal
    meta = json.dumps({"ticket": ticket, "text": "sneaky", "channel": CHANNEL})
    response = await stack.sender.submit_view(
        "shortcut_reply_confirm", {}, user_id=GUEST, private_metadata=meta, view=refusal
    )
    assert ack_json(response)["response_action"] == "update"
    done = await view_update(stack, refusal["id"], 2)
    assert "Guests can't act on Mava tickets." in flat(shown(done))
    assert agent_messages(stack, ticket) == []


@pytest.mark.parametrize(
    ("callback_id", "meta", "values"),
    [
        ("reply_modal", {"channel": CHANNEL}, {"text": TEXT_STATE}),
        ("note_modal", {"ticket": "../api/ticket", "channel": CHANNEL}, {"text": TEXT_STATE}),
        ("shortcut_reply_confirm", {"text": "hello", "channel": CHANNEL}, {}),
        ("shortcut_reply_confirm", {"ticket": "TICKET", "channel": CHANNEL}, {}),
    ],
)
async def test_a_window_that_does_not_say_its_ticket_sends_nothing(
    stack: Stack, callback_id: str, meta: JSON, values: JSON
) -> None:
    """A hand-made submission of an editor or the confirm step without the ticket (or
    the text) it is for: told at once in the window, nothing reaches Mava."""
    ticket = new_ticket(stack)
    meta = {k: ticket if v == "TICKET" else v for k, v in meta.items()}
    response = await stack.sender.submit_view(
        callback_id, values, private_metadata=json.dumps(meta)
    )
    ack = ack_json(response)
    assert ack["response_action"] == "update"
    assert "does not say which ticket (or what message) it is for" in flat(shown(ack["view"]))
    await asyncio.sleep(0.2)  # anything the bot would do, it would have started by now
    assert stack.mava.sandbox.requests == []
    assert agent_messages(stack, ticket) == []


@pytest.mark.parametrize("user_id", [JANE, GUEST])
async def test_a_modal_closed_before_the_outcome_keeps_the_ack(stack: Stack, user_id: str) -> None:
    """views.update fails once the person closed the modal; the submission still acks
    (Bolt turns a listener error raised right after ack() into a 404 for Slack)."""
    ticket = new_ticket(stack)
    await run(stack, "help", user_id=user_id)
    await stack.runtime.deps.access.person(user_id)  # cached: the refusal comes at once
    stack.slack.fail("views.update", "not_found", times=None)
    meta = json.dumps({"ticket": ticket, "text": "Closed too soon", "channel": CHANNEL})
    for _ in range(2):  # the second is a duplicate, answered without touching Mava
        response = await stack.sender.submit_view(
            "shortcut_reply_confirm", {}, user_id=user_id, private_metadata=meta, view_id="V0GONE"
        )
        assert ack_json(response)["response_action"] == "update"
    await stack.slack.wait_for("views.update", 2)
    sent = [m["content"] for m in agent_messages(stack, ticket)]
    assert sent == (["Closed too soon"] if user_id == JANE else [])


@pytest.mark.parametrize(
    ("settings", "allowed", "refused"),
    [
        ({"allowed_slack_user_ids": OMAR}, [OMAR], [JANE, SAM]),
        ({"allowed_slack_usergroup_ids": "S0SUPPORT"}, [JANE, SAM], [OMAR]),
        (
            {"allowed_slack_user_ids": OMAR, "allowed_slack_usergroup_ids": "S0SUPPORT"},
            [JANE, OMAR],
            [],
        ),
    ],
)
async def test_allow_lists(settings: JSON, allowed: list[str], refused: list[str]) -> None:
    async with scenario_stack(**settings) as stack:
        ticket = new_ticket(stack)
        for user_id in allowed:
            body = await run(stack, f"reply {ticket} hello from {user_id}", user_id=user_id)
            assert "Sent to the customer" in body["text"], (user_id, body["text"])
        for user_id in refused:
            text = flat(shown(await run(stack, f"reply {ticket} from {user_id}", user_id=user_id)))
            assert "You are not on the list of people allowed to use /mava" in text
            # Opening App Home is refused and audited like the command.
            assert_ack(await stack.sender.event(home_event(user_id)))
            await idle(stack)
            home = stack.slack.home_view(user_id)
            assert home is not None and "not on the list of people allowed" in json.dumps(home)
            rows = [r for r in await audit_rows(stack) if r.slack_user_id == user_id]
            assert [(r.action, r.outcome) for r in rows] == [
                ("reply", "refused"),
                ("home", "refused"),
            ]
        assert [m["content"] for m in agent_messages(stack, ticket)] == [
            f"hello from {user_id}" for user_id in allowed
        ]


# --- at most once -------------------------------------------------------------------------


async def test_the_same_reply_command_twice_sends_once(stack: Stack) -> None:
    ticket = new_ticket(stack)
    text = f"reply {ticket} Your refund is on its way."
    first, second = await asyncio.gather(send(stack, text), send(stack, text))
    answers = [await answer(stack, first.target), await answer(stack, second.target)]
    sentences = sorted(flat(shown(a)) for a in answers)
    assert sentences[0] == f":warning: {DUPLICATE}"
    assert sentences[1].startswith(":white_check_mark: Sent to the customer")
    # And once more a moment later, after the first has finished.
    assert DUPLICATE in flat(shown(await run(stack, text)))

    assert [m["content"] for m in agent_messages(stack, ticket)] == ["Your refund is on its way."]
    assert len(writes(stack, "/api/message")) == 1
    outcomes = sorted(r.outcome for r in await audit_rows(stack, ticket))
    assert outcomes == ["duplicate", "duplicate", "ok"]


async def test_the_same_confirm_view_twice_sends_once(stack: Stack) -> None:
    ticket = new_ticket(stack)
    assert_ack(
        await stack.sender.shortcut(
            "reply_to_customer", message={"user": SAM, "text": f"Re {ticket}: all fixed"}
        )
    )
    await stack.slack.wait_for("views.open")
    await view_update(stack, views_opened(stack)[0]["id"])  # "Loading…", then the editor
    view = stack.slack.view(views_opened(stack)[0]["id"])
    assert view is not None
    review = ack_json(
        await stack.sender.submit_view(
            "shortcut_reply_modal", {"ticket": ticket, "text": "All fixed, sorry!"}, view=view
        ),
        LOOKUP_ACK_SECONDS,
    )
    confirm = {**review["view"], "id": view["id"]}

    acks = await asyncio.gather(
        stack.sender.submit_view("shortcut_reply_confirm", {}, view=confirm),
        stack.sender.submit_view("shortcut_reply_confirm", {}, view=confirm),
    )
    for response in acks:
        assert ack_json(response)["response_action"] == "update"
    await view_update(stack, view["id"], 3)
    results = sorted(
        flat(shown(c.params["view"]))
        for c in stack.slack.calls("views.update")[1:]  # after the editor's own
        if c.params.get("view_id") == view["id"]
    )
    assert len(results) == 2
    assert results[0].startswith(":warning: That was already submitted")
    assert results[1].startswith(":white_check_mark: Sent to the customer")
    assert [m["content"] for m in agent_messages(stack, ticket)] == ["All fixed, sorry!"]


async def test_a_double_click_on_resolve_writes_once(stack: Stack) -> None:
    ticket = new_ticket(stack)
    message = await post_resolve_button(stack, ticket, "one ticket")
    assert message is not None
    clicks = await asyncio.gather(
        stack.sender.action("ticket_resolve", ticket, message=message),
        stack.sender.action("ticket_resolve", ticket, message=message),
    )
    for response in clicks:
        assert_ack(response)
    await stack.slack.wait_for("chat.update")
    for _ in range(50):  # both handlers have audited
        if len(await audit_rows(stack, ticket)) == 2:
            break
        await asyncio.sleep(0.02)
    puts = [r for r in writes(stack, "/api/ticket") if r.body.get("ticketId") == ticket]
    assert len(puts) == 1
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    assert sorted(r.outcome for r in await audit_rows(stack, ticket)) == ["duplicate", "ok"]
    assert len(stack.slack.calls("chat.update")) == 1


# --- audit trail --------------------------------------------------------------------------


async def test_audit_rows_and_the_audit_channel(stack: Stack) -> None:
    ticket = new_ticket(stack)
    await run(stack, f"priority {ticket} high")
    # A multi-line reply through the editor: the channel record must stay one line.
    await send(stack, f"reply {ticket}")
    await stack.slack.wait_for("views.open")
    opened = views_opened(stack)[0]
    await view_update(stack, opened["id"])
    stored = stack.slack.view(opened["id"])
    assert stored is not None
    text = "Hello <!channel>,\nit works now.\n\nBest, Jane"
    ack_json(await stack.sender.submit_view("reply_modal", {"text": text}, view=stored))
    await view_update(stack, opened["id"], 2)

    rows = await audit_rows(stack, ticket)
    assert [(r.slack_user_id, r.slack_user_name, r.channel_id, r.ticket_id) for r in rows] == [
        (JANE, "Jane", CHANNEL, ticket)
    ] * 2
    assert [(r.action, r.summary, r.outcome) for r in rows] == [
        ("priority", "priority -> High", "ok"),
        ("reply", text, "ok"),
    ]
    assert all(r.at is not None for r in rows)

    posted = [m["text"] for m in stack.slack.messages(AUDIT_CHANNEL)]
    assert len(posted) == 2
    for line, action in zip(posted, ("priority", "reply"), strict=True):
        assert "\n" not in line
        assert line.startswith(f"<@{JANE}> {action} `{ticket}` in <#{CHANNEL}>: ")
        assert line.endswith("(ok)")
    assert "&lt;!channel&gt;" in posted[1] and "<!channel>" not in posted[1]


async def test_no_secret_reaches_slack(stack: Stack) -> None:
    """Run a spread of successes and failures, then read every recorded Slack call."""
    ticket = new_ticket(stack)
    await run(stack, "help")
    await run(stack, f"show {ticket}")
    await run(stack, f"reply {ticket} hi")
    await run(stack, f"reply {ticket}x nope")
    stack.mava.sandbox.inject("status", status=500, times=None)
    await run(stack, f"note {ticket} while Mava is down")
    stack.mava.sandbox.clear_faults()
    secrets = (DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET, MAVA_KEY)

    async with scenario_stack(mava_api_token="wrong-mava-key-31337") as wrong:
        await run(wrong, f"show {ticket}")
        recorded = [*stack.slack.calls(), *wrong.slack.calls()]
    assert recorded
    for call in recorded:
        dumped = json.dumps(call.params) + json.dumps(call.response)
        for secret in (*secrets, "wrong-mava-key-31337"):
            assert secret not in dumped, (call.method, secret)
