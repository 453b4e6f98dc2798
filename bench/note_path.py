"""Which project files one `/mava note TICKET text` runs through, door to httpx.

Runs the whole bridge on loopback (the sandbox stack: Mava sandbox, Slack stub, the bot
in HTTP mode), sends one signed `/mava note` to warm the caches (bot identity, the
user's profile), then profiles a second one from the signed POST until its answer is
posted to the response_url, and prints every file of `src/mava_bridge` that ran code
in that window. Nothing else runs meanwhile: the stack starts no delivery jobs.

    .venv/bin/python bench/note_path.py
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import _common  # noqa: F401  (puts the repository root on sys.path)

from mava_sandbox.slack_stub import RESPONSE_URL
from mava_sandbox.stack import running_stack

SRC = str(Path(__file__).resolve().parent.parent / "src" / "mava_bridge") + "/"
LISTENERS = SRC + "slack/listeners/"


async def one_note(stack: Any, ticket: str, text: str) -> None:
    url = stack.slack.response_url(channel="C0SUPPORT")
    response = await stack.sender.command(
        f"note {ticket} {text}", user_id="U0JANE", channel_id="C0SUPPORT", response_url=url
    )
    assert response.status_code == 200, response.text
    target = url.rsplit("/", 1)[-1]
    await stack.slack.wait_for(RESPONSE_URL, predicate=lambda call: call.target == target)


async def main() -> None:
    async with running_stack(mava_rate_limit=100_000) as stack:
        ticket = str(stack.mava.sandbox.add_ticket()["_id"])
        await one_note(stack, ticket, "warm-up")
        seen: set[str] = set()
        below: set[str] = set()  # run under a listener's frame: listener to httpx

        def profile(frame: FrameType, event: str, _arg: object) -> None:
            name = frame.f_code.co_filename
            if event != "call" or not name.startswith(SRC):
                return
            seen.add(name[len(SRC) :])
            caller: FrameType | None = frame
            while caller is not None:
                if caller.f_code.co_filename.startswith(LISTENERS):
                    below.add(name[len(SRC) :])
                    return
                caller = caller.f_back

        sys.setprofile(profile)
        threading.setprofile(profile)  # type: ignore[arg-type]
        try:
            await one_note(stack, ticket, "Customer is on the Gold plan.")
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
        notes = [
            m
            for m in stack.mava.sandbox.get(ticket)["messages"]
            if m["messageType"] == "InternalNote"
        ]
        assert len(notes) == 2, notes
    for name in sorted(seen):
        print(f"  {'*' if name in below else ' '} src/mava_bridge/{name}")
    print(f"{len(seen)} project files ran code for one /mava note, door to httpx")
    print(f"{len(below)} of them (*) from the Bolt listener to httpx")


if __name__ == "__main__":
    asyncio.run(main())
