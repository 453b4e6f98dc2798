"""/mava commands and message shortcuts in the demo."""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path

from mava_bridge.domain.ticket_refs import ending_with, short_tail
from mava_bridge.slack.callback_ids import (
    SHORTCUT_CREATE,
)
from mava_sandbox.demo.mava_diff import snapshot
from mava_sandbox.demo.render import (
    render_ephemeral,
    render_notice,
)
from mava_sandbox.demo.samples import as_slack_sends
from mava_sandbox.demo.session_clicks import ClicksMixin
from mava_sandbox.demo.words import CHANNEL, SHORTCUT_NAMES, SHORTCUTS, TICKET_COMMANDS, USER


class CommandsMixin(ClicksMixin):
    """`/mava ...` and `shortcut ...` lines; over ClicksMixin, which fills in the modals
    they open."""

    def _full_ticket_id(self, rest: str) -> str | None:
        """`show …562460` → `show 6b07…562460`: lists show a ticket's last 6 characters (in
        Slack they link to it, so copying gives the whole id); here the tail works as
        typed. None when the tail fits several tickets (the user is told)."""
        match = re.match(r"(\S+)(\s+)(\S+)(.*)$", rest, re.DOTALL)
        if match is None or match.group(1).lower() not in TICKET_COMMANDS:
            return rest
        typed = match.group(3)
        if short_tail(typed) is None:
            return rest
        found = ending_with(typed, [str(t["_id"]) for t in self.sandbox.tickets])
        if len(found) > 1:
            listed = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
            self.show(
                render_notice(
                    f"{match.group(3)} fits {len(found)} tickets ({listed}): give more of "
                    "the id. Nothing was sent.",
                    "yellow",
                )
            )
            return None
        if not found:
            self.show(render_notice(f"No ticket's id ends in {typed}. Nothing was sent.", "yellow"))
            return None
        self.show(render_notice(f"({match.group(3)} is ticket {found[0]})"))
        return "".join((match.group(1), match.group(2), found[0], match.group(4)))

    async def _command(self, text: str) -> None:
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        charts = len(self.stub.files.shared)
        sent = as_slack_sends(text, self.directory)
        response = await self.stack.sender.command(sent, user_id=USER, channel_id=CHANNEL)
        if (
            not self._refused(response) and response.content.strip()
        ):  # an ack with a body is shown like Slack shows it
            with contextlib.suppress(ValueError):
                body = response.json()
                if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
                    self.show(render_ephemeral(body, users=self.user_name, where="#support"))
        settled = await self._settle(mark)
        form = self._show_calls(settled)
        if form is not None:
            await self._drive_modal(form, None)
        self._save_charts(charts)
        self._show_diff(before)

    def _save_charts(self, before: int) -> None:
        """Charts the bot uploaded since `before` files were shared, saved where the
        demo says (a terminal shows no images)."""
        for shared in self.stub.files.shared[before:]:
            path = Path(tempfile.gettempdir()) / "mava-demo-report.png"
            path.write_bytes(shared.data)
            where = self.channel_label(shared.channel)
            self.show(render_notice(f"Chart “{shared.title}” uploaded to {where}: saved to {path}"))

    async def _shortcut(self, rest: str) -> None:
        kind, _, text = rest.partition(" ")
        callback_id = SHORTCUTS.get(kind.lower())
        if callback_id is None:
            self.show(
                render_notice(
                    "Say `shortcut note`, `shortcut reply` or `shortcut create`.", "yellow"
                )
            )
            return
        what = SHORTCUT_NAMES.get(kind.lower(), "Create Mava ticket")
        which = "draft for the customer" if kind.lower() == "reply" else "message"
        self.show(render_notice(f"@Jane runs “{what}” on @Sam's {which} in #support."))
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        message = self.samples.message_for(kind.lower())
        response = await self.stack.sender.shortcut(
            callback_id, message=message, user_id=USER, channel_id=CHANNEL
        )
        self._refused(response)
        settled = await self._settle(mark)
        form = self._show_calls(settled)
        if form is not None:
            if callback_id == SHORTCUT_CREATE:  # TEXT is the customer's email here
                await self._drive_modal(form, None, email=text.strip() or None)
            else:
                await self._drive_modal(form, text.strip() or None)
        self._show_diff(before)
