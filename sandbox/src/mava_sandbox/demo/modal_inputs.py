"""The demo's answers to a modal's inputs: what each input holds now, what to ask a
person for it, and reading what they type.

What is typed replaces the value (Enter keeps it). A select lists its choices and its
current one, and takes a choice's name in any case or a beginning only one choice has
(`high`, `bill` for Billing); anything else is asked again, so the bot only ever gets
an option the modal offered, as from Slack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

JSON = dict[str, Any]
Values = dict[str, str | None]

SELECTS: Final = frozenset({"static_select", "radio_buttons"})
CLEAR_WORDS: Final = frozenset({"none", "-"})


@dataclass(frozen=True)
class Field:
    """One input block of a modal."""

    block_id: str
    label: str
    optional: bool
    options: tuple[tuple[str, str], ...] = ()  # (name shown, value) for a select

    @property
    def is_select(self) -> bool:
        return bool(self.options)

    def name_of(self, value: str | None) -> str | None:
        return next((name for name, v in self.options if v == value), None)


def _text(obj: Any) -> str:
    return str(obj.get("text") or "") if isinstance(obj, Mapping) else ""


def fields(view: Mapping[str, Any]) -> list[Field]:
    found = []
    for block in view.get("blocks") or []:
        if not isinstance(block, Mapping) or block.get("type") != "input":
            continue
        element: Mapping[str, Any] = block.get("element") or {}
        options: tuple[tuple[str, str], ...] = ()
        if element.get("type") in SELECTS:
            options = tuple(
                (_text(o.get("text")), str(o.get("value")))
                for o in element.get("options") or []
                if isinstance(o, Mapping)
            )
        block_id = str(block.get("block_id"))
        label = _text(block.get("label")) or block_id
        found.append(Field(block_id, label, bool(block.get("optional")), options))
    return found


def prefilled(view: Mapping[str, Any]) -> Values:
    """Each input's value as the modal opens: a text's `initial_value`, a select's
    `initial_option` (None when nothing is chosen, as Slack reports it)."""
    values: Values = {}
    for block in view.get("blocks") or []:
        if not isinstance(block, Mapping) or block.get("type") != "input":
            continue
        element: Mapping[str, Any] = block.get("element") or {}
        block_id = str(block.get("block_id"))
        if element.get("type") in SELECTS:
            initial = element.get("initial_option")
            values[block_id] = str(initial.get("value")) if isinstance(initial, Mapping) else None
        else:
            values[block_id] = str(element.get("initial_value") or "")
    return values


def question(field: Field, current: str | None) -> str:
    """The prompt for `field`, naming its choices and what Enter keeps."""
    if field.is_select:
        names = [name for name, _ in field.options]
        if field.optional:
            names.append("none")
        kept = field.name_of(current) or "none"
        return f"{field.label} [{' / '.join(names)}] (Enter keeps {kept}): "
    if current:
        return f"{field.label} (Enter keeps it; what you type replaces it): "
    return f"{field.label}: "


def read(field: Field, typed: str, current: str | None) -> str | None:
    """The new value for what was typed; raises ValueError with the sentence to show."""
    answer = typed.strip()
    if not answer:
        return current
    if not field.is_select:
        return answer
    folded = answer.casefold()
    if field.optional and folded in CLEAR_WORDS:
        return None
    exact = [v for name, v in field.options if folded in (name.casefold(), v.casefold())]
    starts = [v for name, v in field.options if name.casefold().startswith(folded)]
    found = exact or starts
    if len(found) == 1:
        return found[0]
    names = ", ".join(name for name, _ in field.options)
    if found:
        fits = ", ".join(field.name_of(v) or v for v in found)
        raise ValueError(f"'{answer}' fits {fits}: type more of it.")
    extra = " (or none)" if field.optional else ""
    raise ValueError(f"'{answer}' is not a {field.label.lower()}: choose one of {names}{extra}.")
