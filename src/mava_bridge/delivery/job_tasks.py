"""Tasks in flight at shutdown (the scheduler's jobs, the handlers Slack's requests
handed off): let them finish within the drain bound, then cancel what outlives it, so a
process told to stop ends in bounded time whatever a job is waiting for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Iterator
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


class JobTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelling = False

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """Count the current task as a job in flight while inside. A job cancelled by
        `finish` ends quietly: APScheduler would log the cancellation as a failure with
        its traceback."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        except asyncio.CancelledError:
            if not self._cancelling or task is None:
                raise
            task.uncancel()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def finish(self, grace: float) -> int:
        """Wait up to `grace` seconds for the jobs in flight; cancel the late ones
        (returns how many)."""
        self._cancelling = True
        return await finish_or_cancel(list(self._tasks), grace)
