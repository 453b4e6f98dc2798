"""Clicks and modals in the demo: pressing a button on screen, and filling in and
submitting the modals the bot opens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from mava_bridge.domain.ticket_refs import is_object_id, short_ref, short_tail
from mava_bridge.slack.callback_ids import (
    ACTION_CREATE_REACTED,
    BLOCK_EMAIL,
    BLOCK_TEXT,
)
from mava_sandbox.demo import modal_inputs
from mava_sandbox.demo.mava_diff import snapshot
from mava_sandbox.demo.render import (
    render_modal,
    render_notice,
)
from mava_sandbox.demo.samples import slack_ts
from mava_sandbox.demo.session_state import SessionState, _blocks
from mava_sandbox.demo.surfaces import Button, Surface, buttons
from mava_sandbox.demo.words import CHANNEL, JSON, MAX_MODAL_ROUNDS, USER


class ClicksMixin(SessionState):
    """`click ...` lines and the modals they (or commands) open."""

    async def _click(self, rest: str) -> None:
        found = self._find_button(rest)
        if isinstance(found, str):
            self.show(render_notice(found, "yellow"))
            return
        chosen, remainder = found
        surface = chosen.surface
        self.show(
            render_notice(
                f"@Jane presses [ {chosen.label} ]"
                + (f" for ticket {chosen.value}" if is_object_id(chosen.value or "") else "")
            )
        )
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        sender = self.stack.sender
        if surface.kind == "modal":
            response = await sender.action(
                chosen.action_id, chosen.value, view=surface.view, user_id=USER
            )
        elif surface.kind == "ephemeral":
            response = await sender.action(
                chosen.action_id,
                chosen.value,
                message={"blocks": surface.blocks, "ts": surface.ts or slack_ts()},
                is_ephemeral=True,
                message_ts=surface.ts or slack_ts(),
                channel_id=surface.channel or CHANNEL,
                user_id=USER,
            )
        else:
            current = self.stub.message(surface.channel or CHANNEL, surface.ts or "")
            response = await sender.action(
                chosen.action_id,
                chosen.value,
                message=current or {"blocks": surface.blocks, "ts": surface.ts},
                channel_id=surface.channel or CHANNEL,
                user_id=USER,
            )
        if sender.last_response_url and surface.kind == "ephemeral":
            # An answer to this click's response_url with replace_original replaces it.
            self._answers_to[sender.last_response_url.rpartition("/")[2]] = surface
        self._refused(response)
        if chosen.url:
            self.show(render_notice(f"Slack opens {chosen.url} in the browser."))
        settled = await self._settle(mark, expect_answer=not chosen.url)
        form = self._show_calls(settled)
        if form is not None and chosen.action_id == ACTION_CREATE_REACTED:
            await self._drive_modal(form, None, email=remainder or None)  # TEXT: the email
        elif form is not None:
            await self._drive_modal(form, remainder or None)
        self._show_diff(before)

    def _find_button(self, rest: str) -> tuple[Button, str] | str:
        """The newest button on screen whose label starts `rest` (longest label wins) and
        the text after it; a ticket id (or its tail, `…562460`) right after the label
        picks among same-labelled buttons. Else a sentence saying why nothing is pressed:
        no such label, no such button for that ticket, or a button Slack no longer shows."""
        self._refresh_messages()
        wanted = rest.strip()
        every = [b for surface in reversed(self._surfaces) for b in buttons(surface)]
        fits = [
            b
            for b in every
            if b.label
            and (
                wanted.lower() == b.label.lower()
                or wanted.lower().startswith(b.label.lower() + " ")
            )
        ]
        if not fits:
            labels = sorted({b.label for b in every if b.surface.gone is None})
            hint = ", ".join(labels) if labels else "none yet (try /mava show $T1)"
            return f"No button '{rest}' on screen. Buttons: {hint}."
        length = max(len(b.label) for b in fits)
        same = [b for b in fits if len(b.label) == length]
        label = same[0].label
        remainder = wanted[length:].strip()
        first, _, after = remainder.partition(" ")
        tail = first.lower() if is_object_id(first) else short_tail(first)
        ticket = ""
        if tail is not None:
            ticket, remainder = first, after.strip()
            for_ticket = [b for b in same if (b.value or "").lower().endswith(tail)]
        else:
            for_ticket = same
        shown = [b for b in for_ticket if b.surface.gone is None]
        if shown:
            return shown[0], remainder
        which = f"[ {label} ] button" + (f" for ticket {ticket}" if ticket else "")
        if for_ticket:
            return (
                f"That {which} is no longer on screen: {for_ticket[0].surface.gone}. "
                "Slack would not offer it, so nothing was sent."
            )
        others = list(
            dict.fromkeys(short_ref(b.value) for b in same if b.value and b.surface.gone is None)
        )
        listed = f" It is shown for {', '.join(others[:4])}" if others else ""
        if len(others) > 4:
            listed += f" and {len(others) - 4} more tickets"
        listed += "." if others else ""
        return f"There is no {which} on screen; nothing was sent.{listed}"

    # --- modals -------------------------------------------------------------------

    async def _decide(self, view: JSON, values: modal_inputs.Values) -> bool:
        """Interactive: Submit? [Y/n/e]; `e` asks for each input again (see `_edit`)."""
        assert self.ask is not None
        submit = (view.get("submit") or {}).get("text") or "Submit"
        inputs = modal_inputs.fields(view)
        empty = [f for f in inputs if not f.optional and not values.get(f.block_id)]
        if empty:  # an empty box is there to be typed into: ask for it straight away
            await self._edit(empty, values)
            self.show(render_modal(view, users=self.user_name, values=values))
        while True:
            options = "[Y/n/e=edit]" if inputs else "[Y/n]"
            answer = (await self.ask(f"{submit}? {options} ", default="y")).strip().lower()
            if answer in ("", "y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            if answer in ("e", "edit") and inputs:
                await self._edit(inputs, values)
                self.show(render_modal(view, users=self.user_name, values=values))

    async def _edit(
        self, inputs: Sequence[modal_inputs.Field], values: modal_inputs.Values
    ) -> None:
        """Ask for each input in turn: what is typed replaces its value, Enter keeps it; a
        select's prompt lists its choices, and a choice it does not have is asked again."""
        assert self.ask is not None
        for field in inputs:
            current = values.get(field.block_id)
            if current and not field.is_select:
                self.show(render_notice(f"{field.label} now: {current}"))
            while True:
                typed = await self.ask(modal_inputs.question(field, current))
                try:
                    values[field.block_id] = modal_inputs.read(field, typed, current)
                    break
                except ValueError as problem:
                    self.show(render_notice(str(problem), "yellow"))

    async def _drive_modal(self, view: JSON, text: str | None, *, email: str | None = None) -> None:
        """Fill in and submit a modal the bot opened, then show what the bot did with it.

        Scripted: submitted as filled in (with `text` in the text box when given);
        interactive: the user confirms or edits first. Inline errors and follow-up
        modals (a reply's confirmation) go round again."""
        values = modal_inputs.prefilled(view)
        if text is not None and BLOCK_TEXT in values:
            values[BLOCK_TEXT] = text
        if email is not None and BLOCK_EMAIL in values:
            values[BLOCK_EMAIL] = email
            self.show(render_modal(view, users=self.user_name, values=values, heading="Filled in"))
        for _ in range(MAX_MODAL_ROUNDS):
            submit = (view.get("submit") or {}).get("text") or "Submit"
            if self.ask is not None:
                if not await self._decide(view, values):
                    self.show(render_notice("Closed the modal; nothing was sent."))
                    self._retire(Surface("modal", [], view=view), "that modal was closed")
                    return
            else:
                self.show(render_notice(f"(script) @Jane presses [ {submit} ]"))
            mark = len(self.stub.calls())
            response = await self.stack.sender.submit_view(
                str(view.get("callback_id") or ""), values, view=view, user_id=USER
            )
            ack: JSON = {}
            if response.content.strip():
                with contextlib.suppress(ValueError):
                    parsed = response.json()
                    ack = parsed if isinstance(parsed, dict) else {}
            if self._refused(response):
                return
            action = ack.get("response_action")
            if action == "errors":
                errors = {str(k): str(v) for k, v in (ack.get("errors") or {}).items()}
                self.show(
                    render_modal(
                        view, users=self.user_name, values=values, errors=errors, heading="Modal"
                    )
                )
                await self._settle(mark, expect_answer=False)
                if self.ask is None:
                    return
                continue
            next_view: JSON | None = None
            if action in ("update", "push") and isinstance(ack.get("view"), dict):
                # Slack swaps the modal's content in place: same view id.
                next_view = {**ack["view"], "id": view.get("id"), "hash": view.get("hash")}
                self.show(render_modal(next_view, users=self.user_name, heading="Modal updated"))
                self._remember(Surface("modal", _blocks(next_view), view=next_view))
            elif action == "clear" or not action:
                self.show(render_notice("The modal closes."))
                self._retire(Surface("modal", [], view=view), "that modal was closed")
            follow_up = next_view is not None and isinstance(next_view.get("submit"), dict)
            settled = await self._settle(mark, expect_answer=not follow_up and bool(next_view))
            form = self._show_calls(settled)
            if form is not None:
                view, values = form, modal_inputs.prefilled(form)
            elif follow_up and next_view is not None:
                view, values = next_view, modal_inputs.prefilled(next_view)
            else:
                return
        self.show(render_notice("Gave up on this modal after several rounds.", "yellow"))

    # --- waiting and showing ---------------------------------------------------------
