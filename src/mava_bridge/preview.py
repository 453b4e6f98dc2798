"""`mava-bot digest --preview`: the scheduled digest's search and Block Kit, printed (a
summary, or JSON for Slack's Block Kit Builder), posting nothing. Only MAVA_API_TOKEN is
needed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mava_bridge.app import build_digests, mava_client
from mava_bridge.delivery.digests import DigestPreview
from mava_bridge.delivery.ports import DeliveryFailed, Tag
from mava_bridge.mava.errors import MavaError
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.settings import FOR_MAVA, Settings, load_settings
from mava_bridge.slack import text as t
from mava_bridge.store.db import Database


class NoPosting:
    """A preview's poster, never asked to post."""

    async def post(
        self,
        channel: str,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        tag: Tag | None = None,
    ) -> str:
        raise DeliveryFailed("preview_posts_nothing", False)


def summary_lines(preview: DigestPreview, now: datetime) -> list[str]:
    parts = len(preview.messages)
    lines = [
        f"{len(preview.tickets)} ticket(s); posted as 1 message"
        + (f" + {parts - 1} thread repl{'y' if parts == 2 else 'ies'}" if parts > 1 else "")
    ]
    for ticket in preview.tickets:
        level = ticket.priority_level
        first = ticket.first_customer_message()
        said = t.one_line(first.content or "")[:80] if first else ""
        origin = ticket.source_type or "?"
        lines.append(
            f"  {level.label if level else '-':<6} {ticket.status!s:<8} {origin!s:<14} "
            f"{t.age(ticket.created_at, now):>7}  {ticket.id}  {said}"
        )
    return lines


async def preview(settings: Settings, channel: str | None, as_json: bool) -> int:
    db = Database(settings.database_url)
    mava = mava_client(settings)
    try:
        subscriptions = SubscriptionService(db, settings)
        if channel is not None:
            await db.migrate()
            digests = await subscriptions.active("digest")
            if not any(sub.channel_id == channel for sub in digests):
                hint = (
                    " Give the channel id (C…), not its name: open the channel's details in "
                    "Slack, the id is at the bottom."
                    if channel.startswith("#")
                    else ""
                )
                print(
                    f"mava-bot digest: channel {channel} gets no digest: it is not "
                    "DIGEST_CHANNEL and has no `/mava subscribe digest`. Leave out --channel "
                    f"to preview the default digest.{hint}",
                    file=sys.stderr,
                )
                return 1
        metrics = Metrics(process_metrics=False)  # never used: nothing is posted
        service = build_digests(
            settings,
            mava,
            db,
            NoPosting(),
            lookback=None,
            metrics=metrics,
            subscriptions=subscriptions,
        )
        try:
            result = await service.preview(channel)
        except MavaError as exc:
            print(f"mava-bot digest: {exc.user_message}", file=sys.stderr)
            return 1
        if as_json:
            print(json.dumps([{"blocks": blocks} for blocks in result.messages], indent=2))
        else:
            print("\n".join(summary_lines(result, datetime.now(UTC))))
        return 0
    finally:
        await mava.aclose()
        await db.dispose()


def digest_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="mava-bot digest",
        description="Print the digest that would be posted now (nothing is posted).",
    )
    parser.add_argument(
        "--preview", action="store_true", help="print the digest (the only mode, for clarity)"
    )
    parser.add_argument(
        "--channel", help="the digest of this channel id (default: the DIGEST_* settings)"
    )
    parser.add_argument("--json", action="store_true", help="print the Block Kit messages")
    args = parser.parse_args(argv)
    settings = load_settings(FOR_MAVA)
    try:
        code = asyncio.run(preview(settings, args.channel, args.json))
        sys.stdout.flush()  # inside the try: a closed pipe shows up here, not at exit
    except BrokenPipeError:
        # The reader left early (`| head`). As the Python docs' note on SIGPIPE advises,
        # point stdout at devnull so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return code
