"""Ticket references: ids, dashboard links and Slack-wrapped links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mava_bridge.domain.ticket_refs import (
    InvalidTicketRef,
    created_at,
    find_ticket_ref,
    is_object_id,
    parse_ticket_ref,
)

ID = "6650a1b2c3d4e5f678901234"


@pytest.mark.parametrize(
    "ref",
    [
        ID,
        ID.upper(),
        f"  {ID} ",
        f"https://dashboard.mava.app/dashboard/ticket?id={ID}",
        f"<https://dashboard.mava.app/dashboard/ticket?a=1&amp;id={ID}|ticket>",
        f"https://dashboard.mava.app/dashboard/tickets/{ID}",
    ],
)
def test_refs_give_the_ticket_id(ref: str) -> None:
    assert parse_ticket_ref(ref) == ID


@pytest.mark.parametrize("ref", ["", "123", "http://[x", "https://example.com/?id=nope"])
def test_other_text_is_refused_with_a_sentence(ref: str) -> None:
    with pytest.raises(InvalidTicketRef, match="is not a Mava ticket id"):
        parse_ticket_ref(ref)


def test_find_ticket_ref_in_free_text() -> None:
    assert find_ticket_ref(f"see https://dashboard.mava.app/dashboard/ticket?id={ID}.") == ID
    assert find_ticket_ref(f"ticket:{ID}!") == ID
    assert find_ticket_ref("nothing here") is None


def test_object_id_carries_its_creation_time() -> None:
    assert is_object_id(ID) and not is_object_id(ID + "0")
    assert created_at(ID) == datetime.fromtimestamp(0x6650A1B2, tz=UTC)
