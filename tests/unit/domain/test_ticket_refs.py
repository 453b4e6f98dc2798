"""Ticket references: ids, dashboard links and Slack-wrapped links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mava_bridge.domain.ticket_refs import (
    SHORT_ID_LENGTH,
    InvalidTicketRef,
    created_at,
    ending_with,
    find_ticket_ref,
    is_object_id,
    parse_ticket_ref,
    short_ref,
    short_tail,
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


# --- Short ids: one form shown, every copied form read back ---------------------------

object_ids = st.text(alphabet="0123456789abcdef", min_size=24, max_size=24)


@given(st.lists(object_ids, min_size=1, max_size=30, unique=True), st.data())
def test_every_shown_form_of_a_short_id_reads_back_to_its_ticket(
    ids: list[str], data: st.DataObject
) -> None:
    ticket = data.draw(st.sampled_from(ids))
    shown = short_ref(ticket)
    tail = ticket[-SHORT_ID_LENGTH:]
    assert shown == "…" + tail  # the one display form: Home, lists, digests, cards, DMs
    same_tail = [i for i in ids if i.endswith(tail)]
    for form in (shown, f"#{tail}", f"...{tail}", tail, tail.upper(), f" #{tail.upper()} "):
        assert short_tail(form) == tail
        found = ending_with(form, ids)
        assert ticket in found and found == same_tail  # several only when the tail is shared


@pytest.mark.parametrize("text", ["", "#", "…", "#3", "abc", ID, "562460x", "#56-460", "…g62460"])
def test_other_text_is_not_a_short_id(text: str) -> None:
    assert short_tail(text) is None
    assert ending_with(text, [ID]) == []


@pytest.mark.parametrize("form", ["…901234", "#901234", "901234"])
def test_a_short_id_where_a_whole_one_is_needed_says_what_to_give(form: str) -> None:
    with pytest.raises(InvalidTicketRef, match="is the end of a ticket id, as lists show it"):
        parse_ticket_ref(form)
