"""The demo shows a followed ticket's thread follow Mava: after `customer` and `dashboard`
lines one pass of the bot's real thread sync runs, and the card and its thread in the
Slack stub change as they would in Slack."""

from __future__ import annotations

import asyncio
import io
import json

from rich.console import Console

from mava_sandbox.demo.session import run_demo
from mava_sandbox.demo.threads import find_cards

SCRIPT = """\
/mava follow $T1
customer $T1 Where is my refund? <!channel> & more
customer $T1 Hello again
dashboard $T1 status=Resolved
thread $T1
"""


def test_customer_and_dashboard_lines_reach_the_followed_thread() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    result = asyncio.run(run_demo(SCRIPT.splitlines(), console, seed=7, tickets=40, digest=False))
    t1 = result.samples.open_tickets[0]
    ((channel, card),) = find_cards(result.slack, t1)
    replies = [m for m in result.slack.thread(channel, card["ts"]) if m["ts"] != card["ts"]]
    said = [m["text"] for m in replies if "Where is my refund?" in json.dumps(m)]
    assert len(said) == 1  # mirrored once
    assert "<!channel>" not in json.dumps(replies)  # escaped, never a real @channel
    hello = next(i for i, m in enumerate(replies) if "Hello again" in json.dumps(m))
    refund = next(i for i, m in enumerate(replies) if "Where is my refund?" in json.dumps(m))
    assert refund < hello  # in order
    assert "Resolved" in json.dumps([card.get("text"), card.get("blocks")])  # updated in place
    assert result.slack.calls("chat.update")

    text = out.getvalue()
    assert text.count("The bot's thread sync polls Mava…") == 3
    assert "message updated" in text
    assert "No Slack card follows" not in text


def test_a_customer_line_with_files_shows_an_image_block_and_a_link() -> None:
    script = "/mava follow $T1\ncustomer $T1 Screenshots file=error.png file=invoice.pdf\n"
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    result = asyncio.run(run_demo(script.splitlines(), console, seed=7, tickets=40, digest=False))
    t1 = result.samples.open_tickets[0]
    ((channel, card),) = find_cards(result.slack, t1)
    [reply] = [m for m in result.slack.thread(channel, card["ts"]) if "Screenshots" in str(m)]
    [image] = [b for b in reply["blocks"] if b["type"] == "image"]
    assert image["image_url"].endswith("/error.png") and image["alt_text"] == "error.png"
    assert "invoice.pdf> (application/pdf)" in reply["blocks"][-1]["text"]["text"]
    assert "file=" not in json.dumps(reply)  # the words became files, not text
