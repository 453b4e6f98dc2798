"""A followed ticket's card and thread replies (mava_bridge.slack.blocks.threads): who wrote
what, hostile text inert, Slack's limits kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mava_bridge.delivery.thread_keys import (
    change_key,
    message_key,
    search_windows,
    snapshot,
)
from mava_bridge.mava.models import Message, Ticket
from mava_bridge.slack.blocks import threads as blocks
from mava_bridge.slack.blocks.threads import safe_url

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
LINK = "https://dashboard.mava.app/tickets/abc"


def msg(**fields: Any) -> Message:
    base: dict[str, Any] = {
        "_id": "m1",
        "content": "hello",
        "senderType": "customer",
        "senderName": "Kim",
        "messageType": "ExternalMessage",
        "createdAt": NOW.isoformat(),
    }
    base.update(fields)
    return Message.model_validate(base)


def ticket(**fields: Any) -> Ticket:
    base: dict[str, Any] = {"_id": "t" * 24, "createdAt": NOW.isoformat(), "status": "Open"}
    base.update(fields)
    return Ticket.model_validate(base)


def sections(rendered: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in rendered if b["type"] == "section"]


def test_each_kind_of_message_says_who_wrote_it_and_how() -> None:
    _, customer = blocks.message(msg(), link=LINK)
    _, agent = blocks.message(msg(senderType="agent", senderName="Ann"), link=LINK)
    _, note = blocks.message(
        msg(senderType="agent", senderName="Ann", messageType="InternalNote"), link=LINK
    )
    _, system = blocks.message(msg(senderType="system", content="Status changed"), link=LINK)
    assert sections(customer)[0].startswith("*Kim* (customer)\nhello")
    assert sections(agent)[0].startswith("*Agent reply by Ann*")
    assert sections(note)[0].startswith(":lock: *Private note by Ann*")
    assert system[0]["type"] == "context" and system[0]["elements"][0]["text"] == "_Status changed_"
    _, nameless = blocks.message(msg(senderName=None), link=LINK)
    assert "*unknown* (customer)" in sections(nameless)[0]


def test_hostile_text_pings_nobody_and_long_text_is_cut_with_a_link() -> None:
    text, rendered = blocks.message(
        msg(
            content="<!channel> <@U123> & <https://evil|bank> " + "y" * 10_000,
            senderName="<!here> *boss*",
            attachments=[
                {"fileName": "a<b>.pdf", "url": "javascript:alert(1)"},
                {"fileName": "x|y.png", "url": "https://files.example/x.png"},
                {"fileName": "nourl"},
            ],
        ),
        link=LINK,
    )
    body = "\n".join(sections(rendered))
    for raw in ("<!channel>", "<@U123>", "<!here>", "<https://evil|bank>", "javascript:"):
        assert raw not in body and raw not in text
    assert "&lt;!channel&gt;" in body and "&amp;" in body
    assert all(len(s) <= 3000 for s in sections(rendered))
    assert f"(cut — open in Mava: <{LINK}|the whole message>)" in body
    assert ":paperclip: a&lt;b&gt;.pdf" in body  # a name, not a link
    assert "<https://files.example/x.png|x|y.png>" in body
    assert len(text) <= 3000


def test_only_http_urls_become_links() -> None:
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("HTTP://a.example") == "HTTP://a.example"
    for bad in ("javascript:alert(1)", "data:text/html,x", "ftp://a", "//a.example", None, 3):
        assert safe_url(bad) is None


def test_change_line_names_what_changed_and_the_card_its_state() -> None:
    before = snapshot(ticket())
    after = snapshot(
        ticket(status="Pending", priority=3, assignedTo={"_id": "a1", "name": "<Ann>"})
    )
    line = blocks.change_line(before, after)
    assert "*Status:* Open → Pending" in line and "*Priority:* none → High" in line
    assert "*Assignee:* Unassigned → &lt;Ann&gt;" in line and "Category" not in line
    text, _ = blocks.change_message(before, after)
    assert text.startswith("Status: Open → Pending")
    card = str(blocks.card(ticket(status="Resolved"), link=lambda i: LINK, now=NOW))
    assert "Resolved" in card and "Following this ticket in the thread" in card
    assert "ticket_unfollow" in card and "ticket_reply" in card
    assert "ticket_follow'" in str(
        blocks.card(ticket(), link=lambda i: LINK, now=NOW, followed=False)
    )
    headed = blocks.card(ticket(), link=lambda i: LINK, now=NOW, headline="New <!channel> ticket")
    assert "New &lt;!channel&gt; ticket" in headed[0]["text"]["text"]


def test_keys_windows_and_the_wait_after_a_sync() -> None:
    assert message_key(msg()) == "m1"
    without = msg(_id=None)
    assert (
        message_key(without)
        == message_key(msg(_id=None))
        != message_key(msg(_id=None, content="x"))
    )
    t1, t2 = ticket(), ticket(updatedAt=NOW.isoformat())
    a, b = snapshot(t1), snapshot(ticket(status="Pending"))
    assert change_key(a, b, t1) != change_key(a, b, t2)  # the same change made again later
    start = datetime(2024, 1, 1, tzinfo=UTC)
    windows = search_windows(start, NOW)
    assert windows[0][1] == NOW and windows[-1][0] == start
    assert all((end - begin).days <= 365 for begin, end in windows)


def test_an_https_image_is_an_image_block_and_other_files_are_links_with_their_type() -> None:
    text, rendered = blocks.message(
        msg(
            attachments=[
                {"fileName": "shot.png", "url": "https://f.example/s.png", "fileType": "image/png"},
                {
                    "fileName": "bill.pdf",
                    "url": "https://f.example/b",
                    "fileType": "application/pdf",
                },
                {
                    "fileName": "plain.jpg",
                    "url": "http://f.example/p.jpg",
                    "fileType": "image/jpeg",
                },
            ]
        ),
        link=LINK,
    )
    [image] = [b for b in rendered if b["type"] == "image"]
    assert image["image_url"] == "https://f.example/s.png"
    assert image["alt_text"] == "shot.png" and image["title"]["text"] == "shot.png"
    files = sections(rendered)[-1]
    assert "<https://f.example/b|bill.pdf> (application/pdf)" in files
    # An image at a non-https URL is a link, never an image block.
    assert "<http://f.example/p.jpg|plain.jpg> (image/jpeg)" in files
    assert "3 files: shot.png, bill.pdf, plain.jpg" in text


def test_odd_attachments_are_read_leniently_and_kept_within_slacks_limits() -> None:
    long_name = "n" * 5000 + ".png"
    message = msg(
        attachments=[
            {"fileName": 42, "url": ["not", "a", "url"], "fileType": None},
            {"url": "https://f.example/only-url.png", "fileType": "image/png"},
            "https://f.example/bare-string",
            17,
            {"fileName": long_name, "url": "https://f.example/l.png", "fileType": "image/png"},
            *[
                {"fileName": f"i{n}.png", "url": f"https://f.example/{n}", "fileType": "image/png"}
                for n in range(60)
            ],
        ]
    )
    assert len(message.attachments) == 64  # the number 17 names no file
    _, rendered = blocks.message(message, link=LINK)
    assert len(rendered) <= 50
    images = [b for b in rendered if b["type"] == "image"]
    assert len(images) == 8  # 10 shown, two of them not images
    assert all(len(b["alt_text"]) <= 2000 and len(b["title"]["text"]) <= 2000 for b in images)
    assert images[0]["alt_text"] == "attachment"  # no name: still alt text
    assert len(images[1]["alt_text"]) <= 100
    files = sections(rendered)[-1]
    assert ":paperclip: 42" in files  # a number read as the name; no usable URL
    assert "<https://f.example/bare-string|attachment>" in files
    assert "…and 54 more in Mava" in files
    for shape in (None, "file", {"fileName": "x"}):
        assert Message.model_validate({"content": "x", "attachments": shape}).attachments == []
