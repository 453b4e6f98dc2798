"""`webhooks on` in the demo (#19): a `customer` line reaches the followed thread through
the webhook the sandbox sends and the bot's nudge, with no thread sync run by the demo."""

from __future__ import annotations

import asyncio
import io
import json

from rich.console import Console

from mava_sandbox.demo.session import run_demo
from mava_sandbox.demo.threads import find_cards

SCRIPT = """\
/mava follow $T1
webhooks on
customer $T1 Sent by webhook
webhooks off
"""


def test_with_webhooks_on_the_customer_line_arrives_by_the_bots_own_reaction() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    result = asyncio.run(run_demo(SCRIPT.splitlines(), console, seed=7, tickets=40, digest=False))
    t1 = result.samples.open_tickets[0]
    ((channel, card),) = find_cards(result.slack, t1)
    replies = [m for m in result.slack.thread(channel, card["ts"]) if m["ts"] != card["ts"]]
    assert [m for m in replies if "Sent by webhook" in json.dumps(m)]
    shown = out.getvalue()
    assert "Webhooks on" in shown and "the bot reads Mava now" in shown
    assert "thread sync polls Mava" not in shown  # the demo ran no sync of its own
    assert "Webhooks off" in shown
