"""While verified webhooks flow, interval runs rest but for every SLOWER-th tick (polling
stays the safety net); FLOWING_FOR after the last one every tick runs again."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from mava_bridge.delivery.nudges import FLOWING_FOR, SLOWER, Nudges
from mava_bridge.store.db import Database
from mava_bridge.store.seen_webhooks import SeenWebhooks


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
    nudges = Nudges(seen, _follower, none, none, none, _nothing, clock=lambda: clock[0])
    try:
        assert [nudges.rests("alerts:poll") for _ in range(3)] == [False] * 3  # no webhook yet
        assert await seen.record("w1", None)
        assert await nudges.look_once() is False  # not the leader: nothing run
        assert nudges.flowing()
        ticks = [nudges.rests("alerts:poll") for _ in range(2 * SLOWER)]
        assert ticks.count(False) == 2 and ticks[SLOWER - 1] is False
        assert nudges.rests("threads:sync") is True  # counted per job
        clock[0] += FLOWING_FOR  # ten minutes without a webhook
        assert not nudges.flowing()
        assert [nudges.rests("alerts:poll") for _ in range(3)] == [False] * 3
        assert await nudges.look_once() is False  # w1 again: already handled, not new
        assert not nudges.flowing()
    finally:
        await db.dispose()
