"""Every value of a "Create Mava ticket" submission checked before the ack.

A submission made by hand can put anything in the modal's fields: a priority that is
not one of the options, a category Mava does not have (or archived since the modal
opened), nothing where a choice is required. Each problem is answered on its field
(`response_action: errors`, keyed by block id) and nothing reaches Mava.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from mava_bridge.domain.tickets import Priority
from mava_bridge.mava.errors import MavaError
from mava_bridge.services.tickets import too_long
from mava_bridge.slack.blocks import modals as cb
from mava_bridge.slack.callback_ids import (
    BLOCK_CATEGORY,
    BLOCK_EMAIL,
    BLOCK_PRIORITY,
    BLOCK_TEXT,
    INPUT_CATEGORY,
    INPUT_EMAIL,
    INPUT_PRIORITY,
    INPUT_TEXT,
)
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.view_state import selected_value, text_value

_EMAIL = re.compile(r"^[^\s@<>\"(),;:]+@[^\s@<>\"(),;:.]+(?:\.[^\s@<>\"(),;:.]+)+$")
_PRIORITY = f"Pick one of the priorities offered: {', '.join(p.label for p in Priority)}."


@dataclass(frozen=True)
class NewTicketFields:
    """What a valid submission asks for."""

    email: str
    text: str
    priority: Priority
    category_id: str | None


async def check_create(
    deps: Deps, view: dict[str, Any], budget: float
) -> NewTicketFields | dict[str, str]:
    """The fields, or the errors to show keyed by block id. `budget`: the seconds left
    to ask Mava whether the category is still active (the ack waits for it)."""
    email = text_value(view, BLOCK_EMAIL, INPUT_EMAIL).strip()
    text = text_value(view, BLOCK_TEXT, INPUT_TEXT)
    errors: dict[str, str] = {}
    if not _EMAIL.match(email):
        errors[BLOCK_EMAIL] = "Give the customer's email address, like ann@example.com."
    if not text.strip():
        errors[BLOCK_TEXT] = "Write the customer's first message."
    elif (long := too_long(text)) is not None:
        errors[BLOCK_TEXT] = long
    priority = cb.priority_of(selected_value(view, BLOCK_PRIORITY, INPUT_PRIORITY))
    if priority is None:
        errors[BLOCK_PRIORITY] = _PRIORITY
    category_id = selected_value(view, BLOCK_CATEGORY, INPUT_CATEGORY)
    if category_id is not None:
        problem = await _category_problem(deps, category_id, budget)
        if problem is not None:
            errors[BLOCK_CATEGORY] = problem
    if errors or priority is None:
        return errors
    return NewTicketFields(email, text, priority, category_id)


async def _category_problem(deps: Deps, category_id: str, budget: float) -> str | None:
    """None if `category_id` is an active Mava category; else what to say. The cached
    list first, then a fresh one (a category added since it was read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    try:
        for fresh in (False, True):
            left = max(deadline - loop.time(), 0.1)
            found = await asyncio.wait_for(deps.tickets.categories(fresh=fresh), left)
            if any(c.id == category_id for c in found):
                return None
    except TimeoutError:
        return "Mava did not answer in time to check the category. Submit again, or pick none."
    except MavaError as exc:
        return f"Mava's categories could not be read ({exc.user_message}). Submit again."
    return (
        "That is not one of Mava's active categories (it may have been archived since "
        "this window opened). Pick another, or none."
    )
