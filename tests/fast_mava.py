"""A Mava client for tests: a private limiter and near-zero backoff, so tests stay fast.

It lives outside conftest.py because pytest imports each directory's conftest under the
same module name, so `from conftest import ...` finds whichever was imported first.
"""

from __future__ import annotations

from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.ratelimit import RateLimiter
from mava_sandbox.mava_server import RunningSandbox


async def _no_sleep(_seconds: float) -> None:
    return None


def fast_client(sandbox: RunningSandbox) -> MavaClient:
    """A client for `sandbox` that does not share the bot's limiter or wait between tries."""
    return MavaClient(
        sandbox.url,
        sandbox.api_key,
        limiter=RateLimiter(1000, 1.0),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01),
        sleep=_no_sleep,
    )
