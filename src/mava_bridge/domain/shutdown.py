"""Tasks in flight at shutdown (the scheduler's jobs, the handlers Slack's requests
handed off): let them finish within the drain bound, then cancel what outlives it, so a
process told to stop ends in bounded time whatever a task is waiting for. Here, below
both delivery (`JobTasks`) and slack (`InFlight`), so the rule is written once."""

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
