"""Tasks in flight at shutdown finish within the drain bound or are cancelled, so a
process told to stop ends in bounded time: one rule for delivery's jobs and slack's
handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any, Final

# How long cancelled tasks get to unwind (close a transaction, release a claim).
CANCEL_SECONDS: Final = 1.0


async def finish_or_cancel(tasks: Collection[asyncio.Task[Any]], grace: float) -> int:
    """Wait up to `grace` seconds for `tasks`; cancel the late ones and give them
    CANCEL_SECONDS to unwind. Returns how many were cancelled."""
    pending = {task for task in tasks if not task.done()}
    if not pending:
        return 0
    _, late = await asyncio.wait(pending, timeout=max(0.0, grace))
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=CANCEL_SECONDS)
    return len(late)
