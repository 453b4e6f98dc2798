"""`/mava report` over Socket Mode: acked within Slack's 3 s, then the report and its
chart are posted in the channel, as over HTTP."""

from __future__ import annotations

from mava_sandbox.slack_requests import slash_command

from .conftest import CHANNEL, SLACK_ACK_LIMIT, answer, flat, scenario_stack, shown


async def test_report_over_the_socket() -> None:
    async with scenario_stack(socket_mode=True, mava_options={"tickets": 0}) as stack:
        assert stack.socket is not None
        stack.mava.sandbox.add_ticket(csat=4, status="Resolved")
        url = stack.slack.response_url(channel=CHANNEL)
        envelope = await stack.socket.send_request(
            slash_command("report 30d", user_id="U0JANE", channel_id=CHANNEL, response_url=url)
        )
        assert (await envelope.acked(timeout=SLACK_ACK_LIMIT)).seconds < SLACK_ACK_LIMIT
        said = flat(shown(await answer(stack, url.rsplit("/", 1)[-1])))
        assert "Building the report of the last 30 days" in said
        await stack.slack.wait_for("files.completeUploadExternal")
        [report] = [m for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))]
        text = flat(shown(report))
        assert "*Resolved* 1" in text and "4.00 avg of 1 (4★ 1)" in text
        assert stack.slack.files.shared[0].data.startswith(b"\x89PNG")
