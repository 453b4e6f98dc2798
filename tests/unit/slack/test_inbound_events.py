"""The door's reading of Events API bodies (JSON): what reaches the listener, what is
acked and dropped, and what is refused with a 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mava_bridge.domain.refused import Refused
from mava_bridge.slack.inbound import JSON_TYPE, parse
from mava_sandbox.slack_requests import event_callback, url_verification

MESSAGE = {
    "type": "message",
    "channel": "C0SUPPORT",
    "user": "U0JANE",
    "text": "hello",
    "ts": "1767225600.000200",
    "thread_ts": "1767225600.000100",
}


def body(**changes: Any) -> str:
    """An event_callback for MESSAGE with `changes` applied to the event (None deletes)."""
    event = {k: v for k, v in {**MESSAGE, **changes}.items() if v is not None}
    return event_callback(event)


def test_url_verification_carries_its_challenge() -> None:
    inbound = parse(JSON_TYPE, url_verification("abc"))
    assert (inbound.kind, inbound.body["challenge"]) == ("url_verification", "abc")
    with pytest.raises(Refused):
        parse(JSON_TYPE, json.dumps({"type": "url_verification"}))


def test_a_message_event_reaches_the_listener() -> None:
    inbound = parse(JSON_TYPE, body())
    assert (inbound.kind, inbound.name) == ("event", "message")
    assert inbound.body["event"]["text"] == "hello"


def test_edits_and_deletions_keep_their_inner_message() -> None:
    changed = body(subtype="message_changed", message={"ts": "1.2", "thread_ts": "1.1"})
    assert parse(JSON_TYPE, changed).kind == "event"


def test_an_event_type_nobody_listens_to_is_ignored_not_refused() -> None:
    inbound = parse(JSON_TYPE, event_callback({"type": "reaction_removed", "user": "U0JANE"}))
    assert (inbound.kind, inbound.name) == ("ignored", "reaction_removed")
    limited = parse(JSON_TYPE, json.dumps({"type": "app_rate_limited", "team_id": "T1"}))
    assert limited.kind == "ignored"


REACTION = {
    "type": "reaction_added",
    "user": "U0JANE",
    "reaction": "eyes",
    "item_user": "U0BOT",
    "item": {"type": "message", "channel": "C0SUPPORT", "ts": "1767225600.000100"},
    "event_ts": "1767225601.000100",
}


def test_a_reaction_reaches_the_listener_without_a_top_level_channel() -> None:
    inbound = parse(JSON_TYPE, event_callback(REACTION))
    assert (inbound.kind, inbound.name) == ("event", "reaction_added")
    on_a_file = {**REACTION, "item": {"type": "file", "file": "F1"}}
    assert parse(JSON_TYPE, event_callback(on_a_file)).kind == "event"


@pytest.mark.parametrize(
    "changes",
    [{"reaction": None}, {"user": 7}, {"item": "C0SUPPORT"}, {"item": {"channel": "C1"}}],
)
def test_malformed_reactions_are_refused(changes: dict[str, Any]) -> None:
    event = {k: v for k, v in {**REACTION, **changes}.items() if v is not None}
    with pytest.raises(Refused):
        parse(JSON_TYPE, event_callback(event))


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("[1, 2]", 400),
        ("not json", 400),
        (json.dumps({"type": "block_actions"}), 404),
        (json.dumps({"type": "event_callback"}), 400),  # no event_id
        (json.dumps({"type": "event_callback", "event_id": "Ev1", "event": []}), 400),
        (body(channel=None), 400),
        (body(channel=5), 400),
        (body(user={"id": "U0JANE"}), 400),
        (body(thread_ts=1.5), 400),
        (body(files="screenshot.png"), 400),
        (body(subtype="message_changed", message="edited"), 400),
        (body(subtype="message_deleted", previous_message={"ts": 1}), 400),
    ],
)
def test_malformed_events_are_refused(raw: str, status: int) -> None:
    with pytest.raises(Refused) as refused:
        parse(JSON_TYPE, raw)
    assert refused.value.status == status


def test_json_sent_as_a_form_is_still_refused() -> None:
    with pytest.raises(Refused) as refused:
        parse("application/x-www-form-urlencoded", body())
    assert refused.value.status == 415
