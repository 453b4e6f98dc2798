"""Reading what a modal submission holds, whatever shape a hand-made one has.

Slack's own submissions have `view.state.values[block_id][action_id]` holding `value`
(text inputs) or `selected_option.value` (selects). A submission made by hand may put
anything there, or leave it out; these readers never raise: what is not a string
reads as missing, and the caller answers that on the field.
"""

from __future__ import annotations

from typing import Any


def _element(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(block_id) if isinstance(values, dict) else None
    element = block.get(action_id) if isinstance(block, dict) else None
    return element if isinstance(element, dict) else {}


def text_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    """A text input's value; "" when missing or not text."""
    value = _element(view, block_id, action_id).get("value")
    return value if isinstance(value, str) else ""


def selected_value(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    """A select's chosen option value; None when nothing was chosen, "" when something
    was but it is no option (not an object with a text value): never an offered one."""
    option = _element(view, block_id, action_id).get("selected_option")
    if option is None:
        return None
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else ""
