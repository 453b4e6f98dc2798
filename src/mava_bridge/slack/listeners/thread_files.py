"""The files of a message typed in a followed thread, for its private note.

With `PUBLIC_URL` set, each file becomes one of the note's `attachments`: Mava takes only
publicly reachable URLs, so it is given `PUBLIC_URL/files/<token>` (the bot's files door,
`slack.files_door`), a token made here for this file alone. Called only once the
person may write notes (`slack.access`), so no token exists for a file a guest or
someone off the allow-list posted. A file over `FILE_MAX_MB` (by the size Slack gives),
past Mava's 10 per message, or that Slack shows without a private URL (hidden by the
plan's limits, deleted, an external link) is named in the note as not attached, with
the reason, and the person is told. Without `PUBLIC_URL` the note names every file and
says why none is attached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from mava_bridge.mava.models import Attachment
from mava_bridge.settings import Settings
from mava_bridge.store.writes import FileToShare, SharedFiles

MAVA_MAX_ATTACHMENTS: Final = 10  # per message, Mava's documented limit
NO_PUBLIC_URL: Final = (
    "Not copied to Mava: the bridge has no PUBLIC_URL, so Mava cannot be given a link to them."
)
_NAME: Final = 200


@dataclass(frozen=True)
class NoteFiles:
    """The note's attachments, the line naming the files, and what to tell the person."""

    attachments: list[Attachment] = field(default_factory=list)
    line: str = ""
    refusal: str = ""


def _name(file: dict[str, Any]) -> str:
    name = str(file.get("name") or file.get("title") or "file").strip() or "file"
    return name[:_NAME]


def _size_limit(settings: Settings) -> int:
    return int(settings.file_max_mb * 1024 * 1024)


def _why_not(file: dict[str, Any], settings: Settings, attached: int) -> str | None:
    """Why `file` cannot be attached, or None."""
    url = file.get("url_private")
    if not (isinstance(file.get("id"), str) and isinstance(url, str) and url.startswith("http")):
        return "Slack gives the bot no copy of it"
    if file.get("mode") in ("tombstone", "hidden_by_limit", "external"):
        return "Slack gives the bot no copy of it"
    size = file.get("size")
    if isinstance(size, int) and not isinstance(size, bool) and size > _size_limit(settings):
        return f"it is larger than {settings.file_max_mb:g} MB"
    if attached >= MAVA_MAX_ATTACHMENTS:
        return f"Mava takes at most {MAVA_MAX_ATTACHMENTS} files per message"
    return None


async def note_files(
    files: list[dict[str, Any]],
    *,
    settings: Settings,
    shared: SharedFiles | None,
    channel_id: str,
    ticket_id: str,
) -> NoteFiles:
    """What becomes of `files` (a message event's `files`) in the note."""
    if not files:
        return NoteFiles()
    if settings.public_url is None or shared is None:
        listed = ", ".join(_name(f) for f in files)
        return NoteFiles(line=f"(Files attached in Slack: {listed}. {NO_PUBLIC_URL})")
    attachments: list[Attachment] = []
    attached: list[str] = []
    refused: list[tuple[str, str]] = []
    for file in files:
        why = _why_not(file, settings, len(attachments))
        if why is not None:
            refused.append((_name(file), why))
            continue
        mimetype = str(file.get("mimetype") or "application/octet-stream")
        token = await shared.share(
            FileToShare(file["id"], file["url_private"], _name(file), mimetype),
            channel_id=channel_id,
            ticket_id=ticket_id,
        )
        url = settings.file_url(token)
        assert url is not None  # public_url is set
        attachments.append(Attachment(file_name=_name(file), url=url, file_type=mimetype))
        attached.append(_name(file))
    parts = []
    if attached:
        parts.append(f"Files attached from Slack: {', '.join(attached)}.")
    if refused:
        parts.append("Not attached: " + "; ".join(f"{n} ({why})" for n, why in refused) + ".")
    refusal = ""
    if refused:
        count = len(refused)
        refusal = (
            f"{count} file{'s were' if count != 1 else ' was'} not attached to the note: "
            + "; ".join(f"{n}: {why}" for n, why in refused)
            + ". They stay in Slack."
        )
    return NoteFiles(attachments, f"({' '.join(parts)})", refusal)
