"""The demo's ratings and reports: after `/mava subscribe ratings`, `rate TICKET 1` shows
the rating arriving in #support (and only a new one); `/mava report` posts the report
and saves its chart to the file the demo names."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from rich.console import Console

from mava_sandbox.demo.session import run_demo


def test_a_rating_arrives_and_the_report_chart_is_saved() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    script = ["/mava subscribe ratings 1 2", "rate $T1 1", "rate $T1 1", "/mava report"]
    asyncio.run(run_demo(script, console, seed=7, tickets=40, digest=False))
    text = " ".join(out.getvalue().split())
    first, second = text.split("The bot's ratings job:")[1:3]
    assert first.startswith(" 1 rating(s) posted")  # its post is shown before this line
    assert second.startswith(" 0 rating(s) posted")  # once per ticket
    assert text.count("Rated 1/5") == 1
    assert "Support report: last 7 days" in text
    saved = re.search(r"saved to (\S+\.png)", text)
    assert saved is not None
    assert Path(saved.group(1)).read_bytes().startswith(b"\x89PNG")
