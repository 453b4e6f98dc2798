"""The demo shows `/mava sla` and a breach arriving: targets set, `/mava subscribe
breaches high`, the first look (nothing late yet at 1 d), a tighter high-priority target,
then the `dms` line posts each high ticket past it once, as a breach with its card."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from mava_sandbox.demo.session import run_demo


def test_sla_shows_the_policy_and_a_breach_arrives_once() -> None:
    out = io.StringIO()
    console = Console(
        file=out, width=120, force_terminal=False, color_system=None, highlight=False, markup=False
    )
    script = [
        "/mava sla",
        "/mava sla set all first-response 1d",
        "/mava subscribe breaches high",
        "dms",
        "/mava sla set high first-response 15m",
        "dms",
        "dms",
    ]
    asyncio.run(run_demo(script, console, seed=7, tickets=40, digest=False))
    text = " ".join(out.getvalue().split())
    assert "SLA policy:" in text and "High: no targets" in text
    assert "Business hours: always" in text
    _, first, second, third = text.split("The bot's desk jobs:")[:4]
    assert "0 SLA warning(s) or breach(es) posted" in first.split(".")[0]
    # The second run's posts show before its line: each high ticket past 15 m, its card.
    cards = first.count("SLA breached: the 15 m first response target was missed")
    assert cards >= 1 and "High ·" in first.split("SLA breached")[1]
    assert f"{cards} SLA warning(s) or breach(es) posted" in second.split(".")[0]
    assert "SLA breached" not in second  # the third run posts nothing again
    assert "0 SLA warning(s) or breach(es) posted" in third.split(".")[0]
