"""Live ticket threads in the demo: Mava changes (the customer, the dashboard), then one
pass of the bot's thread sync; what @Jane says in a card's thread, and her reactions.
"""

from __future__ import annotations

from collections.abc import Callable

from mava_sandbox.demo.mava_diff import snapshot
from mava_sandbox.demo.render import (
    render_message,
    render_notice,
    render_thread,
)
from mava_sandbox.demo.samples import SAMPLE_AUTHOR, as_slack_sends
from mava_sandbox.demo.session_state import SessionState
from mava_sandbox.demo.threads import (
    find_cards,
    find_ticket,
    parse_changes,
    thread_sync,
)
from mava_sandbox.demo.words import CHANNEL, REACT_USAGE, USER
from mava_sandbox.mava_files import split_files


class MavaMixin(SessionState):
    """`customer`, `dashboard`, `say`, `react` and `thread` lines."""

    async def _customer(self, rest: str) -> None:
        token, _, text = rest.partition(" ")
        if not token or not text.strip():
            self.show(render_notice("Say `customer TICKET TEXT`, e.g. customer $T1 Any news?"))
            return
        words, files = split_files(text)  # `file=NAME` words attach a file
        await self._in_mava(
            token,
            "The customer writes on ticket {ticket} (in Mava).",
            lambda ticket: self.sandbox.customer_writes(ticket, words, attachments=files),
        )

    async def _dashboard(self, rest: str) -> None:
        token, _, text = rest.partition(" ")
        try:
            changes = parse_changes(self.sandbox, text)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        await self._in_mava(
            token,
            "An agent changes ticket {ticket} in Mava's dashboard.",
            lambda ticket: self.sandbox.dashboard(ticket, **changes),
        )

    async def _in_mava(self, token: str, what: str, change: Callable[[str], object]) -> None:
        """Make `change` to the ticket `token` names, show the Mava diff, then what the
        bot's thread sync does with it in Slack."""
        try:
            ticket = find_ticket(self.sandbox, token)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        self.show(render_notice(what.format(ticket=ticket)))
        change(ticket)
        self._show_diff(before)
        sync = thread_sync(self.stack.runtime)
        if self.webhooks.on:
            self.show(render_notice("Mava sends a webhook; the bot reads Mava now…"))
            await self.webhooks.reaction()
            self._show_calls(await self._settle(mark, expect_answer=False))
        elif sync is None:
            self.show(render_notice("(this build of the bot has no ticket thread sync)", "yellow"))
        else:
            self.show(render_notice("The bot's thread sync polls Mava…"))
            await sync()
            self._show_calls(await self._settle(mark, expect_answer=False))
        if not find_cards(self.stub, ticket):
            self.show(
                render_notice(
                    f"No Slack card follows ticket {ticket}: /mava follow {ticket} posts one "
                    "in #support and follows it in its thread.",
                    "yellow",
                )
            )

    async def _say(self, rest: str) -> None:
        """@Jane writes in the thread of the ticket's card: Slack sends the bot the
        `message` event, as for any reply there; the note lands in Mava."""
        token, _, text = rest.partition(" ")
        if not token or not text.strip():
            self.show(render_notice("Say `say TICKET TEXT`, e.g. say $T1 Refund sent today."))
            return
        try:
            ticket = find_ticket(self.sandbox, token)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        cards = sorted(find_cards(self.stub, ticket), key=lambda found: found[0] != CHANNEL)
        if not cards:
            self.show(
                render_notice(
                    f"No card of ticket {ticket} has a thread to write in: /mava follow "
                    f"{ticket} posts one in #support first.",
                    "yellow",
                )
            )
            return
        channel, card = cards[0]
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        typed = as_slack_sends(text.strip(), self.directory)  # as Slack stores it: &amp; …
        event = self.stub.user_message(channel, USER, typed, thread_ts=card["ts"])
        said = self.stub.message(channel, event["ts"]) or event
        where = f"{self.channel_label(channel)} · @Jane in the thread of ticket {ticket}"
        self.show(render_message(said, users=self.user_name, title=where, replies_to=card))
        await self.stack.sender.event(event)
        self._show_calls(await self._settle(mark, expect_answer=False))
        if self.stub.reactions(channel, event["ts"]):
            self.show(render_notice("The bot reacted ✅ to @Jane's message: it is in Mava."))
        self._show_diff(before)

    async def _react(self, rest: str) -> None:
        """@Jane reacts with an emoji: `react EMOJI TICKET` on the ticket's card in
        #support, `react EMOJI` on a message @Sam writes there first. Slack sends the bot
        `reaction_added`, as for any reaction."""
        emoji, _, token = rest.partition(" ")
        emoji = emoji.strip(":")
        if not emoji:
            self.show(render_notice(REACT_USAGE, "yellow"))
            return
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        if token.strip():
            try:
                ticket = find_ticket(self.sandbox, token.strip())
            except ValueError as problem:
                self.show(render_notice(str(problem), "yellow"))
                return
            cards = [card for channel, card in find_cards(self.stub, ticket) if channel == CHANNEL]
            if not cards:
                self.show(
                    render_notice(
                        f"No card of ticket {ticket} in #support: /mava follow {ticket} posts one.",
                        "yellow",
                    )
                )
                return
            ts, what = str(cards[0]["ts"]), f"the card of ticket {ticket}"
        else:
            text = str(self.samples.message.get("text") or "")
            wrote = self.stub.user_message(CHANNEL, SAMPLE_AUTHOR, text)
            said = self.stub.message(CHANNEL, wrote["ts"]) or wrote
            where = f"{self.channel_label(CHANNEL)} · @Sam"
            self.show(render_message(said, users=self.user_name, title=where))
            ts, what = str(wrote["ts"]), "@Sam's message"
        try:
            event = self.stub.user_reaction(CHANNEL, ts, USER, emoji)
        except ValueError:
            self.show(render_notice(f"@Jane has reacted :{emoji}: there already.", "yellow"))
            return
        self.show(render_notice(f"@Jane reacts :{emoji}: to {what}."))
        await self.stack.sender.event(event)
        self._show_calls(await self._settle(mark, expect_answer=False))
        self._show_diff(before)

    def _thread(self, rest: str) -> None:
        try:
            ticket = find_ticket(self.sandbox, rest)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        cards = find_cards(self.stub, ticket)
        if not cards:
            self.show(
                render_notice(
                    f"No card for ticket {ticket} in Slack yet: try /mava follow {ticket}.",
                    "yellow",
                )
            )
        for channel, card in cards:
            replies = [m for m in self.stub.thread(channel, card["ts"]) if m["ts"] != card["ts"]]
            title = f"{self.channel_label(channel)} · the thread of ticket {ticket}"
            self.show(render_thread(card, replies, users=self.user_name, title=title))
