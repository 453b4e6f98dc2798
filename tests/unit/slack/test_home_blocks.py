"""The App Home view (#14): order, Slack's 100-block limit, escaping, who sees what."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mava_bridge.domain.refused import Refused
from mava_bridge.mava.models import Ticket
from mava_bridge.slack.blocks.home import (
    HomeModel,
    home_view,
    longest_waiting_first,
    queue_order,
    ticket_of_follow_block,
)
from mava_bridge.slack.inbound import JSON_TYPE, parse
from mava_sandbox.slack_requests import event_callback

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DASHBOARD = "https://dashboard.example"


def link(ticket_id: str) -> str:
    return f"{DASHBOARD}/t?id={ticket_id}"


def ticket(
    n: int,
    *,
    priority: int | str | None = 2,
    waited: float | None = 10,
    created: float = 60,
    name: str = "Ann",
    agent: str | None = None,
) -> Ticket:
    messages: list[dict[str, Any]] = []
    if waited is not None:
        at = NOW - timedelta(minutes=waited)
        messages.append({"senderType": "customer", "content": "hi", "createdAt": at.isoformat()})
    return Ticket.model_validate(
        {
            "_id": f"{n:024x}",
            "createdAt": (NOW - timedelta(minutes=created)).isoformat(),
            "status": "Open",
            "priority": priority,
            "assignedTo": agent,
            "customer": {"_id": "c1", "name": name},
            "messages": messages,
        }
    )


def ids(view: dict[str, Any], prefix: str = "home_ticket:") -> list[str]:
    return [
        str(b["block_id"]).removeprefix(prefix)
        for b in view["blocks"]
        if str(b.get("block_id", "")).startswith(prefix)
    ]


def test_longest_waiting_first_then_answered_oldest_first() -> None:
    tickets = [
        ticket(1, waited=5),
        ticket(2, waited=None, created=500),
        ticket(3, waited=120),
        ticket(4, waited=None, created=900),
    ]
    assert [t.id[-1] for t in longest_waiting_first(tickets)] == ["3", "1", "4", "2"]


def test_queue_is_high_first_then_oldest_and_odd_priorities_last() -> None:
    tickets = [
        ticket(1, priority=1, created=900),
        ticket(2, priority=3, created=10),
        ticket(3, priority=3, created=500),
        ticket(4, priority="urgent", created=999),
        ticket(5, priority="high", created=5),
    ]
    assert [t.id[-1] for t in queue_order(tickets)] == ["3", "2", "5", "1", "4"]


def test_two_hundred_of_mine_and_a_queue_fit_in_a_hundred_blocks() -> None:
    mine = [ticket(n, agent="a1") for n in range(200)]
    queue = [ticket(1000 + n) for n in range(60)]
    subscriptions = [(f"C{n:03d}", "alerts: high tickets") for n in range(30)]
    view = home_view(
        HomeModel(mine=mine, queue=queue, subscriptions=subscriptions, notice="done"),
        link=link,
        now=NOW,
        dashboard=DASHBOARD,
    )
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    shown = ids(view)
    assert shown and len(shown) == len(set(shown))
    text = json.dumps(view, ensure_ascii=False)
    assert (
        f"and {200 - sum(1 for i in shown if int(i, 16) < 1000)} more — <{DASHBOARD}|open" in text
    )
    assert any(int(i, 16) >= 1000 for i in shown)  # the queue kept room
    assert "<#C029>" in text


def test_names_are_escaped_and_the_follow_picker_names_its_ticket() -> None:
    view = home_view(
        HomeModel(queue=[ticket(7, name="<!channel> & *bold*")]),
        link=link,
        now=NOW,
        dashboard=DASHBOARD,
    )
    text = json.dumps(view)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text
    [picker_block] = [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("home_f")]
    assert ticket_of_follow_block(picker_block["block_id"]) == f"{7:024x}"
    actions = [e["action_id"] for e in picker_block["elements"]]
    assert actions == ["home_assign_me", "home_resolve", "home_reply", "home_note", "home_follow"]
    assert ticket_of_follow_block("home_ticket:x") is None
    picker = picker_block["elements"][-1]
    assert picker["filter"]["exclude_external_shared_channels"] is True


def test_a_refused_person_sees_the_reason_and_no_ticket() -> None:
    view = home_view(
        HomeModel(queue=[ticket(1)], refused="Guests can't use Mava from Slack."),
        link=link,
        now=NOW,
        dashboard=DASHBOARD,
    )
    assert ids(view) == []
    assert "Guests can" in json.dumps(view)


def test_no_agent_is_explained_and_the_queue_still_shown() -> None:
    view = home_view(
        HomeModel(queue=[ticket(1)], no_agent="No Mava agent has your Slack email"),
        link=link,
        now=NOW,
        dashboard=DASHBOARD,
    )
    assert "No Mava agent" in json.dumps(view)
    assert ids(view) == [f"{1:024x}"]


def test_the_door_lets_app_home_opened_through_and_refuses_it_without_a_user() -> None:
    event = {"type": "app_home_opened", "user": "U0JANE", "channel": "D0JANE", "tab": "home"}
    inbound = parse(JSON_TYPE, event_callback(event))
    assert (inbound.kind, inbound.name) == ("event", "app_home_opened")
    with pytest.raises(Refused):
        parse(JSON_TYPE, event_callback({**event, "user": None}))
    with pytest.raises(Refused):
        parse(JSON_TYPE, event_callback({**event, "tab": ["home"]}))
