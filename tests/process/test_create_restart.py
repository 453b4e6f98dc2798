"""A ticket created from Slack across a restart of `mava-bot run`: the process is
SIGKILLed after creating and following it; the restarted one (same database) treats
the same modal submission delivered again as a duplicate (no second ticket in Mava)
and carries on the follow: the customer's next message reaches the source thread."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from running import bot_env, free_port, running_bot, three_more_rounds, wait_for, wait_healthy

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_requests import SlackEventSender
from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0CREATE"
EMAIL = "kim.restart@example.com"


async def test_created_ticket_survives_a_restart_once_and_followed(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), THREAD_SYNC_SECONDS="1")
    log = tmp_path / "bot.log"
    base = f"http://127.0.0.1:{port}"
    source = slack.user_message(CHANNEL, "U0SAM", "Card declined at checkout")

    def created() -> list[dict[str, object]]:
        return [
            t
            for t in (mava.sandbox.ticket_json(x) for x in mava.sandbox.tickets)
            if (t.get("customer") or {}).get("email") == EMAIL
        ]

    def thread_text() -> str:
        return json.dumps(slack.thread(CHANNEL, source["ts"]))

    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"{base}/healthz")
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            ack = await sender.shortcut(
                "create_mava_ticket", message=source, user_id="U0JANE", channel_id=CHANNEL
            )
            assert ack.status_code == 200
            [opened] = await slack.wait_for("views.open", timeout=10)
            assert opened.response is not None
            view_id = opened.response["view"]["id"]
            await slack.wait_for(
                "views.update", timeout=10, predicate=lambda c: c.params["view_id"] == view_id
            )
            view = slack.view(view_id)
            assert view is not None
            values = {
                "customer_email": EMAIL,
                "text": "Card declined at checkout",
                "priority": "2",  # the select's initial option, as Slack sends it
            }
            submitted = await sender.submit_view("create_ticket_modal", values, view=view)
            assert submitted.status_code == 200
            # Killed the moment the card is in the thread: the follow is written before
            # the card is posted, so the card alone proves the follow (the modal's
            # result may never be sent).
            await wait_for(lambda: "Following this ticket" in thread_text(), 20, "the card")
        first.send_signal(signal.SIGKILL)
        await first.wait()
    [ticket] = created()

    async with running_bot(env, tmp_path, log) as second:
        await wait_healthy(f"{base}/healthz")
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            again = await sender.submit_view("create_ticket_modal", values, view=view)
            assert again.status_code == 200
        mava.sandbox.customer_writes(str(ticket["_id"]), "Still declined today")
        await wait_for(lambda: "Still declined today" in thread_text(), 30, "the mirror")
        await three_more_rounds(mava, "thread syncs")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 30) == 0
    assert len(created()) == 1
    posts = [r for r in mava.sandbox.requests if r.method == "POST" and r.path == "/api/ticket"]
    assert len(posts) == 1
    mirrored = [m for m in slack.thread(CHANNEL, source["ts"]) if "Still declined" in json.dumps(m)]
    assert len(mirrored) == 1
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    assert not [x for x in lines if x["level"] == "ERROR"]
