"""Demo line `paste LINK`: @Jane pastes a Mava ticket link (or a ticket id, turned into
its dashboard link) in #support; Slack sends the bot `link_shared`, and the card it
unfurls appears under the message.

Pure helpers over the sandbox and the stub; `DemoSession._paste` sends the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from mava_sandbox.demo.threads import find_ticket
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import SlackCall, SlackStub
from mava_sandbox.slack_unfurls import links_in

JSON = dict[str, Any]

PASTE_USAGE: Final = "Say `paste LINK`, e.g. paste $T1 (a ticket id becomes its dashboard link)."


def pasted_text(sandbox: MavaSandbox, ticket_url: Callable[[str], str], rest: str) -> str:
    """What @Jane types: `rest` as given when it holds a link, else the dashboard link of
    the ticket it names. Raises ValueError with the sentence to show."""
    text = rest.strip()
    if not text:
        raise ValueError(PASTE_USAGE)
    if links_in(text):
        return text
    return f"Can someone look at {ticket_url(find_ticket(sandbox, text))}?"


def unfurl_message(stub: SlackStub, channel: str, ts: str) -> JSON | None:
    """The cards the bot unfurled under the message at `ts`, as one message to render."""
    blocks = [block for unfurl in stub.unfurls(channel, ts).values() for block in unfurl["blocks"]]
    # Slack draws an unfurl under the app's name, as it draws the app's own messages.
    author = {"user": stub.bot_user_id, "bot_id": stub.bot_id}
    return {"text": "", "blocks": blocks, **author} if blocks else None


def why_not(calls: list[SlackCall]) -> str:
    """Why no card appeared, from the bot's Slack calls."""
    refused = [c for c in calls if c.method == "chat.unfurl" and not c.ok]
    if refused:
        return f"Slack refused chat.unfurl: {refused[-1].error or refused[-1].status}"
    return "No card: the bot did not unfurl it (no ticket found, or refused: see the audit log)."
