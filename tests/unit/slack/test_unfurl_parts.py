"""The pure parts of ticket link unfurls: which links of a `link_shared` event are Mava
tickets (the dashboard's host only, at most MAX_TICKETS tickets), the card's facts and
escaping, and the door's reading of the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mava_bridge.domain.refused import Refused
from mava_bridge.mava.models import Ticket
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks.tickets import ticket_unfurl, waiting_label
from mava_bridge.slack.inbound import JSON_TYPE, parse
from mava_bridge.slack.listeners.unfurls import MAX_TICKETS, ticket_links
from mava_sandbox.slack_requests import event_callback
from mava_sandbox.slack_unfurls import link_shared, links_in

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
IDS = [f"6b07{n:020x}" for n in range(6)]


def settings(**overrides: Any) -> Settings:
    return Settings.model_construct(**overrides)


def event(*urls: str) -> dict[str, Any]:
    return link_shared(
        channel="C1", user="U1", message_ts="1.2", urls=urls, event_unfurl_id="C1.1.2.x"
    )


def ticket(**fields: Any) -> Ticket:
    base = {
        "_id": IDS[0],
        "createdAt": (NOW - timedelta(days=2)).isoformat(),
        "status": "Open",
        "priority": 3,
        "customer": {"name": "<!channel> Ann", "email": "ann@example.com"},
        "messages": [
            {
                "senderType": "customer",
                "messageType": "ExternalMessage",
                "content": "hi",
                "createdAt": (NOW - timedelta(hours=3)).isoformat(),
            }
        ],
    }
    return Ticket.model_validate({**base, **fields})


def test_only_dashboard_ticket_links_count_and_at_most_three_tickets() -> None:
    s = settings()
    urls = [s.ticket_url(i) for i in IDS]
    found = ticket_links(
        s,
        event(
            "https://example.com/ticket?id=" + IDS[0],  # another host
            "https://dashboard.mava.app/dashboard/settings",  # no ticket in it
            *urls,
            urls[0] + "&tab=notes",  # the same ticket again: unfurled too
        ),
    )
    assert len(set(found.values())) == MAX_TICKETS == 3
    assert found == {
        **{u: i for u, i in zip(urls[:3], IDS[:3], strict=True)},
        urls[0] + "&tab=notes": IDS[0],
    }


def test_a_custom_template_host_is_the_one_matched() -> None:
    s = settings(mava_ticket_url_template="https://help.example.org/t/{ticket_id}")
    assert ticket_links(s, event(f"https://help.example.org/t/{IDS[1]}")) == {
        f"https://help.example.org/t/{IDS[1]}": IDS[1]
    }
    assert ticket_links(s, event(f"https://dashboard.mava.app/dashboard/ticket?id={IDS[1]}")) == {}


def test_the_card_has_the_five_facts_and_escapes_mava_text() -> None:
    unfurl = ticket_unfurl(ticket(), "https://dashboard.mava.app/t?id=x", NOW)
    text = str(unfurl["blocks"])
    for fact in (
        "*Status*\\nOpen",
        "*Priority*",
        "High",
        "*Assignee*\\nUnassigned",
        "*Waiting*\\n3 h",
    ):
        assert fact in text, text
    assert "<!channel>" not in text and "&lt;!channel&gt; Ann" in text
    assert len(unfurl["blocks"]) == 3


def test_waiting_label() -> None:
    assert waiting_label(ticket(), NOW) == "3 h"
    answered = ticket(
        messages=[
            {"senderType": "customer", "messageType": "ExternalMessage", "content": "hi"},
            {"senderType": "agent", "messageType": "ExternalMessage", "content": "hello"},
        ]
    )
    assert waiting_label(answered, NOW) == "not waiting (answered)"
    assert waiting_label(ticket(messages=None), NOW) == "unknown"


def test_the_door_passes_link_shared_and_refuses_a_broken_links_list() -> None:
    inbound = parse(JSON_TYPE, event_callback(event("https://dashboard.mava.app/x")))
    assert (inbound.kind, inbound.name) == ("event", "link_shared")
    for links in ("nope", [1], [{"domain": "x"}]):
        with pytest.raises(Refused):
            parse(JSON_TYPE, event_callback({**event(), "links": links}))


def test_the_stub_finds_links_as_slack_does() -> None:
    assert links_in("see <https://a.example/x?a=1&amp;b=2|here>, https://b.example/y. ok") == [
        "https://a.example/x?a=1&b=2",
        "https://b.example/y",
    ]
