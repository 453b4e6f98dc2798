"""A modal opened at once and filled in after the slow look-ups.

A trigger id expires 3 s after the click, so the modal opens first with a loading view;
the access check (users.info), the ticket (Mava) and the thread look-up come after,
and `views.update` shows the result. When Slack will not open it (an expired trigger,
a 5xx), the person is told so in an ephemeral message (or a DM), with the text command
that does the same.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.slack import blocks as b
from mava_bridge.slack.answer import Answer
from mava_bridge.slack.errors import slack_error
from mava_bridge.slack.listeners.common import say_error

log = logging.getLogger("mava_bridge.slack.modal")

LOADING = "Loading…"


class LoadingModal:
    def __init__(self, client: AsyncWebClient, answer: Answer, title: str, instead: str) -> None:
        """`instead`: the text command that does the same, e.g. "/mava note TICKET your text"."""
        self.client = client
        self.answer = answer
        self.title = title
        self.instead = instead
        self.view_id: str | None = None

    async def open(self, trigger_id: str) -> bool:
        """Open the loading view; False when Slack refused (the person has been told)."""
        try:
            response = await self.client.views_open(
                trigger_id=trigger_id, view=b.result_modal(self.title, LOADING)
            )
            self.view_id = str(response["view"]["id"])
        except Exception as exc:
            error = slack_error(exc)
            log.warning("views.open failed (%s)", error, extra={"error": error})
            await say_error(
                self.answer,
                f"Slack could not open the “{self.title}” window ({error}), so nothing was "
                f"done. To do the same without it, type: {self.instead}",
            )
            return False
        return True

    async def show(self, view: dict[str, Any]) -> bool:
        """Replace the loading view; if Slack refuses, tell the person how to go on."""
        return await self._update(
            view,
            f"Slack could not show the “{self.title}” window, so nothing was done. "
            f"To do the same without it, type: {self.instead}",
        )

    async def finish(self, sentence: str) -> bool:
        """End in a result view saying `sentence` (plain text), or tell it another way."""
        return await self._update(b.result_modal(self.title, sentence), sentence)

    async def _update(self, view: dict[str, Any], otherwise: str) -> bool:
        assert self.view_id is not None, "open() first"
        try:
            await self.client.views_update(view_id=self.view_id, view=view)
        except Exception as exc:
            error = slack_error(exc)
            log.warning("views.update failed (%s)", error, extra={"error": error})
            await say_error(self.answer, otherwise)
            return False
        return True
