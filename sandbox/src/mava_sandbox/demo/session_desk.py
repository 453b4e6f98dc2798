"""The demo's desk: App Home, the DM, reminder and ratings jobs, and pasted links."""

from __future__ import annotations

from mava_sandbox.demo import desk, paste
from mava_sandbox.demo.render import (
    render_message,
    render_notice,
)
from mava_sandbox.demo.session_state import SessionState
from mava_sandbox.demo.words import CHANNEL, USER


class DeskMixin(SessionState):
    """`home`, `dms` and `paste` lines."""

    async def _home(self) -> None:
        """@Jane opens the app's Home tab: Slack sends app_home_opened, the bot publishes
        her Home (views.publish), shown like a modal whose buttons `click` presses."""
        mark = len(self.stub.calls())
        self.show(render_notice("@Jane opens the Mava app's Home tab (app_home_opened)"))
        event = {
            "type": "app_home_opened",
            "user": USER,
            "channel": self.stub.dm_channel(USER),
            "tab": "home",
        }
        await self.stack.sender.event(event)
        self._show_calls(await self._settle(mark, expect_answer=False))

    async def _dms(self) -> None:
        """The leader's assignment-DM and reminder jobs, now; their posts show below."""
        mark = len(self.stub.calls())
        said = await desk.run_jobs(self.stack.runtime)
        self._show_calls(await self._settle(mark, expect_answer=False))
        self.show(render_notice(said))

    async def _rate(self, rest: str) -> None:
        """The customer rates a ticket in Mava; the bot's ratings job runs now and posts
        it where a channel subscribed to that rating (`/mava subscribe ratings`)."""
        ticket, _, value = rest.partition(" ")
        if ticket not in {str(t["_id"]) for t in self.sandbox.tickets} or value not in "12345":
            self.show(render_notice("Say rate TICKET 1-5, e.g. rate $T1 1", "yellow"))
            return
        self.sandbox.rate(ticket, int(value))
        self.show(render_notice(f"The customer rates {ticket} {value}/5 in Mava."))
        mark = len(self.stub.calls())
        said = await desk.run_ratings(self.stack.runtime)
        self._show_calls(await self._settle(mark, expect_answer=False))
        self.show(render_notice(said))

    async def _paste(self, rest: str) -> None:
        """@Jane pastes a link; Slack sends link_shared; the bot's card (if any) shows."""
        try:
            text = paste.pasted_text(self.sandbox, self.stack.runtime.deps.link, rest)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        mark = len(self.stub.calls())
        event = self.stub.user_link(CHANNEL, USER, text)
        posted = self.stub.message(CHANNEL, event["message_ts"]) or {"text": text}
        self.show(render_message(posted, users=self.user_name, title="#support"))
        await self.stack.sender.event(event)
        calls = await self._settle(mark, expect_answer=False)
        card = paste.unfurl_message(self.stub, CHANNEL, event["message_ts"])
        if card is None:
            self.show(render_notice(paste.why_not(list(calls)), "yellow"))
        else:
            title = "#support · unfurled under @Jane's message (chat.unfurl)"
            self.show(render_message(card, users=self.user_name, title=title))
