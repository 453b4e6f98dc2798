"""The scheduler's jobs in flight, finished or cancelled at shutdown within the drain
bound (the rule in mava_bridge.domain.shutdown)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from mava_bridge.domain.shutdown import finish_or_cancel


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
