"""The Slack stub refuses what Slack refuses (#18), with Slack's own error names, on every
way a payload reaches it: chat.postMessage, chat.postEphemeral, chat.update, chat.unfurl,
views.open/push/update/publish and response_url posts; and it counts what it validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox import block_kit_rules as rules
from mava_sandbox.slack_stub import RESPONSE_URL, SlackStub

CHANNEL = "C0SUPPORT"
JSON = dict[str, Any]

pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")


def text(words: str, kind: str = "mrkdwn") -> JSON:
    return {"type": kind, "text": words}


def plain(words: str) -> JSON:
    return text(words, "plain_text")


def section(words: str = "hi", **more: Any) -> JSON:
    return {"type": "section", "text": text(words), **more}


def button(label: str = "Go", action_id: str = "go", **more: Any) -> JSON:
    return {"type": "button", "text": plain(label), "action_id": action_id, **more}


def option(label: str = "One", value: str = "1") -> JSON:
    return {"text": plain(label), "value": value}


def select(options: list[JSON]) -> JSON:
    return {"type": "static_select", "action_id": "pick", "options": options}


def modal(blocks: list[JSON] | None = None, **more: Any) -> JSON:
    return {"type": "modal", "title": plain("Ticket"), "blocks": blocks or [section()], **more}


# Blocks Slack refuses in any message or view, each for one reason.
BAD_BLOCKS: dict[str, list[JSON]] = {
    "duplicate block_id": [section(block_id="a"), section(block_id="a")],
    "duplicate action_id in a block": [
        {"type": "actions", "elements": [button(action_id="x"), button(action_id="x")]}
    ],
    "section text over 3000": [section("x" * 3001)],
    "header text over 150": [{"type": "header", "text": plain("x" * 151)}],
    "header in mrkdwn": [{"type": "header", "text": text("*bold*")}],
    "button text over 75": [{"type": "actions", "elements": [button("x" * 76)]}],
    "button value over 2000": [{"type": "actions", "elements": [button(value="v" * 2001)]}],
    "context over 10 elements": [{"type": "context", "elements": [text("x")] * 11}],
    "fields over 10": [{"type": "section", "fields": [text("x")] * 11}],
    "field over 2000": [{"type": "section", "fields": [text("x" * 2001)]}],
    "options over 100": [section(accessory=select([option(value=str(n)) for n in range(101)]))],
    "option text over 75": [section(accessory=select([option("o" * 76)]))],
    "option value over 150": [section(accessory=select([option(value="v" * 151)]))],
    "block_id over 255": [section(block_id="b" * 256)],
    "action_id over 255": [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
    "empty text": [section("")],
    "empty actions": [{"type": "actions", "elements": []}],
    "unknown block type": [{"type": "no_such_block"}],
    "no type": [{"text": text("hi")}],
    "input without element": [{"type": "input", "label": plain("Say")}],
}


async def refused(call: Any) -> JSON:
    with pytest.raises(SlackApiError) as caught:
        await call
    response: JSON = caught.value.response.data
    return response


async def post_to(url: str, body: JSON) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
        return resp.status, await resp.text()


@pytest.mark.parametrize("case", list(BAD_BLOCKS))
async def test_bad_blocks_are_refused_wherever_they_are_sent(
    stub: SlackStub, client: AsyncWebClient, case: str
) -> None:
    blocks = BAD_BLOCKS[case]
    said = await refused(client.chat_postMessage(channel=CHANNEL, text="t", blocks=blocks))
    assert said["error"] == "invalid_blocks"
    assert said["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert "[json-pointer:/blocks" in said["response_metadata"]["messages"][0]
    assert stub.messages(CHANNEL) == []

    ephemeral = client.chat_postEphemeral(channel=CHANNEL, user="U0JANE", text="t", blocks=blocks)
    assert (await refused(ephemeral))["error"] == "invalid_blocks"
    assert stub.ephemerals() == []

    posted = await client.chat_postMessage(channel=CHANNEL, text="before", blocks=[section()])
    update = client.chat_update(channel=CHANNEL, ts=posted["ts"], text="after", blocks=blocks)
    assert (await refused(update))["error"] == "invalid_blocks"
    kept = stub.message(CHANNEL, posted["ts"])
    assert kept is not None and kept["text"] == "before" and "edited" not in kept

    bound = stub.response_url("bound", channel=CHANNEL, message_ts=posted["ts"])
    status, body = await post_to(bound, {"replace_original": True, "text": "x", "blocks": blocks})
    assert (status, body) == (400, "invalid_blocks")
    assert stub.calls(RESPONSE_URL)[-1].error == "invalid_blocks"
    assert stub.message(CHANNEL, posted["ts"]) == kept

    home = client.views_publish(user_id="U0JANE", view={"type": "home", "blocks": blocks})
    assert (await refused(home))["error"] == "invalid_arguments"
    opened = client.views_open(trigger_id="1.2.abc", view=modal(blocks))
    assert (await refused(opened))["error"] == "invalid_arguments"
    assert stub.home_view("U0JANE") is None and stub.views() == []

    link = "https://mava.example/tickets/1"
    stub.user_link(CHANNEL, "U0JANE", f"see {link}")
    shared = stub.messages(CHANNEL)[-1]
    unfurl = client.chat_unfurl(
        channel=CHANNEL, ts=shared["ts"], unfurls={link: {"blocks": blocks}}
    )
    assert (await refused(unfurl))["error"] == "invalid_arguments"
    assert stub.unfurls(CHANNEL, shared["ts"]) == {}

    # Every payload above carried blocks or a view: each was validated, all but the
    # card posted before the update refused.
    assert (stub.tally.validated, stub.tally.refused.total()) == (8, 7)


async def test_block_counts_of_a_message_and_of_a_view(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    fifty = [section(str(n)) for n in range(50)]
    await client.chat_postMessage(channel=CHANNEL, text="t", blocks=fifty)
    more = client.chat_postMessage(channel=CHANNEL, text="t", blocks=[*fifty, section()])
    said = await refused(more)
    assert said["error"] == "invalid_blocks"
    assert "must contain at most 50 items" in said["response_metadata"]["messages"][0]

    hundred = [section(str(n)) for n in range(100)]
    await client.views_publish(user_id="U0JANE", view={"type": "home", "blocks": hundred})
    over = {"type": "home", "blocks": [*hundred, section()]}
    assert (await refused(client.views_publish(user_id="U0JANE", view=over)))[
        "error"
    ] == "invalid_arguments"
    await client.views_open(trigger_id="1.2.abc", view=modal(hundred))
    too_many = client.views_open(trigger_id="1.2.abc", view=modal([*hundred, section()]))
    assert (await refused(too_many))["error"] == "invalid_arguments"
    assert (stub.tally.validated, stub.tally.refused.total()) == (6, 3)


@pytest.mark.parametrize(
    ("case", "view"),
    [
        ("title over 24", modal(title=plain("x" * 25))),
        ("no title", {"type": "modal", "blocks": [section()]}),
        ("submit over 24", modal(submit=plain("x" * 25))),
        ("close over 24", modal(close=plain("x" * 25))),
        ("title in mrkdwn", modal(title=text("Ticket"))),
        ("private_metadata over 3000", modal(private_metadata="m" * 3001)),
        ("callback_id over 255", modal(callback_id="c" * 256)),
        ("external_id over 255", modal(external_id="e" * 256)),
        (
            "input without submit",
            modal(
                [
                    {
                        "type": "input",
                        "label": plain("Say"),
                        "element": {"type": "plain_text_input", "action_id": "say"},
                    }
                ]
            ),
        ),
        (
            "initial value over max_length",
            modal(
                [
                    {
                        "type": "input",
                        "label": plain("Say"),
                        "element": {
                            "type": "plain_text_input",
                            "action_id": "say",
                            "max_length": 10,
                            "initial_value": "x" * 11,
                        },
                    }
                ],
                submit=plain("Send"),
            ),
        ),
        ("not a view type", {"type": "popup", "blocks": [section()]}),
    ],
)
async def test_bad_views_are_refused_by_open_push_and_update(
    stub: SlackStub, client: AsyncWebClient, case: str, view: JSON
) -> None:
    opened = await client.views_open(trigger_id="1.2.abc", view=modal())
    for call in (
        client.views_open(trigger_id="1.2.abc", view=view),
        client.views_push(trigger_id="1.2.abc", view=view),
        client.views_update(view_id=opened["view"]["id"], view=view),
    ):
        said = await refused(call)
        assert said["error"] == "invalid_arguments", case
        assert "[json-pointer:/view" in said["response_metadata"]["messages"][0]
    assert [v["id"] for v in stub.views()] == [opened["view"]["id"]]
    assert (stub.view(opened["view"]["id"]) or {}).get("title") == plain("Ticket")


async def test_message_text_over_40000_is_msg_too_long(
    stub: SlackStub, client: AsyncWebClient
) -> None:
    words = "x" * 40_001
    said = await refused(client.chat_postMessage(channel=CHANNEL, text=words))
    assert said["error"] == "msg_too_long"
    await client.chat_postMessage(channel=CHANNEL, text="x" * 40_000)
    url = stub.response_url("plain")
    assert await post_to(url, {"text": words}) == (400, "msg_too_long")


async def test_blocks_that_are_not_an_array_are_invalid_blocks_format(
    client: AsyncWebClient,
) -> None:
    said = await refused(
        client.api_call(
            "chat.postMessage", json={"channel": CHANNEL, "text": "t", "blocks": {"a": 1}}
        )
    )
    assert said["error"] == "invalid_blocks_format"


async def test_good_payloads_pass_and_are_counted(stub: SlackStub, client: AsyncWebClient) -> None:
    blocks = [
        {"type": "header", "text": plain("Ticket")},
        section("Hello", block_id="s", accessory=select([option(), option("Two", "2")])),
        {"type": "context", "elements": [text("x")] * 10},
        {
            "type": "actions",
            "block_id": "a",
            "elements": [button(action_id=f"b{n}") for n in range(5)],
        },
        {"type": "section", "fields": [text("f" * 2000)] * 10},
        {"type": "divider"},
    ]
    posted = await client.chat_postMessage(channel=CHANNEL, text="t", blocks=blocks)
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="t2", blocks=blocks)
    await client.chat_postMessage(channel=CHANNEL, text="no blocks: not counted")
    url = stub.response_url("plain")
    assert await post_to(url, {"text": "t", "blocks": blocks}) == (200, "ok")
    assert await post_to(url, {"delete_original": True}) == (200, "ok")  # no blocks
    await client.views_publish(user_id="U0JANE", view={"type": "home", "blocks": blocks})
    assert stub.tally.validated == 4 and not stub.tally.refused


def test_the_tally_file_adds_up_every_stub(tmp_path: Path) -> None:
    path = str(tmp_path / "tally.txt")
    first, second = rules.Tally(path), rules.Tally(path)
    first.count(None)
    second.count(rules.Refusal("invalid_blocks"))
    second.count(None)
    validated, refused_by = rules.read_tally(path)
    assert validated == 3 and refused_by == {"invalid_blocks": 1}
    assert rules.read_tally(str(tmp_path / "none.txt")) == (0, {})
