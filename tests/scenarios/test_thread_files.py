"""Files both ways in a followed ticket's thread.

Slack -> Mava: with PUBLIC_URL, the files of a thread message become the note's
attachments, each a `PUBLIC_URL/files/<token>` link the bot serves by streaming the
file from the stub's `url_private` with the bot token; fetching the URL Mava was given
returns the bytes Slack holds. Unknown or altered tokens and deleted files are 404;
size and Mava's 10-file limit are refused with a sentence; a guest's files get no link;
without PUBLIC_URL the note names the files and says why. Mava -> Slack: an https image
is an image block, any other file a link.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from running import free_port
from sqlalchemy import func, select

from mava_bridge.store.tables import SharedFile
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, GUEST, JANE, new_ticket, reset, scenario_stack
from .log_capture import captured_logs
from .test_thread_life import sync
from .test_thread_notes import deliver, follow, notes

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
PNG = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(200_000)  # several chunks
PDF = b"%PDF-1.7\n" + secrets.token_bytes(5_000)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    """The bot with PUBLIC_URL set to its own address, and a 1 MB file limit."""
    port = free_port()
    async with scenario_stack(
        port=port, public_url=f"http://127.0.0.1:{port}", file_max_mb=1
    ) as stack:
        yield stack


@pytest.fixture
def stack(module_stack: Stack) -> Iterator[Stack]:
    module_stack.slack.files.refusal = "sign_in_page"
    module_stack.slack.files.scope_missing = False
    yield reset(module_stack)


def note_messages(stack: Stack, ticket: str) -> list[JSON]:
    ticket_json = stack.mava.sandbox.get(ticket)
    assert ticket_json is not None
    return [m for m in ticket_json["messages"] if m["messageType"] == "InternalNote"]


async def post_files(
    stack: Stack, ticket: str, files: list[JSON], text: str = "", user: str = JANE
) -> str:
    """`user` posts `files` in the ticket's followed thread; returns the thread."""
    thread = await follow(stack, ticket)
    event = stack.slack.user_message(
        CHANNEL, user, text, thread_ts=thread, subtype="file_share", files=files
    )
    await deliver(stack, event)
    return thread


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await client.get(url)


async def shared_rows(stack: Stack) -> int:
    async with stack.runtime.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(SharedFile)) or 0)


# --- Slack -> Mava -------------------------------------------------------------------------


async def test_two_files_become_two_attachments_whose_urls_return_the_bytes(stack: Stack) -> None:
    ticket = new_ticket(stack)
    image = stack.slack.files.add(JANE, "screen shot.png", PNG, "image/png")
    pdf = stack.slack.files.add(JANE, "reçu.pdf", PDF, "application/pdf")
    await post_files(stack, ticket, [image, pdf])  # no text: the files are the note
    [note] = note_messages(stack, ticket)
    assert note["content"] == (
        "Note from Jane via Slack: (Files attached from Slack: screen shot.png, reçu.pdf.)"
    )
    first, second = note["attachments"]
    assert (first["fileName"], first["fileType"]) == ("screen shot.png", "image/png")
    assert (second["fileName"], second["fileType"]) == ("reçu.pdf", "application/pdf")
    base = f"{stack.settings.public_url}".rstrip("/")
    for attachment, data in ((first, PNG), (second, PDF)):
        assert attachment["url"].startswith(f"{base}/files/")
        token = attachment["url"].rsplit("/", 1)[-1]
        assert len(token) >= 43  # 256 bits, url-safe
        response = await get(attachment["url"])
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["Content-Type"] == attachment["fileType"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        (await get(first["url"]))
        .headers["Content-Disposition"]
        .startswith('inline; filename="screen shot.png"')
    )
    disposition = (await get(second["url"])).headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''re%C3%A7u.pdf" in disposition
    # Each download asked Slack with the bot token.
    assert stack.slack.files.downloads and all(d.authorized for d in stack.slack.files.downloads)
    assert stack.slack.reactions(CHANNEL, stack.slack.messages(CHANNEL)[-1]["ts"]) == [
        "white_check_mark"
    ]
    assert stack.slack.ephemerals(JANE) == []


async def test_a_guessed_or_altered_token_is_404(stack: Stack) -> None:
    ticket = new_ticket(stack)
    await post_files(stack, ticket, [stack.slack.files.add(JANE, "a.txt", b"hello", "text/plain")])
    [attachment] = note_messages(stack, ticket)[0]["attachments"]
    url = attachment["url"]
    assert (await get(url)).content == b"hello"
    last = url[-1]
    altered = url[:-1] + ("A" if last != "A" else "B")
    base = url.rsplit("/", 1)[0]
    for wrong in (altered, f"{base}/{secrets.token_urlsafe(32)}", f"{base}/{'x' * 500}"):
        response = await get(wrong)
        assert response.status_code == 404
        assert b"hello" not in response.content
    assert (await get(base)).status_code == 404


async def test_a_file_deleted_in_slack_is_404(stack: Stack) -> None:
    ticket = new_ticket(stack)
    file = stack.slack.files.add(JANE, "old.pdf", PDF, "application/pdf")
    await post_files(stack, ticket, [file])
    [attachment] = note_messages(stack, ticket)[0]["attachments"]
    assert (await get(attachment["url"])).content == PDF
    stack.slack.files.delete(file["id"])
    response = await get(attachment["url"])
    assert response.status_code == 404
    assert PDF[:20] not in response.content


async def test_eleven_files_attach_ten_and_say_why_not_the_eleventh(stack: Stack) -> None:
    ticket = new_ticket(stack)
    files = [
        stack.slack.files.add(JANE, f"f{n}.txt", f"file {n}".encode(), "text/plain")
        for n in range(1, 12)
    ]
    thread = await post_files(stack, ticket, files, text="All the logs")
    [note] = note_messages(stack, ticket)
    assert [a["fileName"] for a in note["attachments"]] == [f"f{n}.txt" for n in range(1, 11)]
    assert note["content"].startswith("Note from Jane via Slack: All the logs\n\n(")
    assert "Not attached: f11.txt (Mava takes at most 10 files per message)." in note["content"]
    [told] = stack.slack.ephemerals(JANE)
    assert told["thread_ts"] == thread
    assert "1 file was not attached to the note: f11.txt: Mava takes at most 10" in str(
        told["blocks"]
    )
    assert (await get(note["attachments"][9]["url"])).content == b"file 10"


async def test_a_file_over_the_size_limit_is_refused_with_a_sentence(stack: Stack) -> None:
    ticket = new_ticket(stack)
    big = stack.slack.files.add(JANE, "dump.bin", secrets.token_bytes(1_200_000))
    small = stack.slack.files.add(JANE, "note.txt", b"small", "text/plain")
    await post_files(stack, ticket, [big, small], text="Two files")
    [note] = note_messages(stack, ticket)
    assert [a["fileName"] for a in note["attachments"]] == ["note.txt"]
    assert "Not attached: dump.bin (it is larger than 1 MB)." in note["content"]
    [told] = stack.slack.ephemerals(JANE)
    assert "dump.bin: it is larger than 1 MB" in str(told["blocks"])


async def test_a_guests_files_get_no_link_and_no_note(stack: Stack) -> None:
    ticket = new_ticket(stack)
    before = await shared_rows(stack)
    file = stack.slack.files.add(GUEST, "secret.pdf", PDF, "application/pdf")
    await post_files(stack, ticket, [file], text="from a guest", user=GUEST)
    assert notes(stack, ticket) == []
    assert await shared_rows(stack) == before
    assert stack.slack.files.downloads == []
    assert stack.slack.calls("files.info") == []


@pytest.mark.parametrize("refusal", ["sign_in_page", "redirect"])
async def test_slack_refusing_the_download_is_a_502_and_one_warning(
    stack: Stack, refusal: str
) -> None:
    """Without files:read Slack answers url_private with its sign-in page (200 HTML, or a
    redirect to it): that page is never served as the file."""
    ticket = new_ticket(stack)
    await post_files(stack, ticket, [stack.slack.files.add(JANE, "x.pdf", PDF, "application/pdf")])
    [attachment] = note_messages(stack, ticket)[0]["attachments"]
    stack.slack.files.scope_missing = True
    stack.slack.files.refusal = refusal  # type: ignore[assignment]
    with captured_logs() as logs:
        response = await get(attachment["url"])
    assert response.status_code == 502
    assert b"Sign in" not in response.content
    warned = [r for r in logs.records() if "not served" in r["message"]]
    assert len(warned) == 1 and warned[0]["level"] == "WARNING"
    assert "files:read" in warned[0]["message"] and not logs.errors()
    assert attachment["url"].rsplit("/", 1)[-1] not in logs.stream.getvalue()


async def test_the_stub_refuses_url_private_without_the_bot_token(stack: Stack) -> None:
    file = stack.slack.files.add(JANE, "x.txt", b"private", "text/plain")
    plain = await get(file["url_private"])
    assert plain.status_code == 200 and b"private" not in plain.content
    assert plain.headers["Content-Type"].startswith("text/html")
    stack.slack.files.refusal = "redirect"
    async with httpx.AsyncClient() as client:
        moved = await client.get(file["url_private"])
    assert moved.status_code == 302
    assert not any(d.authorized for d in stack.slack.files.downloads)


# --- Mava -> Slack -------------------------------------------------------------------------


async def test_mava_attachments_appear_in_the_thread(stack: Stack) -> None:
    ticket = new_ticket(stack)
    thread = await follow(stack, ticket)
    await sync(stack)  # the thread's start: what Mava already holds is not posted
    stack.mava.sandbox.customer_writes(
        ticket,
        "Here are the screenshots",
        attachments=[
            {"fileName": "err.png", "url": "https://cdn.example/err.png", "fileType": "image/png"},
            {"fileName": "old.gif", "url": "http://cdn.example/old.gif", "fileType": "image/gif"},
            {"fileName": "log.txt", "url": "https://cdn.example/log.txt", "fileType": "text/plain"},
        ],
    )
    assert (await sync(stack)).mirrored == 1
    reply = stack.slack.thread(CHANNEL, thread)[-1]
    [image] = [b for b in reply["blocks"] if b["type"] == "image"]
    assert image["image_url"] == "https://cdn.example/err.png" and image["alt_text"] == "err.png"
    links = reply["blocks"][-1]["text"]["text"]
    assert "<http://cdn.example/old.gif|old.gif> (image/gif)" in links  # not https: a link
    assert "<https://cdn.example/log.txt|log.txt> (text/plain)" in links
