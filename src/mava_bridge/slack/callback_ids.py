"""Ids shared by the Block Kit builders and the listeners that handle what they emit.
Renaming one breaks buttons on messages already posted; shortcut ids match manifest.yml."""

from __future__ import annotations

# Buttons. Each button's `value` is the Mava ticket id.
ACTION_REPLY = "ticket_reply"
ACTION_NOTE = "ticket_note"
ACTION_ASSIGN_ME = "ticket_assign_me"
ACTION_RESOLVE = "ticket_resolve"
# Follow a ticket in this channel (a new card, its thread kept in sync), or stop.
ACTION_FOLLOW = "ticket_follow"
ACTION_UNFOLLOW = "ticket_unfollow"
# A link button: Slack opens the URL and still sends an action that must be acked.
ACTION_OPEN_IN_MAVA = "ticket_open"

TICKET_ACTIONS = (
    ACTION_REPLY,
    ACTION_NOTE,
    ACTION_ASSIGN_ME,
    ACTION_RESOLVE,
    ACTION_FOLLOW,
    ACTION_UNFOLLOW,
)

# The button a REACTION_CREATE reaction brings (its value: the reacted message's ts),
# which opens the create modal prefilled with that message.
ACTION_CREATE_REACTED = "reaction_create_ticket"

# App Home (slack/blocks/home.py): Refresh, buttons that redraw Home after acting, the
# reply/note editors (Home has no response_url);
# "Follow in…" is a channel picker whose block id ends in the ticket id.
HOME_REFRESH = "home_refresh"
HOME_ASSIGN_ME = "home_assign_me"
HOME_RESOLVE = "home_resolve"
HOME_REPLY = "home_reply"
HOME_NOTE = "home_note"
HOME_FOLLOW = "home_follow"
HOME_ACTIONS = (HOME_REFRESH, HOME_ASSIGN_ME, HOME_RESOLVE, HOME_REPLY, HOME_NOTE, HOME_FOLLOW)

# View (modal) callback ids.
VIEW_REPLY = "reply_modal"
VIEW_NOTE = "note_modal"
VIEW_SHORTCUT_NOTE = "shortcut_note_modal"
VIEW_SHORTCUT_REPLY = "shortcut_reply_modal"
VIEW_SHORTCUT_REPLY_CONFIRM = "shortcut_reply_confirm"

# Message shortcut callback ids (manifest.yml).
SHORTCUT_ADD_NOTE = "add_private_note"
SHORTCUT_REPLY = "reply_to_customer"
SHORTCUT_CREATE = "create_mava_ticket"

# Create a ticket from Slack: the modal and its inputs (text: BLOCK_TEXT / INPUT_TEXT).
VIEW_CREATE = "create_ticket_modal"
BLOCK_EMAIL = "customer_email"
INPUT_EMAIL = "customer_email_input"
BLOCK_PRIORITY = "priority"
INPUT_PRIORITY = "priority_input"
BLOCK_CATEGORY = "category"
INPUT_CATEGORY = "category_input"

# Modal inputs: view.state.values[BLOCK_x][INPUT_x]["value"].
BLOCK_TICKET = "ticket"
INPUT_TICKET = "ticket_input"
BLOCK_TEXT = "text"
INPUT_TEXT = "text_input"


# Block ids of one digest/alert item, so a button can find and replace its item.
def item_block_id(ticket_id: str) -> str:
    return f"ticket:{ticket_id}"


def actions_block_id(ticket_id: str) -> str:
    return f"actions:{ticket_id}"


def state_block_id(ticket_id: str) -> str:
    """The block id of an item's state line ("Resolved by @ann")."""
    return f"state:{ticket_id}"
