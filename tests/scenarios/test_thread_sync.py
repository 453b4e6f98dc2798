"""Live ticket threads (#13): the thread sync against the Mava sandbox and the Slack stub,
over loopback. Each `Bench.sync()` is one run of the scheduler's job; a second `ThreadSync`
on the same database is another process (a restart, or a second leader)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fast_mava import fast_client
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from mava_bridge.app import build_delivery
from mava_bridge.delivery.alerts import AlertPoller
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.scheduler import THREAD_JOB
from mava_bridge.delivery.threads import SyncReport, ThreadSync
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.domain.send_window import FLOOR
from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.models import MessageType
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.ticket_actions import note_body, send_message
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.blocks import threads as thread_blocks
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import deliveries, follows
from mava_bridge.store.db import Database
from mava_bridge.store.tables import BridgeMessage
from mava_bridge.store.writes import IdempotencyStore
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

EXTERNAL, INTERNAL_NOTE = MessageType.EXTERNAL, MessageType.INTERNAL_NOTE
CHANNEL = "C0THREADS"


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class Bench:
    sandbox: RunningSandbox
    stub: SlackStub
    db: Database
    settings: Settings
    offset: list[timedelta] = field(default_factory=lambda: [timedelta(0)])
    made: list[Any] = field(default_factory=list)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset[0]

    def poster(self, *, sleep: Callable[[float], Any] = _no_sleep, **retry: Any) -> SlackPoster:
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=self.stub.api_url)
        policy = replace(SLACK_RETRY, base_delay=0.001, **retry)
        return SlackPoster(
            client,
            metrics=Metrics(process_metrics=False),
            min_interval=0.0,
            retry=policy,
            sleep=sleep,
        )

    def parts(self, owner: str, poster: SlackPoster | None = None) -> DeliveryParts:
        mava = fast_client(self.sandbox)
        self.made.append(mava)
        return DeliveryParts(
            mava=mava,
            db=self.db,
            poster=poster or self.poster(),
            renderer=digest_blocks,
            settings=self.settings,
            subscriptions=SubscriptionService(self.db, self.settings, clock=self.now),
            metrics=Metrics(process_metrics=False),
            link=self.settings.ticket_url,
            clock=self.now,
            owner=owner,
        )

    def syncer(self, owner: str = "p1", poster: SlackPoster | None = None) -> ThreadSync:
        parts = self.parts(owner, poster)
        assert isinstance(parts.poster, SlackPoster)
        return ThreadSync(parts, parts.poster, thread_blocks)

    def ticket(self, **fields: Any) -> str:
        return str(self.sandbox.sandbox.add_ticket(**fields)["_id"])

    async def follow(self, ticket_id: str) -> follows.Follow:
        """What `/mava follow` does: post the card, follow the ticket in its thread."""
        ts = await self.poster().post(CHANNEL, f"card {ticket_id}", None)
        ticket = self.sandbox.sandbox._by_id[ticket_id]
        made, created = await follows.follow(
            self.db,
            ticket_id=ticket_id,
            channel_id=CHANNEL,
            thread_ts=ts,
            ticket_created_at=ticket["createdAt"],
            followed_by="U1",
            now=self.now(),
        )
        assert created
        await asyncio.sleep(0.01)  # what the customer writes next is after the follow
        return made

    def replies(self, made: follows.Follow) -> list[str]:
        """The texts of the thread's replies, oldest first."""
        return [m.get("text", "") for m in self.stub.thread(CHANNEL, made.thread_ts)[1:]]

    def card(self, made: follows.Follow) -> str:
        message = self.stub.message(CHANNEL, made.thread_ts)
        assert message is not None
        return str(message.get("blocks"))


@pytest.fixture
async def bench(tmp_path: Path, stub: SlackStub) -> AsyncIterator[Bench]:
    async with running_mava_sandbox(api_key="test-mava-key", rate_limit=None, tickets=20) as sb:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'threads.db'}")
        await db.migrate()
        settings = Settings(_env_file=None, thread_resolved_grace_hours=24)
        found = Bench(sb, stub, db, settings)
        yield found
        for client in found.made:
            await client.aclose()
        await db.dispose()


async def test_new_messages_appear_once_in_order_marked_by_kind(bench: Bench) -> None:
    ticket = bench.ticket(messages=["Before the follow: not mirrored"])
    made = await bench.follow(ticket)
    sync = bench.syncer()
    report = await sync.sync_once()
    assert report.pages == 1 and report.mirrored == 0  # the first sync baselines
    sandbox = bench.sandbox.sandbox
    sandbox.customer_writes(ticket, "first")
    sandbox.agent_writes(ticket, "an answer", agent=next(iter(sandbox.agents)))
    sandbox.agent_writes(ticket, "just between us", agent=next(iter(sandbox.agents)), note=True)
    sandbox.customer_writes(ticket, "second")
    report = await sync.sync_once()
    assert report.mirrored == 4
    assert (await sync.sync_once()).mirrored == 0  # nothing twice
    replies = bench.replies(made)
    assert len(replies) == 4
    assert "first" in replies[0] and "second" in replies[3]
    blocks = [str(m.get("blocks")) for m in bench.stub.thread(CHANNEL, made.thread_ts)[1:]]
    assert "(customer)" in blocks[0]
    assert "Agent reply by" in blocks[1]
    assert ":lock: *Private note by" in blocks[2]
    assert "Before the follow" not in " ".join(blocks)


async def test_dashboard_changes_update_the_card_and_say_what_changed(bench: Bench) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    sync = bench.syncer()
    await sync.sync_once()
    updates = len(bench.stub.calls("chat.update"))
    sandbox = bench.sandbox.sandbox
    agent = next(iter(sandbox.agents.values())).name
    sandbox.dashboard(ticket, status="Pending", priority="High", assignee=agent)
    report = await sync.sync_once()
    assert report.changes == 1
    assert len(bench.stub.calls("chat.update")) == updates + 1
    card = bench.card(made)
    assert "Pending" in card and "High" in card and agent in card and "Unfollow" in card
    change = [r for r in bench.replies(made) if "→" in r]
    assert len(change) == 1
    assert "Status: Open → Pending" in change[0] and "Assignee: Unassigned → " in change[0]
    # Mava's own system message about it is not mirrored: the change is said once.
    record = sandbox.get(ticket)
    assert record is not None
    in_mava = [m["content"] for m in record["messages"]]
    assert "Status changed from Open to Pending" in in_mava
    assert not any("Status changed from" in r for r in bench.replies(made))
    assert (await sync.sync_once()).changes == 0  # the same state: no second line


async def test_resolved_reopened_within_grace_then_ended_after_it(bench: Bench) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    sync = bench.syncer()
    await sync.sync_once()
    sandbox = bench.sandbox.sandbox
    sandbox.dashboard(ticket, status="Resolved")
    report = await sync.sync_once()
    assert report.resolved == 1
    assert "Resolved" in bench.card(made)
    assert any("Resolved in Mava" in r for r in bench.replies(made))
    # Known resolved: not looked up again; the one search still watches for a reopen.
    assert (await sync.sync_once()).pages == 1
    sandbox.dashboard(ticket, status="Open")
    bench.offset[0] = timedelta(hours=2)  # within the 24 h grace
    report = await sync.sync_once()
    assert report.reopened == 1
    assert any("Reopened" in r for r in bench.replies(made))
    sandbox.customer_writes(ticket, "still there?")
    assert (await sync.sync_once()).mirrored == 1
    sandbox.dashboard(ticket, status="Resolved")
    assert (await sync.sync_once()).resolved == 1
    bench.offset[0] = timedelta(hours=27)
    report = await sync.sync_once()
    assert report.ended == 1
    assert "No longer following: resolved for 24 h" in bench.replies(made)[-1]
    after = await follows.follow_in_channel(bench.db, CHANNEL, ticket)
    assert after is not None and not after.active
    count = len(bench.replies(made))
    sandbox.dashboard(ticket, status="Open")
    sandbox.customer_writes(ticket, "after the end")
    assert (await sync.sync_once()).follows == 0
    assert len(bench.replies(made)) == count


@pytest.mark.parametrize("odd", [False, True], ids=["with_ids", "ids_omitted"])
async def test_the_bridges_own_reply_and_note_are_not_echoed(
    tmp_path: Path, stub: SlackStub, odd: bool
) -> None:
    async with running_mava_sandbox(
        api_key="test-mava-key", rate_limit=None, tickets=20, odd_shapes=odd
    ) as sb:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'echo.db'}")
        await db.migrate()
        bench = Bench(sb, stub, db, Settings(_env_file=None))
        try:
            ticket = bench.ticket()
            made = await bench.follow(ticket)
            sync = bench.syncer()
            await sync.sync_once()
            mava = bench.made[0]
            await send_message(mava, db, ticket, "A reply sent from Slack", EXTERNAL)
            note = note_body("checked the logs", author="Ann")
            await send_message(mava, db, ticket, note, INTERNAL_NOTE)
            await send_message(mava, db, ticket, note, INTERNAL_NOTE)  # twice, same text
            sb.sandbox.customer_writes(ticket, "thanks!")
            report = await sync.sync_once()
            assert report.mirrored == 1
            assert ["thanks!" in r for r in bench.replies(made)] == [True]
            stored = [m for m in sb.sandbox._by_id[ticket]["messages"] if "logs" in str(m)]
            assert len(stored) == 2  # both notes reached Mava; neither came back
        finally:
            for client in bench.made:
                await client.aclose()
            await db.dispose()


async def test_two_processes_at_once_post_each_message_once(bench: Bench) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    first, second = bench.syncer("p1"), bench.syncer("p2")
    await first.sync_once()
    for n in range(10):
        bench.sandbox.sandbox.customer_writes(ticket, f"message {n}")
    for _ in range(3):
        await asyncio.gather(first.sync_once(), second.sync_once())
    replies = bench.replies(made)
    assert [int(r.rsplit(" ", 1)[1]) for r in replies] == list(range(10))


async def test_a_restart_mid_sync_leaves_no_gap_and_no_duplicate(bench: Bench) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    dead = bench.syncer("dead")
    await dead.sync_once()
    for n in range(3):
        bench.sandbox.sandbox.customer_writes(ticket, f"message {n}")
    # The process died after claiming message 0, before its post: its claim is left.
    messages = bench.sandbox.sandbox._by_id[ticket]["messages"]
    assert await deliveries.ITEMS.claim(
        bench.db, (made.id, messages[-3]["_id"]), bench.now(), "dead"
    )
    restarted = bench.syncer("new")
    assert (await restarted.sync_once()).mirrored == 0  # the claim holds the thread's order
    assert await restarted.take_over() == 1  # becoming the leader takes it over
    assert (await restarted.sync_once()).mirrored == 3
    assert [r.rsplit(" ", 1)[1] for r in bench.replies(made)] == ["0", "1", "2"]


async def test_a_burst_of_50_through_slacks_per_channel_limit_arrives_in_order(
    bench: Bench,
) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    sync = bench.syncer("p1", bench.poster(attempts=2))  # 429s stop the thread for now
    await sync.sync_once()
    for n in range(50):
        bench.sandbox.sandbox.customer_writes(ticket, f"burst {n}")
    bench.stub.channel_post_limit = 20
    errors = 0
    for _ in range(10):
        report = await sync.sync_once()
        errors += report.slack_errors
        if len(bench.replies(made)) == 50:
            break
        await asyncio.sleep(1.0)  # the next sync, after Slack's second
    assert errors >= 1  # Slack did answer 429
    assert [int(r.rsplit(" ", 1)[1]) for r in bench.replies(made)] == list(range(50))


async def test_hostile_text_is_escaped_and_cut(bench: Bench) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    sync = bench.syncer()
    await sync.sync_once()
    long = "<!channel> <@U0ADMIN> & <https://evil.example|your bank> " + "x" * 10_000
    bench.sandbox.sandbox.customer_writes(
        ticket,
        long,
        attachments=[
            {"fileName": "evil <!here>.js", "url": "javascript:alert(1)", "fileType": "text/js"},
            {"fileName": "ok.png", "url": "https://files.example/ok.png", "fileType": "image/png"},
        ],
    )
    assert (await sync.sync_once()).mirrored == 1
    reply = bench.stub.thread(CHANNEL, made.thread_ts)[-1]
    texts = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    body = "\n".join(texts)
    assert "<!channel>" not in body and "<@U0ADMIN>" not in body and "<!here>" not in body
    assert "&lt;!channel&gt;" in body and "&amp;" in body
    assert all(len(t) <= 3000 for t in texts)
    assert "(cut — open in Mava:" in body
    assert "javascript:" not in body
    [image] = [b for b in reply["blocks"] if b["type"] == "image"]  # an https image/*
    assert image["image_url"] == "https://files.example/ok.png"
    assert "<!channel>" not in reply["text"]


async def test_an_image_slack_cannot_fetch_is_sent_as_a_link(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack refuses a whole message whose image it cannot download: the reply goes
    again with the image as a link (the other files' links kept), with one WARNING."""
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    sync = bench.syncer()
    await sync.sync_once()
    bench.stub.unreachable_image_hosts.add("files.example")
    bench.sandbox.sandbox.customer_writes(
        ticket,
        "the screenshot and the log",
        attachments=[
            {
                "fileName": "shot.png",
                "url": "https://files.example/shot.png",
                "fileType": "image/png",
            },
            {
                "fileName": "app.log",
                "url": "https://files.example/app.log",
                "fileType": "text/plain",
            },
        ],
    )
    caplog.set_level(logging.INFO)
    assert (await sync.sync_once()).mirrored == 1
    posts = bench.stub.calls("chat.postMessage")
    assert [bool(c.error) for c in posts[-2:]] == [True, False]  # refused, then taken
    reply = bench.stub.thread(CHANNEL, made.thread_ts)[-1]
    assert [b for b in reply["blocks"] if b["type"] == "image"] == []
    body = "\n".join(b["text"]["text"] for b in reply["blocks"] if b["type"] == "section")
    assert "<https://files.example/shot.png|shot.png> (image)" in body
    assert "<https://files.example/app.log|app.log> (text/plain)" in body
    assert "the screenshot and the log" in body
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == [("WARNING", "slack could not fetch an image; sent it as a link")]
    [warned] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "downloading image failed" in str(warned.detail)  # type: ignore[attr-defined]

    # Refused even with the image as a link: the text alone (and our ERROR, as before).
    bench.sandbox.sandbox.customer_writes(
        ticket,
        "again",
        attachments=[
            {"fileName": "b.png", "url": "https://files.example/b.png", "fileType": "image/png"},
        ],
    )
    bench.stub.fail("chat.postMessage", "invalid_blocks", times=2)
    assert (await sync.sync_once()).mirrored == 1
    last = bench.stub.thread(CHANNEL, made.thread_ts)[-1]
    assert not last.get("blocks") and "again" in last["text"]
    assert "slack refused our blocks; sending text only" in caplog.text


async def test_a_posted_alert_is_followed_in_its_thread(bench: Bench) -> None:
    settings = Settings(_env_file=None, alert_channel=CHANNEL, alert_min_priority="high")
    bench.settings = settings
    parts = bench.parts("p1")
    poller = AlertPoller(parts)
    await poller.poll_once()  # the first poll baselines what is there
    ticket = bench.ticket(priority=3)
    assert (await poller.poll_once()).alerted == 1
    alert = next(m for m in bench.stub.messages(CHANNEL) if ticket in str(m.get("blocks")))
    made = await follows.follow_for_thread(bench.db, CHANNEL, alert["ts"])
    assert made is not None and made.ticket_id == ticket and made.followed_by == "alert"
    sync = bench.syncer()
    await sync.sync_once()
    card = bench.card(made)
    assert "Unfollow" in card and "New High-priority ticket" in card and "Reply" in card
    bench.sandbox.sandbox.customer_writes(ticket, "any news?")
    assert (await sync.sync_once()).mirrored == 1
    assert "any news?" in bench.replies(made)[-1]


async def test_pages_per_sync_are_bounded_by_what_is_followed(bench: Bench) -> None:
    sandbox = bench.sandbox.sandbox
    made = [await bench.follow(bench.ticket()) for _ in range(5)]
    sync = bench.syncer()
    report: SyncReport = await sync.sync_once()
    assert report.follows == 5 and report.pages == 1  # one search finds all five
    sandbox.dashboard(made[0].ticket_id, status="Resolved")
    report = await sync.sync_once()
    # The search, then one look-up by id (exact: its createdAt is known) for the one gone.
    assert report.pages == 2 and report.resolved == 1
    assert (await sync.sync_once()).pages == 1


async def test_the_sync_interval_stretches_to_a_third_of_the_budget_and_comes_back(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    made = [await bench.follow(bench.ticket()) for _ in range(3)]
    # 6 requests per 30 s: a third is 2, so a sync of one page must wait 15 s, past
    # THREAD_SYNC_SECONDS=5 (the longest interval, unless the share needs more).
    settings = Settings(_env_file=None, thread_sync_seconds=5, mava_rate_limit=6)
    parts = bench.parts("p1")
    scheduler = build_delivery(
        settings,
        parts.mava,
        bench.db,
        bench.poster(),
        metrics=parts.metrics,
        idempotency=IdempotencyStore(bench.db, 60),
        owner="p1",
    ).scheduler
    await scheduler.start()
    try:
        caplog.set_level(logging.INFO, logger="mava_bridge.delivery.pacing")
        report = await scheduler.run_threads()
        assert report is not None and report.pages == 1
        assert scheduler.scheduler is not None
        job = scheduler.scheduler.get_job(THREAD_JOB)
        assert job is not None and job.trigger.interval == timedelta(seconds=15)
        assert "thread sync interval stretched past THREAD_SYNC_SECONDS" in caplog.text
        for one in made:  # nothing followed: nothing read, the floor's pace (2 s)
            await follows.unfollow(bench.db, channel_id=CHANNEL, ticket_id=one.ticket_id)
        assert (await scheduler.run_threads()) is not None
        job = scheduler.scheduler.get_job(THREAD_JOB)
        assert job is not None and job.trigger.interval == timedelta(seconds=FLOOR)
        assert "thread sync interval back within THREAD_SYNC_SECONDS" in caplog.text
    finally:
        await scheduler.shutdown()


async def test_a_ticket_mava_no_longer_finds_is_looked_up_once_not_every_sync(
    bench: Bench,
) -> None:
    ghost = f"{int(datetime.now(UTC).timestamp()):08x}" + "0" * 16  # an id Mava never made
    ts = await bench.poster().post(CHANNEL, "card", None)
    made, _ = await follows.follow(
        bench.db,
        ticket_id=ghost,
        channel_id=CHANNEL,
        thread_ts=ts,
        ticket_created_at=None,
        followed_by="U1",
        now=bench.now(),
    )
    sync = bench.syncer()
    report = await sync.sync_once()
    assert report.pages >= 1 and report.mava_errors == 0
    assert bench.replies(made) == ["Mava no longer finds this ticket: it is no longer read by id."]
    assert (await sync.sync_once()).pages == 0
    bench.offset[0] = timedelta(hours=25)
    assert (await sync.sync_once()).ended == 1


async def test_a_customer_writing_the_bridges_words_is_still_mirrored(bench: Bench) -> None:
    ticket = bench.ticket()
    made = await bench.follow(ticket)
    sync = bench.syncer()
    await sync.sync_once()
    await send_message(bench.made[0], bench.db, ticket, "ok thanks", EXTERNAL)
    bench.sandbox.sandbox.customer_writes(ticket, "ok thanks")
    assert (await sync.sync_once()).mirrored == 1
    [reply] = bench.stub.thread(CHANNEL, made.thread_ts)[1:]
    assert "(customer)" in str(reply["blocks"])


async def test_a_message_mava_refused_leaves_no_record_to_match(bench: Bench) -> None:
    mava = fast_client(bench.sandbox)
    bench.made.append(mava)
    with pytest.raises(MavaError):
        await send_message(mava, bench.db, "f" * 24, "to a ticket Mava does not have", EXTERNAL)
    async with bench.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(BridgeMessage)) == 0
    ticket = bench.ticket()
    await send_message(mava, bench.db, ticket, note_body("kept", author="Ann"), INTERNAL_NOTE)
    async with bench.db.session() as session:
        [row] = (await session.scalars(select(BridgeMessage))).all()
    assert row.ticket_id == ticket and row.mava_message_id  # Mava's id, added after the send
