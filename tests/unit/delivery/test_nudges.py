"""While verified webhooks flow, interval runs rest but for every SLOWER-th tick (polling
stays the safety net); FLOWING_FOR after the last one every tick runs again."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from mava_bridge.delivery.nudges import Nudges
from mava_bridge.delivery.pacing import FLOWING_FOR, SLOWER, Pacing, WebhookFlow
from mava_bridge.domain.send_window import DESK_SHARE, FLOOR, THREAD_SHARE
from mava_bridge.store.db import Database
from mava_bridge.store.seen import SeenWebhooks


async def _follower() -> bool:
    return False  # reads the rows, runs nothing: what `rests` needs


async def _nothing() -> None:
    return None


async def test_polling_slows_while_webhooks_flow_and_speeds_up_when_they_stop(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.migrate()
    clock = [1000.0]
    seen = SeenWebhooks(db)
    none = cast(Any, None)  # a follower never reaches the thread sync, desk or board
    flow = WebhookFlow(clock=lambda: clock[0])
    nudges = Nudges(seen, _follower, none, none, none, _nothing, flow=flow, budget=(90, 30.0))
    try:
        assert [flow.rests("alerts:poll") for _ in range(3)] == [False] * 3  # no webhook yet
        assert await seen.record("w1", None)
        assert await nudges.look_once() is False  # not the leader: nothing run
        assert flow.flowing()
        ticks = [flow.rests("alerts:poll") for _ in range(2 * SLOWER)]
        assert ticks.count(False) == 2 and ticks[SLOWER - 1] is False
        assert flow.rests("threads:sync") is True  # counted per job
        clock[0] += FLOWING_FOR  # ten minutes without a webhook
        assert not flow.flowing()
        assert [flow.rests("alerts:poll") for _ in range(3)] == [False] * 3
        assert await nudges.look_once() is False  # w1 again: already handled, not new
        assert not flow.flowing()
    finally:
        await db.dispose()


async def test_thread_sync_and_the_desk_take_the_safety_net_pace_while_webhooks_flow(
    tmp_path: Path,
) -> None:
    """Without webhooks a one-page sync runs every FLOOR seconds (a third of 90 per 30 s
    allows one a second); while they flow, every THREAD_SYNC_SECONDS (and most ticks
    rest); ten minutes after the last one, the fast pace again."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.migrate()
    clock = [1000.0]
    seen = SeenWebhooks(db)
    none = cast(Any, None)
    flow = WebhookFlow(clock=lambda: clock[0])
    nudges = Nudges(seen, _follower, none, none, none, _nothing, flow=flow, budget=(90, 30.0))
    pacing = Pacing(90, 30.0, flow)
    pacing.add("threads:sync", "thread sync", "THREAD_SYNC_SECONDS", THREAD_SHARE, 15.0)
    pacing.add("desk:dms", "assignment DMs", "DESK_REFRESH_SECONDS", DESK_SHARE, 60.0)
    try:
        assert pacing.after("threads:sync", pages=1) == FLOOR
        assert pacing.after("desk:dms", pages=4) == 8.0  # a sixth: 2 s a page
        assert await seen.record("w1", None)
        await nudges.look_once()
        assert pacing.after("threads:sync") == 15.0  # a resting tick: the last pages
        assert pacing.after("desk:dms", pages=4) == 60.0
        assert pacing.after("threads:sync", pages=40) == 40.0  # the share still wins
        clock[0] += FLOWING_FOR
        assert pacing.after("threads:sync", pages=1) == FLOOR
        assert pacing.after("desk:dms") == 8.0
        assert pacing.after("alerts:poll", pages=3) is None  # not paced: its own interval
    finally:
        await db.dispose()
