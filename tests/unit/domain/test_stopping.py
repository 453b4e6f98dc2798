"""A retry's wait (`Stopping.sleep`) is a plain sleep until shutdown begins, then ends
at once with ShuttingDown: also a wait already under way."""

from __future__ import annotations

import asyncio
import time

import pytest

from mava_bridge.domain.retry import ShuttingDown, Stopping


async def test_a_wait_runs_its_time_until_stopping() -> None:
    stopping = Stopping()
    started = time.monotonic()
    await stopping.sleep(0.05)
    assert time.monotonic() - started >= 0.05


async def test_a_wait_under_way_ends_at_once_when_stopping_is_set() -> None:
    stopping = Stopping()
    waiting = asyncio.create_task(stopping.sleep(60))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    stopping.set()
    with pytest.raises(ShuttingDown):
        await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - started < 1
    with pytest.raises(ShuttingDown):  # and every later wait, even of no time
        await stopping.sleep(0)
