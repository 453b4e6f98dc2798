"""Modals: compose a reply or note, confirm a reply, create a ticket, show an outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.domain.tickets import Priority
from mava_bridge.mava.models import Category, Ticket
from mava_bridge.services.tickets import MESSAGE_LIMIT
from mava_bridge.slack import callback_ids as ids
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks import common as kit
from mava_bridge.slack.blocks.common import Block

View = dict[str, Any]

MAX_CONTEXT_LINES = 10
SUMMARY_MESSAGES = 3
_NOTE_VIEWS = (ids.VIEW_NOTE, ids.VIEW_SHORTCUT_NOTE)
# A ticket id is 24 characters, a dashboard link about 80; Slack stops typing beyond.
TICKET_INPUT_LENGTH = 300
TITLE = "Create Mava ticket"
DEFAULT_PRIORITY = Priority.MEDIUM  # Mava's default for a new ticket
EMAIL_LENGTH = 254  # the longest address SMTP allows


def _view(
    *,
    title: str,
    blocks: list[Block],
    callback_id: str | None = None,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str = "",
) -> View:
    if len(private_metadata) > t.PRIVATE_METADATA:
        # Ours, not user data: cutting it would corrupt it, so fail loudly.
        raise ValueError(f"private_metadata is {len(private_metadata)} characters (max 3000)")
    view: View = {
        "type": "modal",
        "title": kit.plain_text(title, t.MODAL_TITLE),
        "close": kit.plain_text(close, t.MODAL_BUTTON),
        "blocks": blocks[: t.MODAL_BLOCKS],
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit or any(block.get("type") == "input" for block in view["blocks"]):
        # Slack refuses a modal with an input and no submit button.
        view["submit"] = kit.plain_text(submit or "Submit", t.MODAL_BUTTON)
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def ticket_summary(ticket: Ticket, *, now: datetime | None = None) -> list[Block]:
    """Ticket, status, customer and its last few messages, for the top of a modal."""
    blocks: list[Block] = [
        kit.section(
            f"*Ticket {short_ref(ticket.id)}* · {kit.status_label(ticket)} · "
            f"{kit.priority_badge(ticket)} · {kit.origin_label(ticket)}\n"
            f"*Customer:* {kit.customer_label(ticket, 300)}"
        )
    ]
    last = (ticket.messages or [])[-SUMMARY_MESSAGES:]
    blocks.extend(kit.message_block(m, now=now, limit=600) for m in last)
    return blocks


def compose_modal(
    *,
    callback_id: str,
    title: str,
    ticket: Ticket | None,
    ticket_id: str | None,
    initial_text: str = "",
    ticket_editable: bool,
    private_metadata: str,
    submit_label: str,
    context_lines: list[str] | None = None,
    now: datetime | None = None,
) -> View:
    """A modal to write a reply or a note, under the ticket's summary when there is one.

    When `ticket_editable`, a ticket input comes prefilled with `ticket_id`; otherwise
    the caller keeps the ticket id in `private_metadata`. `context_lines` are plain text.
    """
    blocks: list[Block] = []
    if ticket is not None:
        blocks.extend(ticket_summary(ticket, now=now))
        blocks.append(kit.divider())
    elif ticket_id and not ticket_editable:
        blocks.append(kit.context(f"Ticket `{t.escape_and_truncate(ticket_id, 100)}`"))
    for line in (context_lines or [])[:MAX_CONTEXT_LINES]:
        blocks.append(kit.context(t.escape_and_truncate(line, t.CONTEXT_TEXT)))
    if ticket_editable:
        placeholder = kit.plain_text("Ticket id or dashboard link", t.INPUT_PLACEHOLDER)
        ticket_input = kit.text_input(
            ids.INPUT_TICKET, ticket_id, max_length=TICKET_INPUT_LENGTH, placeholder=placeholder
        )
        blocks.append(kit.input_block(ids.BLOCK_TICKET, "Ticket", ticket_input))
    is_note = callback_id in _NOTE_VIEWS
    label = "Private note (only agents see it)" if is_note else "Message to the customer"
    blocks.append(
        kit.input_block(ids.BLOCK_TEXT, label, kit.text_input(ids.INPUT_TEXT, initial_text))
    )
    # Inputs come last and must survive the block cap, so cap what precedes them.
    inputs = 2 if ticket_editable else 1
    if len(blocks) > t.MODAL_BLOCKS:
        blocks = blocks[: t.MODAL_BLOCKS - inputs] + blocks[-inputs:]
    return _view(
        title=title,
        blocks=blocks,
        callback_id=callback_id,
        submit=submit_label,
        private_metadata=private_metadata,
    )


def _plain_chunks(text: str, size: int) -> list[str]:
    """Pieces of at most `size`, cut at line breaks when possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        if cut <= 0:
            cut = size
        chunks.append(rest[:cut])
        rest = rest[cut:].removeprefix("\n")
    chunks.append(rest)
    return chunks


def confirm_reply_modal(*, ticket: Ticket, text: str, private_metadata: str) -> View:
    """Exactly what the customer will receive, before it is sent: plain_text sections, as
    mrkdwn would turn `*stars*` into bold the customer never sees."""
    who = kit.customer_label(ticket, 300)
    blocks: list[Block] = [
        kit.section(
            f"This goes to *{who}* on {kit.origin_label(ticket)} "
            f"(ticket {short_ref(ticket.id)}, {kit.status_label(ticket)}), exactly as below:"
        ),
        kit.divider(),
    ]
    room = t.MODAL_BLOCKS - len(blocks) - 3
    pieces = _plain_chunks(text, t.SECTION_TEXT) if text.strip() else ["(empty message)"]
    for piece in pieces[:room]:
        blocks.append(
            {"type": "section", "text": kit.plain_text(piece, t.SECTION_TEXT, emoji=False)}
        )
    if len(pieces) > room:
        blocks.append(kit.context(":warning: The message is too long to show in full here."))
    blocks.append(kit.divider())
    if len(text) > MESSAGE_LIMIT:
        blocks.append(kit.context(f":warning: Mava accepts at most {MESSAGE_LIMIT:,} characters."))
    return _view(
        title="Send to customer?",
        blocks=blocks,
        callback_id=ids.VIEW_SHORTCUT_REPLY_CONFIRM,
        submit="Send to customer",
        private_metadata=private_metadata,
    )


def result_modal(title: str, sentence: str) -> View:
    """A final view ("Sent", "Failed") replacing a modal after the work is done."""
    return _view(
        title=title,
        blocks=[kit.section(t.escape_and_truncate(sentence, t.SECTION_TEXT))],
        close="Close",
    )


def first_message(text: str, permalink: str | None) -> str:
    """A new ticket's prefilled first message: the Slack message, then where it was."""
    if not permalink:
        return text
    return f"{text}\n\nFrom Slack: {permalink}" if text else f"From Slack: {permalink}"


def reacted_prompt(message_ts: str) -> list[Block]:
    """A reaction cannot open a modal (it has no trigger_id), this button's click can."""
    return [
        kit.section("Make the message you reacted to a new Mava ticket?"),
        kit.actions(
            [kit.button(TITLE, ids.ACTION_CREATE_REACTED, value=message_ts, style="primary")]
        ),
    ]


def priority_of(value: str | None) -> Priority | None:
    """The priority an option value of the create modal names; None for anything else."""
    return next((p for p in Priority if str(int(p)) == value), None)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": kit.plain_text(text, t.OPTION_TEXT), "value": value}


def create_modal(
    *,
    email: str | None,
    text: str,
    categories: Sequence[Category],
    private_metadata: str,
    where: str,
) -> View:
    """Customer email, first message, priority, category; `where` says in a sentence
    where the new ticket will be followed."""
    email_input: dict[str, Any] = {"type": "email_text_input", "action_id": ids.INPUT_EMAIL}
    if email:
        email_input["initial_value"] = email[:EMAIL_LENGTH]
    priorities = [_option(p.label, str(int(p))) for p in Priority]
    [initial] = [o for o in priorities if o["value"] == str(int(DEFAULT_PRIORITY))]
    hint = kit.plain_text("Mava finds the customer by this email, or creates them.", t.INPUT_LABEL)
    select: dict[str, Any] = {"type": "static_select", "action_id": ids.INPUT_PRIORITY}
    blocks: list[Block] = [
        kit.input_block(ids.BLOCK_EMAIL, "Customer email", email_input, hint=hint),
        kit.input_block(
            ids.BLOCK_TEXT,
            "First message (from the customer)",
            kit.text_input(ids.INPUT_TEXT, text),
        ),
        kit.input_block(
            ids.BLOCK_PRIORITY,
            "Priority",
            {**select, "options": priorities, "initial_option": initial},
        ),
    ]
    options = [_option(c.name, c.id) for c in categories][: t.SELECT_OPTIONS]
    if options:
        select = {
            "type": "static_select",
            "action_id": ids.INPUT_CATEGORY,
            "placeholder": kit.plain_text("No category", t.OPTION_TEXT),
            "options": options,
        }
        blocks.append(kit.input_block(ids.BLOCK_CATEGORY, "Category", select, optional=True))
    blocks.append(kit.context(t.escape(where)))
    return _view(
        title=TITLE,
        blocks=blocks,
        callback_id=ids.VIEW_CREATE,
        submit="Create ticket",
        private_metadata=private_metadata,
    )
