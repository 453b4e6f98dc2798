"""The retry policy of the clients of outside systems (Mava, Slack); what is safe to
retry stays with each client. A retry's wait ends at once when the process begins to
stop (`Stopping`), so the failure is recorded within the drain bound. `os_cause` names
why a connection failed, for both clients' one line about an outage."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # first try included
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random)

    def backoff(self, attempt: int) -> float:
        """Between half and all of the exponential bound."""
        return min(self.max_delay, self.base_delay * 2.0**attempt) * (0.5 + self.jitter() / 2)

    def rate_limited(self, attempt: int, retry_after: float | None) -> float:
        """The wait after a 429: its `Retry-After` (capped), else the backoff."""
        if retry_after is None:
            return self.backoff(attempt)
        return min(retry_after, self.max_retry_after)

    def retries_left(self, attempt: int) -> bool:
        """Whether try number `attempt + 1` (counting from 1) may be followed by another."""
        return attempt + 1 < self.attempts


def retry_after(header: str | None) -> float | None:
    """A Retry-After header's seconds, never negative; None when absent or no number."""
    try:
        return max(0.0, float(header or ""))
    except ValueError:
        return None


# Mava: 4 tries, 0.5 s doubling to 8 s, Retry-After honoured up to a minute.
MAVA_RETRY = RetryPolicy()
# Slack posts: 6 tries, 1 s doubling to 30 s, Retry-After honoured up to two minutes.
SLACK_RETRY = RetryPolicy(attempts=6, base_delay=1.0, max_delay=30.0, max_retry_after=120.0)


class ShuttingDown(Exception):
    """Raised by `Stopping.sleep` when the process is stopping."""


class Stopping:
    """Set once when shutdown begins; retry waits are `sleep`s on it."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def sleep(self, seconds: float) -> None:
        if not self._event.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, seconds)):
                    await self._event.wait()
        if self._event.is_set():
            raise ShuttingDown()


def os_cause(exc: BaseException) -> str | None:
    """The OS error inside a client library's failure, in words ("connection refused",
    "name or service not known"), for an outage's one log line; None if there is none."""
    seen: BaseException | None = exc
    while seen is not None:
        number = getattr(seen, "errno", None)
        if isinstance(seen, OSError) and isinstance(number, int) and number:
            # A resolver's errors are negative: "name or service not known" is its text.
            text = os.strerror(number) if number > 0 else seen.strerror
            return str(text or type(seen).__name__).lower()
        seen = seen.__cause__ or seen.__context__
    return None
