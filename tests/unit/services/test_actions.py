"""The action services on their own: Mava through the sandbox on loopback, a real
database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), no Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from backends import Backend

from mava_bridge.domain.filters import Filters
from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.models import Priority, Status
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.services.outcome import Actor, Auditor, ServiceError, Writes
from mava_bridge.services.subscription_actions import SubscriptionActions
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.ticket_actions import Assignee, TicketActions
from mava_bridge.services.tickets import TicketService
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_bridge.store.writes import AuditLog, AuditRecord, IdempotencyStore
from mava_sandbox.mava_server import RunningSandbox

ALICE = Actor("U0ALICE", "Alice", "alice@example.com", "C0SUPPORT")


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class Mirror:
    """The audit mirror the Slack side would post; here it only remembers."""

    seen: list[AuditRecord] = field(default_factory=list)

    async def __call__(self, record: AuditRecord) -> None:
        self.seen.append(record)


@dataclass
class Bench:
    sandbox: RunningSandbox
    db: Database
    mirror: Mirror
    actions: TicketActions
    auditor: Auditor

    def calls(self, path: str) -> int:
        return len([r for r in self.sandbox.sandbox.requests if r.path == path])

    def open_ticket(self) -> str:
        return str(next(t for t in self.sandbox.sandbox.tickets if t["status"] == "Open")["_id"])

    async def audit(self) -> list[tuple[str, str]]:
        rows = await AuditLog(self.db).recent()
        return [(r.action, r.outcome) for r in reversed(rows)]


async def _bench(sandbox: RunningSandbox, db: Database, client: MavaClient) -> Bench:
    await db.migrate()
    mirror = Mirror()
    auditor = Auditor(AuditLog(db), mirror)
    writes = Writes(IdempotencyStore(db, window_seconds=120), auditor)
    return Bench(
        sandbox,
        db,
        mirror,
        TicketActions(client, TicketService(client), writes, None, db=None),
        auditor,
    )


def _client(sandbox: RunningSandbox, *, timeout: float = 5.0) -> MavaClient:
    return MavaClient(
        sandbox.url,
        sandbox.api_key,
        timeout=timeout,
        limiter=RateLimiter(1000, 1.0),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01),
        sleep=_no_sleep,
    )


@pytest.fixture
async def bench(mava_sandbox: RunningSandbox, backend: Backend) -> AsyncIterator[Bench]:
    client = _client(mava_sandbox)
    yield await _bench(mava_sandbox, backend.database(), client)
    await client.aclose()


async def test_a_duplicate_submission_is_one_mava_write(bench: Bench) -> None:
    ticket = bench.open_ticket()
    first = await bench.actions.reply(ALICE, ticket, "We are on it.")
    again = await bench.actions.reply(ALICE, ticket, "We are on it.")
    assert first.kind == "ok" and first.message == f"Sent to the customer on ticket {ticket}."
    assert again.kind == "duplicate"
    assert "not sent again" in again.message
    assert bench.calls("/api/message") == 1
    assert await bench.audit() == [("reply", "ok"), ("reply", "duplicate")]
    assert [r.outcome for r in bench.mirror.seen] == ["ok", "duplicate"]
    assert first.record == bench.mirror.seen[0]


async def test_the_same_modal_is_one_submission_whatever_its_text(bench: Bench) -> None:
    ticket = bench.open_ticket()
    first = await bench.actions.note(ALICE, ticket, "one", submission="V1")
    again = await bench.actions.note(ALICE, ticket, "two", submission="V1")
    assert (first.kind, again.kind) == ("ok", "duplicate")
    other = await bench.actions.note(ALICE, ticket, "two", submission="V2")
    assert other.kind == "ok"
    assert bench.calls("/api/message") == 2


async def test_a_note_is_signed_and_keeps_its_source(bench: Bench) -> None:
    ticket = bench.open_ticket()
    outcome = await bench.actions.note(ALICE, ticket, "seen it", source="in Slack: https://x")
    assert outcome.ok
    stored = bench.sandbox.sandbox.get(ticket)
    assert stored is not None
    assert stored["messages"][-1]["content"] == (
        "Note from Alice via Slack: seen it\n\nin Slack: https://x"
    )
    assert outcome.record is not None and outcome.record.summary == "seen it"


async def test_a_write_that_times_out_is_unknown_and_never_retried(
    mava_sandbox: RunningSandbox, backend: Backend
) -> None:
    client = _client(mava_sandbox, timeout=0.3)
    try:
        bench = await _bench(mava_sandbox, backend.database(), client)
        ticket = bench.open_ticket()
        mava_sandbox.sandbox.inject("timeout", times=None, path="/api/message")
        outcome = await bench.actions.reply(ALICE, ticket, "maybe sent")
        assert outcome.kind == "unknown"
        assert "check the ticket in Mava" in outcome.message
        # The key is kept: the same submission again is a duplicate, not a second write.
        again = await bench.actions.reply(ALICE, ticket, "maybe sent")
        assert again.kind == "duplicate"
        assert bench.calls("/api/message") == 1
        assert await bench.audit() == [("reply", "unknown"), ("reply", "duplicate")]
    finally:
        await client.aclose()


async def test_a_definite_failure_may_be_tried_again(bench: Bench) -> None:
    ticket = bench.open_ticket()
    bench.sandbox.sandbox.inject("status", status=400, times=1, path="/api/message")
    failed = await bench.actions.reply(ALICE, ticket, "hello")
    assert failed.kind == "error"
    retried = await bench.actions.reply(ALICE, ticket, "hello")
    assert retried.kind == "ok"
    assert await bench.audit() == [("reply", "error"), ("reply", "ok")]


async def test_an_empty_reply_is_an_error_without_a_write(bench: Bench) -> None:
    outcome = await bench.actions.reply(ALICE, bench.open_ticket(), "   ")
    assert outcome.kind == "error"
    assert outcome.message == "The message is empty: write the text to send."
    assert bench.calls("/api/message") == 0


async def test_set_values_repeat_but_a_button_counts_once(bench: Bench) -> None:
    ticket = bench.open_ticket()
    kinds = [
        (await bench.actions.set_status(ALICE, ticket, Status.RESOLVED)).kind,
        (await bench.actions.set_status(ALICE, ticket, Status.OPEN)).kind,
        (await bench.actions.set_status(ALICE, ticket, Status.RESOLVED)).kind,
        (await bench.actions.set_status(ALICE, ticket, Status.RESOLVED)).kind,
        (await bench.actions.resolve(ALICE, ticket, submission="1700000000.0001")).kind,
        (await bench.actions.set_status(ALICE, ticket, Status.OPEN)).kind,
        (await bench.actions.resolve(ALICE, ticket, submission="1700000000.0002")).kind,
        (await bench.actions.resolve(ALICE, ticket, submission="1700000000.0002")).kind,
    ]
    # Already resolved: nothing written, and the key is not kept (the next click on
    # that card, once the ticket is open again, may act).
    assert kinds == ["ok", "ok", "ok", "unchanged", "unchanged", "ok", "ok", "duplicate"]
    puts = [r for r in bench.sandbox.sandbox.requests if r.method == "PUT"]
    assert len(puts) == 5
    stored = bench.sandbox.sandbox.get(ticket)
    assert stored is not None and stored["status"] == "Resolved"
    outcome = await bench.actions.set_priority(ALICE, ticket, Priority.HIGH)
    assert outcome.ok and outcome.record is not None
    assert outcome.record.summary == f"priority -> {Priority.HIGH.label}"


async def test_a_category_typo_is_answered_before_any_claim(bench: Bench) -> None:
    with pytest.raises(ServiceError, match="Valid categories"):
        await bench.actions.set_category(ALICE, bench.open_ticket(), "no such category")
    assert await bench.audit() == []


async def test_assign_to_an_agent_me_or_nobody(bench: Bench) -> None:
    ticket = bench.open_ticket()
    agent = next(iter(bench.sandbox.sandbox.agents.values()))
    me = Actor("U0ALICE", "Alice", agent.email, "C0SUPPORT")
    outcome = await bench.actions.assign(me, ticket, Assignee("Alice", agent.email))
    assert outcome.ok and outcome.message.endswith(f"assigned to {agent.name}.")
    nobody = await bench.actions.assign(me, ticket, None)
    assert nobody.message == f"Ticket {ticket} is now unassigned."
    taken = await bench.actions.take(me, ticket, submission="1700000000.0002")
    assert taken.message == f"Ticket {ticket} assigned to {agent.name}."
    with pytest.raises(ServiceError, match="Bots can't"):
        await bench.actions.assign(me, ticket, Assignee("bot", None, is_bot=True))
    with pytest.raises(ServiceError, match="no email address"):
        await bench.actions.take(Actor("U0BOB", "Bob"), ticket, submission="x")


async def test_a_refused_actor_is_audited(bench: Bench) -> None:
    who = Actor("U0GUEST", None, None, "C0SUPPORT")
    outcome = await bench.auditor.refused(
        who, "reply", "T1", via="/mava", reason="Guests can't act on tickets."
    )
    assert outcome.kind == "refused"
    rows = await AuditLog(bench.db).recent()
    assert [(r.slack_user_id, r.action, r.summary, r.outcome) for r in rows] == [
        ("U0GUEST", "reply", "/mava: Guests can't act on tickets.", "refused")
    ]
    assert bench.mirror.seen == [outcome.record]
    assert bench.sandbox.sandbox.requests == []


@dataclass
class PostedDigest:
    ok: bool = True

    def describe(self) -> str:
        return "posted (3 tickets)" if self.ok else "failed: Slack refused it"


@dataclass
class Digests:
    """Delivery's digest service as the subscription actions see it."""

    ok: bool = True
    channels: list[str] = field(default_factory=list)

    async def post(self, channel_id: str) -> PostedDigest:
        self.channels.append(channel_id)
        return PostedDigest(self.ok)


def _settings() -> Settings:
    return Settings(_env_file=None)


async def test_subscription_actions_are_audited(bench: Bench) -> None:
    digests = Digests()
    subs = SubscriptionActions(
        SubscriptionService(bench.db, _settings()), digests, bench.auditor, bench.actions.tickets
    )
    added = await subs.subscribe_alerts(ALICE, Filters(min_priority=Priority.HIGH))
    assert added.ok and "Remove it with /mava unsubscribe" in added.message
    [view] = await subs.subscriptions.list_for_channel("C0SUPPORT")
    assert view.id is not None
    with pytest.raises(ServiceError, match="no subscription #999"):
        await subs.unsubscribe(ALICE, 999)
    gone = await subs.unsubscribe(ALICE, view.id)
    assert gone.message == f"Unsubscribed #{view.id}."
    now = await subs.digest_now(ALICE)
    assert now.message == "Digest posted (3 tickets)." and digests.channels == ["C0SUPPORT"]
    digests.ok = False
    with pytest.raises(ServiceError, match="Digest failed"):
        await subs.digest_now(ALICE)
    with pytest.raises(ServiceError, match="belong to a channel"):
        await subs.digest_now(Actor("U0ALICE", "Alice"))
    assert await bench.audit() == [("subscribe", "ok"), ("unsubscribe", "ok"), ("digest", "ok")]
