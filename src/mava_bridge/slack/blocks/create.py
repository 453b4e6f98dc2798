"""The "Create Mava ticket" modal: customer email, first message, priority, category."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mava_bridge.domain.tickets import Priority
from mava_bridge.mava.models import Category
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import (
    Block,
    actions,
    button,
    context,
    input_block,
    plain_text,
    section,
    text_input,
)
from mava_bridge.slack.blocks.modals import View, _view
from mava_bridge.slack.callback_ids import (
    ACTION_CREATE_REACTED,
    BLOCK_CATEGORY,
    BLOCK_EMAIL,
    BLOCK_PRIORITY,
    BLOCK_TEXT,
    INPUT_CATEGORY,
    INPUT_EMAIL,
    INPUT_PRIORITY,
    INPUT_TEXT,
    VIEW_CREATE,
)

TITLE = "Create Mava ticket"
# Mava's default for a new ticket is Medium; the modal starts there too.
DEFAULT_PRIORITY = Priority.MEDIUM
EMAIL_LENGTH = 254  # the longest address SMTP allows


def first_message(text: str, permalink: str | None) -> str:
    """The prefilled first message: the Slack message, then where it was posted."""
    if not permalink:
        return text
    return f"{text}\n\nFrom Slack: {permalink}" if text else f"From Slack: {permalink}"


def reacted_prompt(message_ts: str) -> list[Block]:
    """The ephemeral a REACTION_CREATE reaction brings: a reaction cannot open a modal
    (it has no trigger_id), the button's click can."""
    return [
        section("Make the message you reacted to a new Mava ticket?"),
        actions([button(TITLE, ACTION_CREATE_REACTED, value=message_ts, style="primary")]),
    ]


def priority_value(priority: Priority) -> str:
    """The option value of `priority` in the modal's select."""
    return str(int(priority))


def priority_of(value: str | None) -> Priority | None:
    """The priority an option value of the modal names; None for anything else."""
    return next((p for p in Priority if priority_value(p) == value), None)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(text, t.OPTION_TEXT), "value": value}


def create_modal(
    *,
    email: str | None,
    text: str,
    categories: Sequence[Category],
    private_metadata: str,
    where: str,
) -> View:
    """The modal; `where` says in a sentence where the new ticket will be followed."""
    email_input: dict[str, Any] = {"type": "email_text_input", "action_id": INPUT_EMAIL}
    if email:
        email_input["initial_value"] = email[:EMAIL_LENGTH]
    priorities = [_option(p.label, priority_value(p)) for p in Priority]
    [initial] = [o for o in priorities if o["value"] == priority_value(DEFAULT_PRIORITY)]
    hint = plain_text("Mava finds the customer by this email, or creates them.", t.INPUT_LABEL)
    select: dict[str, Any] = {"type": "static_select", "action_id": INPUT_PRIORITY}
    blocks: list[Block] = [
        input_block(BLOCK_EMAIL, "Customer email", email_input, hint=hint),
        input_block(BLOCK_TEXT, "First message (from the customer)", text_input(INPUT_TEXT, text)),
        input_block(
            BLOCK_PRIORITY, "Priority", {**select, "options": priorities, "initial_option": initial}
        ),
    ]
    options = [_option(c.name, c.id) for c in categories][: t.SELECT_OPTIONS]
    if options:
        select = {
            "type": "static_select",
            "action_id": INPUT_CATEGORY,
            "placeholder": plain_text("No category", t.OPTION_TEXT),
            "options": options,
        }
        blocks.append(input_block(BLOCK_CATEGORY, "Category", select, optional=True))
    blocks.append(context(t.escape(where)))
    return _view(
        title=TITLE,
        blocks=blocks,
        callback_id=VIEW_CREATE,
        submit="Create ticket",
        private_metadata=private_metadata,
    )
