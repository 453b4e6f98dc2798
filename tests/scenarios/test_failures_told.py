"""Every failure told: whatever Slack refuses, the person who acted learns the outcome.

Slack is the local stub with its fault switches; Mava the sandbox; every request signed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from mava_sandbox.slack_stub import RESPONSE_URL
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    LOOKUP_ACK_SECONDS,
    SAM,
    ack_json,
    answer,
    assert_ack,
    audit_rows,
    flat,
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

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
Fault = Callable[[Stack], None]


def expired(stack: Stack) -> None:
    stack.slack.fail(RESPONSE_URL, "expired_url")  # Slack: 404 "expired_url"


def server_error(stack: Stack) -> None:
    stack.slack.http_error(RESPONSE_URL, 500)


def html_bad_gateway(stack: Stack) -> None:
    stack.slack.http_error(RESPONSE_URL, 502, body=HTML_502, content_type="text/html")


RESPONSE_URL_FAULTS = [
    pytest.param(expired, "expired_url", id="404-expired"),
    pytest.param(server_error, "internal_error", id="500-json"),
    pytest.param(html_bad_gateway, "HTTP 502", id="502-html"),
]


def ephemerals_to(stack: Stack, user: str) -> list[str]:
    return [flat(shown(e)) for e in stack.slack.ephemerals(user)]


def dms_to(stack: Stack, user: str) -> list[str]:
    return [flat(shown(m)) for m in stack.slack.messages(user)]


async def eventually(check: Callable[[], Any]) -> Any:
    """Wait (up to 8 s) until `check()` is truthy (the bot works after its ack)."""
    for _ in range(400):
        if found := check():
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not get there in 8 s")


def notes(stack: Stack, ticket: str) -> list[str]:
    return [m["content"] for m in messages(stack, ticket, "InternalNote")]


def assert_clean_logs(caplog: pytest.LogCaptureFixture, stack: Stack) -> None:
    """No traceback, and no response_url (it lets anyone post as the bot) in any line."""
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert f"{stack.slack.base_url}response/" not in record.getMessage()
        assert "xoxb-" not in record.getMessage()


def crafted(ticket: str, text: str) -> JSON:
    """A modal's state as a hand-made submission gives it."""
    return {
        "ticket": {"ticket_input": {"type": "plain_text_input", "value": ticket}},
        "text": {"text_input": {"type": "plain_text_input", "value": text}},
    }


def new_member(stack: Stack, user_id: str) -> str:
    """A full member the bot has not looked up yet (nothing cached)."""
    name = user_id.lower()
    stack.slack.add_user(user_id, name=name, real_name=f"{name} Member", email=f"{name}@ex.com")
    return user_id


# --- 1. a write that happened is always confirmed -----------------------------------------


@pytest.mark.parametrize(("fault", "error"), RESPONSE_URL_FAULTS)
async def test_a_note_is_confirmed_in_an_ephemeral_when_the_response_url_fails(
    stack: Stack, caplog: pytest.LogCaptureFixture, fault: Fault, error: str
) -> None:
    caplog.set_level(logging.WARNING)
    ticket = new_ticket(stack)
    fault(stack)
    await send(stack, f"note {ticket} Customer called back")
    [shown_to_jane] = await eventually(lambda: ephemerals_to(stack, JANE))

    assert shown_to_jane == f":white_check_mark: Private note added to ticket {ticket}."
    assert notes(stack, ticket) == ["Note from Jane via Slack: Customer called back"]
    assert len(writes(stack, "/api/message")) == 1
    [refused] = stack.slack.calls(RESPONSE_URL)  # tried once, then the ephemeral
    assert not refused.ok
    assert stack.slack.calls("conversations.open") == []  # the ephemeral was enough
    [row] = await audit_rows(stack, ticket)
    assert (row.action, row.outcome) == ("note", "ok")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("response_url refused" in w and error in w for w in warnings), warnings
    assert_clean_logs(caplog, stack)


async def test_with_the_ephemeral_refused_too_the_outcome_arrives_as_a_dm(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    ticket = new_ticket(stack)
    expired(stack)
    stack.slack.fail("chat.postEphemeral", "channel_not_found")  # the bot is not in it
    await send(stack, f"note {ticket} Refund approved")
    [dm] = await eventually(lambda: dms_to(stack, JANE))

    assert dm == f":white_check_mark: Private note added to ticket {ticket}."
    assert stack.slack.ephemerals() == []
    assert [c.params["users"] for c in stack.slack.calls("conversations.open")] == [JANE]
    assert notes(stack, ticket) == ["Note from Jane via Slack: Refund approved"]
    assert len(writes(stack, "/api/message")) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("expired_url" in w for w in warnings)
    assert any("chat.postEphemeral failed (channel_not_found)" in w for w in warnings)
    assert_clean_logs(caplog, stack)


async def test_retyping_after_the_fallback_sends_nothing_twice(stack: Stack) -> None:
    """The person was told, so a retry is caught as a duplicate, not written again."""
    ticket = new_ticket(stack)
    expired(stack)
    await send(stack, f"reply {ticket} Your refund is on its way")
    await eventually(lambda: ephemerals_to(stack, JANE))
    sent = await send(stack, f"reply {ticket} Your refund is on its way")
    assert "already submitted" in flat(shown(await answer(stack, sent.target)))
    customer = [m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"]
    assert [m["content"] for m in customer] == ["Your refund is on its way"]


async def test_an_error_is_told_when_the_response_url_fails(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.inject("status", status=400, path="/api/message", times=None)
    server_error(stack)
    await send(stack, f"note {ticket} while Mava says no")
    [shown_to_jane] = await eventually(lambda: ephemerals_to(stack, JANE))
    assert shown_to_jane.startswith(":warning: ")
    assert notes(stack, ticket) == []


async def test_a_button_outcome_is_told_when_its_message_cannot_be_redrawn(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Resolve on a digest item: chat.update answers an HTML 502 (twice: slack_sdk retries a
    5xx once), so the redraw fails; the resolve stands and the person is told."""
    caplog.set_level(logging.WARNING)
    ticket = new_ticket(stack)
    message = await post_resolve_button(stack, ticket, "digest")
    stack.slack.http_error("chat.update", 502, times=None, body=HTML_502, content_type="text/html")
    assert_ack(await stack.sender.action("ticket_resolve", ticket, message=message))
    [answer] = await eventually(lambda: stack.slack.responses())
    assert flat(shown(answer)) == f":white_check_mark: Ticket {ticket} resolved."
    assert stack.mava.sandbox.get(ticket)["status"] == "Resolved"  # type: ignore[index]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("chat.update failed (HTTP 502)" in w for w in warnings), warnings
    assert_clean_logs(caplog, stack)


async def test_a_modal_closed_before_the_outcome_gets_it_as_an_ephemeral(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.slack.fail("views.update", "not_found", times=None)  # the person closed it
    meta = json.dumps({"ticket": ticket, "text": "We shipped it", "channel": CHANNEL})
    response = await stack.sender.submit_view(
        "shortcut_reply_confirm", {}, private_metadata=meta, view_id="V0CLOSED"
    )
    assert ack_json(response)["response_action"] == "update"
    [told] = await eventually(lambda: ephemerals_to(stack, JANE))
    assert told == f":white_check_mark: Sent to the customer on ticket {ticket}."
    customer = [m for m in messages(stack, ticket, "ExternalMessage") if m["senderType"] == "agent"]
    assert [m["content"] for m in customer] == ["We shipped it"]


# --- 2. a modal that cannot open is explained ---------------------------------------------


async def open_each_modal(stack: Stack, users: list[str], ticket: str) -> None:
    """The six ways to open an editor: /mava reply|note TICKET, the Reply and Add note
    buttons, and both message shortcuts; one person each."""
    message = {"user": SAM, "ts": "1767225600.000500", "text": f"About {ticket}"}
    requests = [
        stack.sender.command(f"reply {ticket}", user_id=users[0], channel_id=CHANNEL),
        stack.sender.command(f"note {ticket}", user_id=users[1], channel_id=CHANNEL),
        stack.sender.action("ticket_reply", ticket, user_id=users[2]),
        stack.sender.action("ticket_note", ticket, user_id=users[3]),
        stack.sender.shortcut("reply_to_customer", message=message, user_id=users[4]),
        stack.sender.shortcut("add_private_note", message=message, user_id=users[5]),
    ]
    for response in await asyncio.gather(*requests):
        assert_ack(response)


EDITORS = [
    "reply_modal",
    "note_modal",
    "reply_modal",
    "note_modal",
    "shortcut_reply_modal",
    "shortcut_note_modal",
]


async def test_a_slow_profile_lookup_does_not_expire_the_trigger(stack: Stack) -> None:
    """users.info takes 3 s, as long as a trigger id lives: the modals open first
    ("Loading…") and show the editor once the person is known."""
    ticket = new_ticket(stack)
    users = [new_member(stack, f"U0SLOW{i}") for i in range(6)]
    stack.slack.slow_down("users.info", 3)
    await open_each_modal(stack, users, ticket)

    opened = await stack.slack.wait_for("views.open", 6, timeout=3.0)
    assert all(call.ok for call in opened), [c.error for c in opened]
    assert {flat(shown(c.response["view"])) for c in opened if c.response} == {"Loading…"}
    updates = await stack.slack.wait_for("views.update", 6, timeout=10.0)
    assert sorted(c.params["view"]["callback_id"] for c in updates) == sorted(EDITORS)
    assert stack.slack.ephemerals() == [] and stack.slack.responses() == []


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (
            lambda s: s.slack.fail("views.open", "expired_trigger_id", times=None),
            "expired_trigger_id",
        ),
        (lambda s: s.slack.http_error("views.open", 500, times=None), "internal_error"),
        (
            lambda s: s.slack.http_error(
                "views.open", 502, times=None, body=HTML_502, content_type="text/html"
            ),
            "HTTP 502",
        ),
    ],
    ids=["expired-trigger", "500-json", "502-html"],
)
async def test_a_modal_that_cannot_open_is_explained_with_the_command(
    stack: Stack, caplog: pytest.LogCaptureFixture, fault: Fault, error: str
) -> None:
    caplog.set_level(logging.WARNING)
    ticket = new_ticket(stack)
    fault(stack)
    await open_each_modal(stack, [JANE] * 6, ticket)
    answers = await stack.slack.wait_for(RESPONSE_URL, 6, predicate=lambda c: c.ok)
    told = sorted(flat(shown(c.params)) for c in answers)
    for verb in ("note", "note", "note", "reply", "reply", "reply"):
        sentence = told.pop(0) if verb in told[0] else told.pop()
        assert sentence.startswith(":warning: Slack could not open the"), sentence
        assert f"({error}), so nothing was done." in sentence
        assert f"type: /mava {verb} {ticket} your text" in sentence
    assert writes(stack, "/api/message") == []
    assert await audit_rows(stack, ticket) == []
    assert_clean_logs(caplog, stack)


async def test_when_neither_modal_nor_response_url_work_the_ephemeral_says_so(
    stack: Stack,
) -> None:
    ticket = new_ticket(stack)
    stack.slack.fail("views.open", "expired_trigger_id")
    expired(stack)
    await send(stack, f"note {ticket}")
    [told] = await eventually(lambda: ephemerals_to(stack, JANE))
    assert "(expired_trigger_id), so nothing was done." in told
    assert told.endswith(f"To do the same without it, type: /mava note {ticket} your text")


# --- 3. Slack answering non-JSON ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status", "named"),
    [
        (HTML_502, "text/html", 502, "HTTP 502"),
        ("Internal Server Error", "text/plain", 500, "HTTP 500"),
    ],
    ids=["html-502", "text-500"],
)
async def test_users_info_answering_non_json_gets_a_plain_sentence(
    stack: Stack,
    caplog: pytest.LogCaptureFixture,
    body: str,
    content_type: str,
    status: int,
    named: str,
) -> None:
    caplog.set_level(logging.INFO)
    ticket = new_ticket(stack)
    user = new_member(stack, f"U0HTML{status}")
    stack.slack.http_error("users.info", status, times=None, body=body, content_type=content_type)
    sent = await send(stack, f"note {ticket} hello", user_id=user)
    [answer] = await stack.slack.wait_for(RESPONSE_URL, predicate=lambda c: c.target == sent.target)
    assert flat(shown(answer.params)) == (
        f":warning: Your Slack profile could not be looked up ({named}), so the action was "
        "not taken. Try again in a moment."
    )
    assert notes(stack, ticket) == []
    assert stack.mava.sandbox.requests == []
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.outcome) == (user, "refused")
    assert_clean_logs(caplog, stack)


# --- 4. refusals are audited everywhere ---------------------------------------------------


async def test_a_guest_is_refused_and_audited_at_every_door(stack: Stack) -> None:
    ticket = new_ticket(stack)
    guest = "U0GUEST"
    message = {"user": SAM, "ts": "1767225600.000600", "text": f"About {ticket}"}
    meta = json.dumps({"channel": CHANNEL, "ticket": ticket, "text": "sneaky"})
    for action_id in ("ticket_reply", "ticket_note", "ticket_assign_me", "ticket_resolve"):
        assert_ack(await stack.sender.action(action_id, ticket, user_id=guest))
    for callback_id in ("reply_to_customer", "add_private_note"):
        assert_ack(await stack.sender.shortcut(callback_id, message=message, user_id=guest))
    acks = []
    for callback_id in (
        "reply_modal",
        "note_modal",
        "shortcut_note_modal",
        "shortcut_reply_modal",
        "shortcut_reply_confirm",
    ):
        response = await stack.sender.submit_view(
            callback_id, crafted(ticket, "sneaky"), user_id=guest, private_metadata=meta
        )
        acks.append(ack_json(response, LOOKUP_ACK_SECONDS))

    # The shortcut editors' acks say why at once, with nothing from Mava in them.
    for ack in acks[2:4]:
        assert ack["response_action"] == "update"
        assert "Guests can't act on Mava tickets." in flat(shown(ack["view"]))
    assert "@" not in json.dumps([a.get("view") for a in acks])  # no customer email

    def refused() -> list[Any]:
        return [(r.action, r.summary.split(":")[0]) for r in rows if r.outcome == "refused"]

    for _ in range(200):
        rows = await audit_rows(stack, ticket)
        if len(rows) >= 11:
            break
        await asyncio.sleep(0.02)
    assert all(r.slack_user_id == guest and r.outcome == "refused" for r in rows)
    assert sorted(refused()) == sorted(
        [
            ("reply", "button"),
            ("note", "button"),
            ("assign", "button"),
            ("resolve", "button"),
            ("reply", "shortcut"),
            ("note", "shortcut"),
            ("reply", "modal"),
            ("note", "modal"),
            ("note", "modal"),
            ("reply", "modal"),
            ("reply", "modal"),
        ]
    )
    await asyncio.sleep(0.3)  # anything else the bot would do, it has done by now
    assert len(await audit_rows(stack, ticket)) == 11
    assert stack.mava.sandbox.requests == []  # not even a look-up


# --- 5. access before data ----------------------------------------------------------------


def leave_the_group(stack: Stack) -> None:
    stack.slack.add_usergroup("S0SUPPORT", [SAM])


def become_a_guest(stack: Stack) -> None:
    stack.slack.add_user(JANE, name="jane", real_name="Jane Smith", is_restricted=True)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (None, None),
        (leave_the_group, "You are not on the list of people allowed to use /mava."),
        (become_a_guest, "Guests can't act on Mava tickets."),
    ],
    ids=["still-allowed", "left-the-group", "became-a-guest"],
)
async def test_access_is_checked_again_before_the_confirm_step_shows_the_customer(
    change: Fault | None, refusal: str | None
) -> None:
    """Jane opens "Reply to customer"; before she submits, she leaves the allowed user
    group or becomes a guest. The confirm step (it shows the customer's email) is not
    shown and Mava is not asked. Unchanged, she sees it: the check is what stops it."""
    async with scenario_stack(
        allowed_slack_usergroup_ids="S0SUPPORT", user_cache_ttl_seconds=0
    ) as stack:
        email = "kim@customer.example"
        customer = stack.mava.sandbox.add_customer(name="Kim", email=email)
        ticket = new_ticket(stack, customer=customer.id)
        message = {"user": SAM, "ts": "1767225600.000700", "text": f"About {ticket}"}
        assert_ack(await stack.sender.shortcut("reply_to_customer", message=message))
        await stack.slack.wait_for("views.open")
        view_id = views_opened(stack)[0]["id"]
        await view_update(stack, view_id)
        editor = stack.slack.view(view_id)
        assert editor is not None and editor["callback_id"] == "shortcut_reply_modal"

        if change is not None:
            change(stack)
        stack.mava.sandbox.reset_requests()
        response = await stack.sender.submit_view(
            "shortcut_reply_modal", {"ticket": ticket, "text": "Hello Kim"}, view=editor
        )
        ack = ack_json(response, LOOKUP_ACK_SECONDS)
        assert ack["response_action"] == "update"
        rows = await audit_rows(stack, ticket)
        if refusal is None:
            assert ack["view"]["callback_id"] == "shortcut_reply_confirm"
            assert email in flat(shown(ack["view"]))
            assert rows == []
            return
        assert refusal in flat(shown(ack["view"]))
        assert email not in json.dumps(ack)
        assert stack.mava.sandbox.requests == []
        assert [(r.slack_user_id, r.action, r.outcome, r.summary.split(":")[0]) for r in rows] == [
            (JANE, "reply", "refused", "modal")
        ]


async def test_a_group_list_answering_html_is_told_and_not_cached() -> None:
    """ALLOWED_SLACK_USERGROUP_IDS: a 502 listing the group is neither "you are not on
    the list" nor remembered; the next try, with Slack back, works."""
    async with scenario_stack(allowed_slack_usergroup_ids="S0SUPPORT") as stack:
        ticket = new_ticket(stack)
        stack.slack.http_error(
            "usergroups.users.list", 502, times=None, body=HTML_502, content_type="text/html"
        )
        refused = flat(shown(await run(stack, f"note {ticket} first try")))
        assert refused == (
            ":warning: Slack could not list the allowed user groups (HTTP 502), so the action "
            "was not taken. Try again in a moment."
        )
        stack.slack.clear_faults()
        done = flat(shown(await run(stack, f"note {ticket} second try")))
        assert done == f":white_check_mark: Private note added to ticket {ticket}."
        assert notes(stack, ticket) == ["Note from Jane via Slack: second try"]
