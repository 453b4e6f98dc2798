"""The demo line `webhooks on|off` (#19): the sandbox sends Mava's signed webhooks to the
bot's POST /mava/webhook, and a `customer` or `dashboard` line then shows the bot's own
reaction to the webhook instead of the demo running a thread sync for it.

The demo stack is built with the sandbox's signing key set on the bot (so the door is
served from the start); webhooks are only sent, and the bot's watcher only runs, once
`webhooks on` says so.
"""

from __future__ import annotations

import asyncio
from typing import Final

from mava_sandbox.stack import Stack

USAGE: Final = "Say `webhooks on` or `webhooks off`."


class DemoWebhooks:
    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._url = stack.webhooks.url if stack.webhooks else None
        if stack.webhooks is not None:
            stack.webhooks.url = None  # off until `webhooks on`
        self.on = False

    async def switch(self, word: str) -> str:
        """`on` or `off`; returns the sentence to show."""
        hooks, nudges = self._stack.webhooks, self._stack.runtime.delivery.nudges
        if hooks is None or nudges is None:
            return "This demo's bot has no webhook door (MAVA_WEBHOOK_SIGNING_KEY unset)."
        if word == "on":
            hooks.url, self.on = self._url, True
            await nudges.start()
            return (
                f"Webhooks on: Mava's sandbox signs each change and POSTs it to {self._url}; "
                "the bot verifies it and reads Mava now (the webhook is only a nudge)."
            )
        if word == "off":
            hooks.url, self.on = None, False
            await nudges.stop()
            return "Webhooks off: the bot learns of Mava's changes by polling only."
        return USAGE

    async def reaction(self) -> int:
        """Wait for the webhooks sent so far to be answered and the bot's nudged runs to
        finish; returns how many webhooks were sent."""
        hooks, nudges = self._stack.webhooks, self._stack.runtime.delivery.nudges
        assert hooks is not None and nudges is not None
        await hooks.settle()
        for _ in range(200):  # 10 s at most
            if not nudges.pending():
                break
            await asyncio.sleep(0.05)
        return len(hooks.sent)

    async def close(self) -> None:
        if self._stack.runtime.delivery.nudges is not None:
            await self._stack.runtime.delivery.nudges.stop()
