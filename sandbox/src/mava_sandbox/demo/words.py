"""The terminal demo's words: its channel and user, timings, its own lines and help, and
the names of what it sends.
"""

from __future__ import annotations

from typing import Any, Final

from mava_bridge.slack.callback_ids import (
    SHORTCUT_ADD_NOTE,
    SHORTCUT_CREATE,
    SHORTCUT_REPLY,
)
from mava_sandbox.slack_stub import RESPONSE_URL

JSON = dict[str, Any]

CHANNEL: Final = "C0SUPPORT"
CHANNEL_NAME: Final = "support"
USER: Final = "U0JANE"  # the demo's user: a Slack member linked to a Mava agent
DEFAULT_SEED: Final = 42
DEFAULT_TICKETS: Final = 120
QUIET_SECONDS: Final = 0.3  # no new Slack calls for this long = the bot is done
# The wait ends as soon as the bot is done; the bound is for a bot that never answers
# (at 10 s, the demo's report test missed its chart beside two CPU burners on 2 cores).
MAX_WAIT_SECONDS: Final = 30.0
POLL_SECONDS: Final = 0.02
MAX_MODAL_ROUNDS: Final = 5  # submit, fix an inline error, resubmit...

# Calls that put something in front of the user.
ANSWER_METHODS: Final = frozenset(
    {
        RESPONSE_URL,
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "views.open",
        "views.push",
        "views.update",
        "views.publish",
    }
)
SHORTCUTS: Final = {"note": SHORTCUT_ADD_NOTE, "reply": SHORTCUT_REPLY, "create": SHORTCUT_CREATE}
SHORTCUT_NAMES: Final = {"note": "Add as private note", "reply": "Reply to customer"}
# /mava subcommands whose first argument is a ticket.
TICKET_COMMANDS: Final = frozenset(
    {
        "show",
        "reply",
        "note",
        "status",
        "resolve",
        "close",
        "reopen",
        "priority",
        "category",
        "assign",
        "follow",
        "unfollow",
    }
)
REACT_USAGE: Final = "Say e.g. `react eyes $T1` (on its card) or `react ticket` (on Sam's words)."
_SURFACES_KEPT: Final = 40  # messages and modals `click` looks through, newest first

# The demo's own lines: (syntax, what it does).
DEMO_LINES: Final = (
    ("/mava ...", "any /mava command, as @Jane in #support (list below)"),
    ("shortcut note [TEXT]", "“Add as private note” on Sam's sample message"),
    ("shortcut reply [TEXT]", "“Reply to customer” on the same message"),
    (
        "shortcut create EMAIL",
        "“Create Mava ticket” on the same message, for the customer EMAIL: the new ticket "
        "is followed in the message's thread (/mava create EMAIL TEXT: in a card here)",
    ),
    ("click LABEL [TICKET] [TEXT]", "press a button shown above, e.g. click Resolve $T1"),
    (
        "customer TICKET TEXT [file=NAME ...]",
        "the customer writes on the ticket (in Mava), attaching files",
    ),
    (
        "dashboard TICKET key=value ...",
        "an agent changes the ticket in Mava's dashboard: status, priority, category, "
        "assignee (e.g. status=Pending assignee=Omar)",
    ),
    ("thread TICKET", "the Slack thread of the ticket's card, as it is now"),
    (
        "say TICKET TEXT",
        "@Jane writes TEXT in the thread of the ticket's card (after /mava follow TICKET): "
        "the bot makes it a private note in Mava",
    ),
    (
        "react EMOJI [TICKET]",
        "@Jane reacts to the ticket's card in #support (after /mava follow TICKET): eyes "
        "assigns it to her, white_check_mark resolves it; without TICKET, to a message @Sam "
        "writes: ticket brings a Create Mava ticket button (click Create Mava ticket EMAIL)",
    ),
    ("webhooks on|off", "Mava's sandbox sends signed webhooks: the bot reacts without a sync"),
    ("paste LINK", "@Jane pastes a ticket's dashboard link (or id) in #support: its unfurl card"),
    (
        "home",
        "@Jane opens the app's Home tab: her tickets, the unassigned queue, her channels' "
        "subscriptions (its buttons work: click Assign to me $T1)",
    ),
    (
        "dms",
        "the bot's desk jobs run now: a DM for each ticket newly assigned (try dashboard $T2 "
        "assignee=Omar, or /mava assign $T3 @Omar), a reminder for each customer waiting "
        "too long in a channel subscribed with /mava subscribe reminders after 30m, and SLA "
        "warnings and breaches after /mava subscribe breaches (targets: /mava sla set all "
        "first-response 1d, then dms, then /mava sla set high first-response 15m and dms)",
    ),
    (
        "rate TICKET 1-5",
        "the customer rates the ticket in Mava; the bot's ratings job runs now (after "
        "/mava subscribe ratings 1 2, a low rating is posted in #support)",
    ),
    ("help", "this text"),
    ("quit", "leave (Ctrl-D works too)"),
)
HELP_NOTES: Final = (
    "$T1 $T2 $T3 $HIGH stand for the sample tickets (below). A ticket's short id as Home, "
    "lists, digests and cards show it (…562460; #562460 or 562460 too) works in commands "
    "and clicks. A button works "
    "while it is on screen; one the bot has since replaced is refused, as Slack no longer "
    "shows it. When the bot opens a modal you are asked whether to submit it; in a script "
    "it is submitted as filled in, with TEXT (when given) in its text box. Lines starting "
    "with # are comments."
)
