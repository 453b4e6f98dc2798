"""Following tickets from Slack (audited), and the "once" checks of thread messages:
idempotency keys shared by replicas, each kept for its own window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mava_bridge.services.outcome import Actor, Auditor
from mava_bridge.store import deliveries
from mava_bridge.store import follows as store
from mava_bridge.store.db import Database
from mava_bridge.store.follows import Follow
from mava_bridge.store.writes import IdempotencyStore, make_key

# Slack retries an event it got no 200 for after about 0 s, 1 min and 5 min; a Socket
# Mode envelope is redelivered on a new connection. An hour covers both.
EVENT_WINDOW_SECONDS = 3600.0
# A person refused in a thread is told why once a day per thread, not per message.
TOLD_WINDOW_SECONDS = 24 * 3600.0


class FollowService:
    def __init__(
        self,
        db: Database,
        auditor: Auditor,
        keys: IdempotencyStore,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._auditor = auditor
        self._keys = keys
        self._clock = clock

    async def ticket_for_thread(self, channel_id: str, thread_ts: str) -> str | None:
        """The ticket an active follow's thread, or else an alert's, is about (for the
        Reply shortcut)."""
        found = await store.follow_for_thread(self._db, channel_id, thread_ts)
        if found is not None and found.active:
            return found.ticket_id
        return await deliveries.ticket_for_thread(self._db, channel_id, thread_ts)

    # --- "once" checks ------------------------------------------------------------

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an Events API event id is seen, on any replica."""
        return await self._keys.claim(f"event:{event_id}", window_seconds=EVENT_WINDOW_SECONDS)

    async def first_telling(self, channel_id: str, thread_ts: str, user_id: str) -> bool:
        """True the first time (today) this person is told why a thread refuses them."""
        key = make_key("told", channel_id, thread_ts, user_id)
        return await self._keys.claim(key, window_seconds=TOLD_WINDOW_SECONDS)

    # --- writes (audited) ---------------------------------------------------------

    async def follow(
        self,
        actor: Actor,
        ticket_id: str,
        *,
        channel_id: str,
        thread_ts: str,
        ticket_created_at: datetime | None,
        via: str,
    ) -> tuple[Follow, bool]:
        """Follow the ticket in that thread: (the follow, created); created False means
        it was already followed in the channel (the returned follow says where)."""
        found, created = await store.follow(
            self._db,
            ticket_id=ticket_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            ticket_created_at=ticket_created_at,
            followed_by=actor.user_id,
            now=self._clock(),
        )
        if created:
            await self._auditor.record(actor, "follow", ticket_id, f"{via}: follow", "ok")
        return found, created

    async def unfollow(self, actor: Actor, ticket_id: str, *, channel_id: str, via: str) -> bool:
        """Stop following in the channel; False if it was not followed there."""
        stopped = await store.unfollow(self._db, channel_id=channel_id, ticket_id=ticket_id)
        if stopped:
            await self._auditor.record(actor, "unfollow", ticket_id, f"{via}: unfollow", "ok")
        return stopped

    async def set_notes(self, actor: Actor, channel_id: str, enabled: bool) -> None:
        await store.set_thread_notes(self._db, channel_id, enabled, actor.user_id, self._clock())
        state = "on" if enabled else "off"
        await self._auditor.record(actor, "thread-notes", None, f"thread notes {state}", "ok")
