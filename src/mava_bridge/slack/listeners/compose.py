"""The reply / note editor: opened by `/mava reply|note TICKET` without text, the Reply /
Add note buttons (cards, digests, App Home) and the "Add as private note" and "Reply to
customer" message shortcuts; then its submissions, and the reply's confirm step.

An editor opens first (a trigger id expires in 3 s), then checks access and loads.
Slack takes errors on a field only in the ack, so a typed ticket is looked up in Mava
before the ack, within a short budget, to say "not found" on the field.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.domain.ticket_refs import (
    InvalidTicketRef,
    find_ticket_ref,
    is_object_id,
    parse_ticket_ref,
)
from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.models import Ticket
from mava_bridge.services.outcome import Outcome
from mava_bridge.services.tickets import too_long
from mava_bridge.slack import blocks as b
from mava_bridge.slack import text as t
from mava_bridge.slack.access import Denied
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.callback_ids import (
    ACTION_NOTE,
    BLOCK_TEXT,
    BLOCK_TICKET,
    HOME_NOTE,
    HOME_REPLY,
    INPUT_TEXT,
    INPUT_TICKET,
    SHORTCUT_ADD_NOTE,
    VIEW_NOTE,
    VIEW_REPLY,
    VIEW_SHORTCUT_NOTE,
    VIEW_SHORTCUT_REPLY,
)
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.listeners.common import (
    NOTHING_DONE,
    Body,
    Later,
    View,
    actor,
    admit,
    admit_submitter,
    as_outcome,
    metadata,
    open_modal,
    permalink,
    read_metadata,
    show_result,
)

log = logging.getLogger("mava_bridge.slack.views")

NOTE = "Add a private note"
SHORTCUT_NOTE = "Add as private note"
REPLY = "Reply to customer"
LOOKUP_BUDGET = 2.0  # seconds; Slack gives 3 for the ack
PRIVATE_METADATA_LIMIT = 3000
# A submission whose window does not say which ticket (or what text) it is for.
LOST_TICKET = (
    "This window does not say which ticket (or what message) it is for, so nothing was "
    "sent. Open it again from the ticket."
)
FROM_APP = (
    "That message was posted by an app, not a person. Use the shortcut on a message someone wrote"
)


async def open_compose(
    deps: Deps,
    client: AsyncWebClient,
    answer: Answer,
    trigger_id: str,
    command: cmd.Reply | cmd.Note,
    via: str,
) -> None:
    """An editor showing the ticket; told in `answer`'s channel, if any."""
    is_note = isinstance(command, cmd.Note)
    verb = "note" if is_note else "reply"
    title = NOTE if is_note else REPLY

    async def fill() -> View:
        channel_id = answer.channel_id
        await admit(deps, answer.user_id, channel_id, verb, command.ticket, via=via)
        ticket = await deps.tickets.ticket(command.ticket)
        return b.compose_modal(
            callback_id=VIEW_NOTE if is_note else VIEW_REPLY,
            title=title,
            ticket=ticket,
            ticket_id=ticket.id,
            ticket_editable=False,
            private_metadata=metadata(ticket=ticket.id, channel=channel_id),
            submit_label="Add note" if is_note else "Send",
            now=deps.clock(),
        )

    instead = f"/mava {verb} {command.ticket} your text"
    failed = "Something went wrong loading the ticket."
    await open_modal(client, answer, trigger_id, title, instead, fill, failed)


async def button(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    """Reply / Add note on a card, a digest item or App Home (its problems told by DM)."""
    action = body["actions"][0]
    ticket_id = str(action.get("value") or "")
    is_note = action["action_id"] in (ACTION_NOTE, HOME_NOTE)
    command = cmd.Note(ticket_id, None) if is_note else cmd.Reply(ticket_id, None)
    via = "App Home" if action["action_id"] in (HOME_REPLY, HOME_NOTE) else "button"
    await open_compose(deps, client, answer, body["trigger_id"], command, via)


async def shortcut(deps: Deps, body: Body, answer: Answer, client: AsyncWebClient) -> None:
    """The editor prefilled with the message, for the ticket it is about."""
    is_note = body["callback_id"] == SHORTCUT_ADD_NOTE
    verb = "note" if is_note else "reply"
    title = SHORTCUT_NOTE if is_note else REPLY
    message: dict[str, Any] = body.get("message") or {}
    typed_ticket = find_ticket_ref(message.get("text") or "")
    channel_id = answer.channel_id

    async def fill() -> View | str:
        await admit(deps, answer.user_id, channel_id, verb, typed_ticket, via="shortcut", body=body)
        if message.get("bot_id") or message.get("subtype") == "bot_message":
            return f"{FROM_APP}, or type the text with /mava note."
        raw = message.get("text") or ""
        text = t.slack_to_plain(raw).strip()
        if not text:
            return (
                "That message has no text (only files), and Mava notes and replies need "
                "text. Describe the file in a message, or attach it in Mava."
            )
        return b.compose_modal(
            callback_id=VIEW_SHORTCUT_NOTE if is_note else VIEW_SHORTCUT_REPLY,
            title=title,
            ticket=None,
            ticket_id=await ticket_for_message(deps, channel_id, message, raw),
            initial_text=text,
            ticket_editable=True,
            private_metadata=metadata(
                channel=channel_id, ts=message.get("ts"), author=message.get("user")
            ),
            submit_label="Add note" if is_note else "Review",
            context_lines=[]
            if is_note
            else ["Next you will see exactly what the customer receives, before it is sent."],
        )

    instead = f"/mava {verb} {typed_ticket or 'TICKET'} your text"
    await open_modal(client, answer, body["trigger_id"], title, instead, fill)


async def ticket_for_message(
    deps: Deps, channel_id: str | None, message: dict[str, Any], raw: str
) -> str | None:
    """The ticket a message is about: its alert thread, or an id/link in its text."""
    if channel_id:
        for ts in (message.get("thread_ts"), message.get("ts")):
            if ts:
                found = await deps.follows.ticket_for_thread(channel_id, ts)
                if found:
                    return found
    return find_ticket_ref(raw)


async def compose_submitted(
    deps: Deps, ack: AsyncAck, body: Body, client: AsyncWebClient
) -> Later | None:
    view = body["view"]
    is_note = view["callback_id"] == VIEW_NOTE
    text = text_value(view, BLOCK_TEXT, INPUT_TEXT)
    if (problem := text_problem(text)) is not None:  # Slack caps the input; a forged one
        await ack(response_action="errors", errors={BLOCK_TEXT: problem})
        return None
    title = NOTE if is_note else REPLY
    ticket_id = read_metadata(view).get("ticket", "")
    if not is_object_id(ticket_id):  # only a hand-made submission lacks it
        await ack(response_action="update", view=b.result_modal(title, LOST_TICKET))
        return None
    await ack(response_action="update", view=b.result_modal(title, "Sending to Mava…"))
    return submit_write(deps, client, body, title, ticket_id, text, note=is_note)


async def shortcut_submitted(
    deps: Deps, ack: AsyncAck, body: Body, client: AsyncWebClient
) -> Later | None:
    view = body["view"]
    is_note = view["callback_id"] == VIEW_SHORTCUT_NOTE
    title = SHORTCUT_NOTE if is_note else REPLY
    deadline = asyncio.get_running_loop().time() + LOOKUP_BUDGET
    # Access again before anything from Mava (the confirm step shows the customer):
    # the person may have become a guest, or left the allow-list, since the modal
    # opened; or the submission was made by hand.
    errors: dict[str, str] = {}
    ticket_id = None
    try:
        ticket_id = parse_ticket_ref(text_value(view, BLOCK_TICKET, INPUT_TICKET))
    except InvalidTicketRef as exc:
        errors[BLOCK_TICKET] = str(exc)
    action = "note" if is_note else "reply"
    refusal = await still_allowed(deps, body, action, ticket_id)
    if refusal is not None:
        await ack(response_action="update", view=b.result_modal(title, refusal))
        return None
    text = text_value(view, BLOCK_TEXT, INPUT_TEXT)
    if (problem := text_problem(text)) is not None:
        errors[BLOCK_TEXT] = problem
    ticket: Ticket | None = None
    if ticket_id and not errors:
        left = max(deadline - asyncio.get_running_loop().time(), 0.1)
        try:
            ticket = await asyncio.wait_for(deps.tickets.ticket(ticket_id), left)
        except TimeoutError:
            errors[BLOCK_TICKET] = "Mava did not answer in time. Submit again in a moment."
        except MavaError as exc:
            errors[BLOCK_TICKET] = exc.user_message
    meta = read_metadata(view)
    if not is_note and ticket is not None and not errors:
        meta.update(ticket=ticket.id, text=text)
        packed = json.dumps(meta, separators=(",", ":"))
        if len(packed) > PRIVATE_METADATA_LIMIT:
            errors[BLOCK_TEXT] = (
                "This is too long to confirm here. Shorten it, or send it with "
                "/mava reply TICKET text."
            )
    if errors:
        await ack(response_action="errors", errors=errors)
        return None
    assert ticket is not None
    if not is_note:
        await ack(
            response_action="update",
            view=b.confirm_reply_modal(ticket=ticket, text=text, private_metadata=packed),
        )
        return None
    await ack(response_action="update", view=b.result_modal(title, "Adding the note in Mava…"))
    return submit_write(deps, client, body, title, ticket.id, text, note=True, source_of=meta)


async def reply_confirmed(
    deps: Deps, ack: AsyncAck, body: Body, client: AsyncWebClient
) -> Later | None:
    meta = read_metadata(body["view"])
    ticket_id, text = meta.get("ticket", ""), meta.get("text", "")
    if not is_object_id(ticket_id) or not text.strip():  # a hand-made submission
        await ack(response_action="update", view=b.result_modal(REPLY, LOST_TICKET))
        return None
    await ack(response_action="update", view=b.result_modal(REPLY, "Sending to the customer…"))
    return submit_write(deps, client, body, REPLY, ticket_id, text, note=False)


async def still_allowed(deps: Deps, body: Body, action: str, ticket_id: str | None) -> str | None:
    """None if the submitter may act; else why not (the refusal is audited). Bounded
    by LOOKUP_BUDGET, since the ack waits for it (usually a cached profile: a DB read)."""
    try:
        await asyncio.wait_for(admit_submitter(deps, body, action, ticket_id), LOOKUP_BUDGET)
    except Denied as exc:
        return exc.user_message
    except TimeoutError:
        return "Slack did not tell us in time who you are, so nothing was done. Submit again."
    except Exception:
        log.exception("access check failed")
        return NOTHING_DONE
    return None


async def original_message(deps: Deps, client: AsyncWebClient, meta: dict[str, str]) -> str:
    """ "Originally posted by NAME in Slack: PERMALINK" for a shortcut note."""
    parts = []
    author = meta.get("author")
    if author:
        try:
            parts.append(f"Originally posted by {(await deps.access.person(author)).name}")
        except Exception:  # a deleted or unknown author must not lose the note
            parts.append("Originally posted")
    link = await permalink(client, meta.get("channel"), meta.get("ts"))
    if link:
        parts.append(f"in Slack: {link}")
    return " ".join(parts)


async def submit_write(
    deps: Deps,
    client: AsyncWebClient,
    body: Body,
    title: str,
    ticket_id: str,
    text: str,
    *,
    note: bool,
    source_of: dict[str, str] | None = None,
) -> Outcome:
    """The reply or note, once per modal; a shortcut's note says where it comes from
    (`source_of`: the shortcut's metadata)."""
    view = body["view"]
    channel_id = read_metadata(view).get("channel")
    outcome: Outcome
    try:
        person = await admit_submitter(deps, body, "note" if note else "reply", ticket_id or None)
    except Exception as exc:
        outcome = as_outcome(exc)
    else:
        actions = deps.actions.tickets
        who = actor(person, channel_id)
        submission = view["id"]  # a resubmitted modal is the same submission
        if note:
            source = await original_message(deps, client, source_of) if source_of else ""
            outcome = await actions.note(who, ticket_id, text, source=source, submission=submission)
        else:
            outcome = await actions.reply(who, ticket_id, text, submission=submission)
    await show_result(deps, client, body, title, outcome)
    return outcome


# A submission made by hand may put anything in `view.state.values[block][action]`, or
# leave it out: these readers never raise, and what is not a string reads as missing.
def _element(view: View, block_id: str, action_id: str) -> dict[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(block_id) if isinstance(values, dict) else None
    element = block.get(action_id) if isinstance(block, dict) else None
    return element if isinstance(element, dict) else {}


def text_value(view: View, block_id: str, action_id: str) -> str:
    """A text input's value; "" when missing or not text."""
    value = _element(view, block_id, action_id).get("value")
    return value if isinstance(value, str) else ""


def text_problem(text: str, empty: str = "Write the message first.") -> str | None:
    """Why a typed message cannot go to Mava (`empty`, or its length); None: it can."""
    return empty if not text.strip() else too_long(text)


def selected_value(view: View, block_id: str, action_id: str) -> str | None:
    """A select's chosen option value; None when nothing was chosen, "" when what was
    chosen is no option (never an offered one)."""
    option = _element(view, block_id, action_id).get("selected_option")
    if option is None:
        return None
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else ""
