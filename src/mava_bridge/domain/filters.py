"""Which tickets a digest or an alert subscription is about, and its stored form."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from mava_bridge.domain.tickets import ORIGIN_LABELS, Origin, Priority
from mava_bridge.domain.wording import or_list


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class MatchableTicket(Protocol):
    @property
    def assigned_to(self) -> object | None: ...
    @property
    def priority_level(self) -> Priority | None: ...
    @property
    def source_type(self) -> Origin | str | None: ...
    @property
    def category(self) -> _Named | None: ...


@dataclass(frozen=True)
class Filters:
    min_priority: Priority | None = None
    unassigned_only: bool = False
    origins: tuple[Origin, ...] = ()
    categories: tuple[str, ...] = ()

    def describe(self) -> str:
        """Plain-text wording, e.g. "unassigned High-priority tickets from Discord"."""
        words: list[str] = []
        if self.unassigned_only:
            words.append("unassigned")
        if self.min_priority is Priority.HIGH:
            words.append("High-priority")
        elif self.min_priority is not None:
            higher = [p.label for p in Priority if p >= self.min_priority]
            words.append(or_list(higher) + " priority")
        words.append("tickets")
        if not self.unassigned_only and self.min_priority is None:
            words.insert(0, "all")
        if self.origins:
            words.append("from " + or_list([ORIGIN_LABELS[o] for o in self.origins]))
        if self.categories:
            words.append("in category " + or_list(list(self.categories)))
        return " ".join(words)

    def matches(self, ticket: MatchableTicket) -> bool:
        """Category names compare case-blind."""
        if self.unassigned_only and ticket.assigned_to is not None:
            return False
        if self.min_priority is not None:
            level = ticket.priority_level
            if level is None or level < self.min_priority:
                return False
        if self.origins and ticket.source_type not in self.origins:
            return False
        if self.categories:
            name = ticket.category.name.casefold() if ticket.category else None
            if name not in {c.casefold() for c in self.categories}:
                return False
        return True

    def missing_categories(self, active: Iterable[str]) -> tuple[str, ...]:
        """This filter's categories none of `active` has (archived or renamed since)."""
        names = {name.casefold() for name in active}
        return tuple(c for c in self.categories if c.casefold() not in names)


# What a digest shows when nobody chose: the open tickets nobody has taken.
DEFAULT_DIGEST_FILTERS: Final = Filters(unassigned_only=True)


def filters_to_json(filters: Filters) -> dict[str, Any]:
    return {
        "min_priority": int(filters.min_priority) if filters.min_priority is not None else None,
        "unassigned_only": filters.unassigned_only,
        "origins": [str(origin) for origin in filters.origins],
        "categories": list(filters.categories),
    }


def filters_from_json(data: dict[str, Any]) -> Filters:
    level = data.get("min_priority")
    origins = []
    for value in data.get("origins") or []:
        try:
            origins.append(Origin(value))
        except ValueError:
            continue  # an origin Mava dropped: ignore rather than break the subscription
    return Filters(
        min_priority=Priority(level) if level in (1, 2, 3) else None,
        unassigned_only=bool(data.get("unassigned_only", False)),
        origins=tuple(origins),
        categories=tuple(str(c) for c in data.get("categories") or []),
    )


def fingerprint(filters: Filters) -> str:
    """A short stable id of what a subscription matches (changes when its filters do)."""
    canonical = filters_to_json(filters)
    canonical["origins"] = sorted(canonical["origins"])
    canonical["categories"] = sorted(c.casefold() for c in canonical["categories"])
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
