"""The scheduler's jobs in flight, so a shutdown can let them finish (a post recorded
before the process goes) and cancel only what outlives the grace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any


class JobTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """Count the current task as a job in flight while inside."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def finish(self, grace: float) -> None:
        """Wait up to `grace` seconds for the jobs in flight; cancel the late ones."""
        pending = {task for task in self._tasks if not task.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
