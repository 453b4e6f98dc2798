"""A Mava message's files in its thread reply: an image Slack can fetch as an image
block, every other file as a link naming it and its type.

Slack fetches an image block's `image_url` itself and refuses the whole message when it
cannot (`invalid_blocks`), so only an `image/*` file at an https URL becomes one; an
http URL is a link, a `javascript:` or other URL the file's name alone. At most
`SHOWN` files are drawn, the rest counted ("…and 3 more in Mava"), which keeps a reply
far below Slack's 50 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from mava_bridge.mava.models import FileAttachment
from mava_bridge.slack import text as t
from mava_bridge.slack.blocks.common import Block, plain_text, section

SHOWN: Final = 10
NAME_SHOWN: Final = 100  # a file's name as shown; Slack allows 2,000 in alt_text and title
TYPE_SHOWN: Final = 60
IMAGE_URL: Final = 3000  # Slack's limit for an image block's image_url


def safe_url(url: Any) -> str | None:
    """`url` if it is an http(s) URL Slack can link, else None."""
    if not isinstance(url, str) or len(url) > t.BUTTON_URL:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def image_url(attachment: FileAttachment) -> str | None:
    """The URL to draw `attachment` from, if it is an image Slack may fetch: image/* at https."""
    kind = (attachment.file_type or "").strip().lower()
    url = safe_url(attachment.url)
    if not kind.startswith("image/") or url is None or len(url) > IMAGE_URL:
        return None
    return url if urlsplit(url).scheme.lower() == "https" else None


def _name(attachment: FileAttachment) -> str:
    return t.truncate(t.one_line(attachment.display_name), NAME_SHOWN)


def link_line(attachment: FileAttachment) -> str:
    """ ":paperclip: <url|name> (type)" in escaped mrkdwn; the name alone without a safe URL."""
    name = _name(attachment)
    url = safe_url(attachment.url)
    shown = t.link(url, name) if url else t.escape(name)
    kind = t.escape_and_truncate(t.one_line(attachment.file_type or ""), TYPE_SHOWN)
    return f":paperclip: {shown}" + (f" ({kind})" if kind else "")


def image_block(attachment: FileAttachment, url: str) -> Block:
    name = _name(attachment)
    return {
        "type": "image",
        "image_url": url,
        "alt_text": t.plain(name, 2000, empty="image"),
        "title": plain_text(name, 2000, emoji=False),
    }


def images_as_links(blocks: Sequence[Block]) -> list[Block] | None:
    """`blocks` with each image block drawn as a link instead (the way other files are),
    for when Slack could not fetch an image; None when there is no image to redraw."""
    if not any(block.get("type") == "image" for block in blocks):
        return None
    redrawn: list[Block] = []
    for block in blocks:
        if block.get("type") != "image":
            redrawn.append(block)
            continue
        title = block.get("title")
        name = title.get("text") if isinstance(title, dict) else block.get("alt_text")
        url = safe_url(block.get("image_url"))
        name = str(name or "image")
        shown = t.link(url, name) if url else t.escape(name)
        redrawn.append(section(f":paperclip: {shown} (image)"))
    return redrawn


def attachment_blocks(attachments: Sequence[FileAttachment]) -> list[Block]:
    """The files as blocks: the images, then one section of links (and how many more)."""
    images: list[Block] = []
    lines: list[str] = []
    for attachment in attachments[:SHOWN]:
        url = image_url(attachment)
        if url is not None:
            images.append(image_block(attachment, url))
        else:
            lines.append(link_line(attachment))
    more = len(attachments) - SHOWN
    if more > 0:
        lines.append(f":paperclip: …and {more} more in Mava")
    return images + ([section("\n".join(lines))] if lines else [])


def names(attachments: Sequence[FileAttachment]) -> str:
    """The files for a notification's fallback text: "2 files: a.png, b.pdf"."""
    if not attachments:
        return ""
    listed = ", ".join(_name(a) for a in attachments[:SHOWN])
    more = len(attachments) - SHOWN
    count = len(attachments)
    return f"{count} file{'s' if count != 1 else ''}: {listed}" + (
        f" and {more} more" if more > 0 else ""
    )
