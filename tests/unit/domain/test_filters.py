"""Subscription filters: their wording, which tickets they match, and their stored form."""

from __future__ import annotations

import pytest

from mava_bridge.domain.filters import Filters, filters_from_json, filters_to_json, fingerprint
from mava_bridge.mava.models import Origin, Priority, Ticket

ID = "6650a1b2c3d4e5f678901234"


@pytest.mark.parametrize(
    ("filters", "described"),
    [
        (Filters(), "all tickets"),
        (Filters(unassigned_only=True), "unassigned tickets"),
        (Filters(min_priority=Priority.HIGH), "High-priority tickets"),
        (
            Filters(Priority.MEDIUM, True, (Origin.DISCORD, Origin.EMAIL), ("Billing", "Bugs")),
            "unassigned Medium or High priority tickets from Discord or Email "
            "in category Billing or Bugs",
        ),
    ],
)
def test_filters_describe(filters: Filters, described: str) -> None:
    assert filters.describe() == described


def _ticket(**fields: object) -> Ticket:
    data: dict[str, object] = {
        "_id": ID,
        "createdAt": "2026-03-15T10:30:00.000Z",
        "status": "Open",
        "priority": 3,
        "sourceType": "discord",
        "category": {"_id": "6650c3d4e5f678901234567a", "name": "Billing"},
    }
    data.update(fields)
    return Ticket.model_validate(data)


def test_filters_match() -> None:
    high = Filters(min_priority=Priority.HIGH)
    assert high.matches(_ticket())
    assert not high.matches(_ticket(priority=2))
    assert not high.matches(_ticket(priority=None))
    unassigned = Filters(unassigned_only=True)
    assert unassigned.matches(_ticket())
    assert not unassigned.matches(_ticket(assignedTo={"_id": "x", "name": "Jane"}))
    assert Filters(origins=(Origin.DISCORD,)).matches(_ticket())
    assert not Filters(origins=(Origin.EMAIL,)).matches(_ticket())
    assert Filters(categories=("billing",)).matches(_ticket())
    assert not Filters(categories=("Bugs",)).matches(_ticket())
    assert not Filters(categories=("Bugs",)).matches(_ticket(category=None))


def test_filters_round_trip_through_json() -> None:
    filters = Filters(Priority.MEDIUM, True, (Origin.DISCORD, Origin.EMAIL), ("Billing",))
    assert filters_to_json(filters) == {
        "min_priority": 2,
        "unassigned_only": True,
        "origins": ["discord", "email"],
        "categories": ["Billing"],
    }
    assert filters_from_json(filters_to_json(filters)) == filters
    assert filters_from_json({}) == Filters()


def test_stored_filters_ignore_unknown_origins_and_priorities() -> None:
    stored = {"min_priority": 9, "origins": ["discord", "carrier-pigeon"]}
    assert filters_from_json(stored) == Filters(origins=(Origin.DISCORD,))


def test_fingerprint_ignores_order_and_category_case() -> None:
    one = Filters(origins=(Origin.EMAIL, Origin.DISCORD), categories=("Billing", "bugs"))
    two = Filters(origins=(Origin.DISCORD, Origin.EMAIL), categories=("BUGS", "billing"))
    assert fingerprint(one) == fingerprint(two)
    assert len(fingerprint(one)) == 12
    assert fingerprint(one) != fingerprint(Filters(unassigned_only=True))


def test_missing_categories_are_those_no_active_name_matches() -> None:
    filters = Filters(categories=("Billing", "Shipping", "bug report"))
    assert filters.missing_categories(["billing", "Bug report", "Delivery"]) == ("Shipping",)
    assert Filters().missing_categories([]) == ()
