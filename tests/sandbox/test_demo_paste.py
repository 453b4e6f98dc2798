"""The demo's `paste LINK` line: @Jane pastes a ticket's dashboard link (or its id) in
#support, the stub sends the bot `link_shared`, and the card the bot unfurled with
chat.unfurl is printed under the message."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from mava_sandbox.demo.paste import PASTE_USAGE, pasted_text
from mava_sandbox.demo.session import run_demo
from mava_sandbox.mava_server import MavaSandbox


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        file=out, width=100, force_terminal=False, color_system=None, highlight=False, markup=False
    )
    return console, out


def test_paste_shows_the_unfurled_card_of_a_ticket() -> None:
    console, out = plain_console()
    script = ["paste $T1", "paste https://example.com/not-mava", "paste"]
    result = asyncio.run(run_demo(script, console, seed=7, tickets=40, digest=False))
    t1 = result.samples.open_tickets[0]
    text = " ".join(out.getvalue().split())
    assert f"ticket?id={t1}" in text  # the pasted message holds the dashboard link
    assert "unfurled under @Jane's message (chat.unfurl)" in text
    # Slack draws the card under the app's name, as it draws the app's messages.
    card = text[text.index("(chat.unfurl)") :].replace("│", " ")
    assert card.split("Mava ticket")[0].split()[-2:] == ["Mava", "APP"]
    assert "someone APP" not in text
    assert f"Mava ticket …{t1[-6:]}" in text
    for label in ("Status", "Priority", "Assignee", "Customer", "Waiting"):
        assert label in text
    # A link that is not Mava's: no card, and the demo says so.
    assert "No card: the bot did not unfurl it" in text
    assert " ".join(PASTE_USAGE.split()) in text


def test_pasted_text_keeps_links_and_turns_an_id_into_its_link() -> None:
    sandbox = MavaSandbox(seed=7, tickets=10)
    ticket = str(sandbox.tickets[0]["_id"])

    def url(ticket_id: str) -> str:
        return f"https://dash.example/t?id={ticket_id}"

    assert pasted_text(sandbox, url, "see https://x.example/a") == "see https://x.example/a"
    assert url(ticket) in pasted_text(sandbox, url, ticket[-6:])
